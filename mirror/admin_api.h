#pragma once
// The mirror's admin REST API, shaped like Confluent Cluster Linking v3 (DESIGN.md §6), without
// the HTTP server: the process that runs the link (cli/mirror_command.cc) serves it.
//   GET  /v3/clusters/{c}/links                     the link (a one-element list)
//   GET  /v3/clusters/{c}/links/{link}              link state, throughput, latency, errors
//        ("errors": count per kind, "recent_error": {kind, message, timestamp_ms} or null)
//   GET  /v3/clusters/{c}/links/{link}/mirrors[/{topic}]   per-partition lag (live RPO)
//   POST /v3/clusters/{c}/links/{link}/mirrors:{action}    {"mirror_topic_names": [...]}
//        action: pause, resume, promote, failover, reverse-and-start-mirror (= failback);
//        promote takes "timeout_ms" (default 30000).
// {c} is the target cluster's name or "-". Errors: {"error_code": 40401|40002|..., "message"}.
//
// Strand model: handle() may be awaited from any executor; the Link must outlive the api.

#include <boost/asio/awaitable.hpp>

#include <string>

#include "mirror/link.h"

namespace meridian::mirror {

struct AdminReply {
  int status = 200;
  std::string body;  // JSON
};

class AdminApi {
 public:
  explicit AdminApi(Link& link) : link_(link) {}
  boost::asio::awaitable<AdminReply> handle(std::string method, std::string target,
                                            std::string body);

 private:
  Link& link_;
};

}  // namespace meridian::mirror
