#pragma once
// The gateway's Prometheus series (CONVENTIONS.md §1 rows 23-24, §6 #2), in the process-wide
// registry that the admin port serves (`meridian gateway`'s admin.listener, `meridian dev`'s
// --admin-port):
//   meridian_http_requests_total{route, method, status}      every answered request
//   meridian_http_request_duration_seconds{route, method}     the same requests' latency
//   meridian_gateway_consumer_instances                       v2 consumer instances held here
// `route` is the Router's template ("/topics/{topic}"), never the raw path.
//
//   GatewayMetrics metrics({{"datacenter", "east"}});
//   server_options.observer = metrics.observer();
//   metrics.set_consumer_instances(n);
//
// Threading: observer() may be called from every connection strand at once (lock-free after
// the first request of a series on a thread); set_consumer_instances from any thread.

#include <cstddef>
#include <memory>

#include "common/admin/http_metrics.h"
#include "gateway/server.h"

namespace meridian::gateway {

class GatewayMetrics {
 public:
  explicit GatewayMetrics(prometheus::Labels base = {},
                          prometheus::Registry& registry = admin::registry());

  // The Server's per-request hook; shares this object's series and may outlive it.
  RequestObserver observer() const;
  void set_consumer_instances(std::size_t count) const;

 private:
  std::shared_ptr<const admin::HttpRequestMetrics> http_;
  prometheus::Gauge* consumer_instances_;
};

}  // namespace meridian::gateway
