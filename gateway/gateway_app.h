#pragma once
// GatewayApp: a whole REST gateway over one cluster, as `meridian gateway` and `meridian dev`
// run it: ClusterContext (client thread), produce, metadata/admin, stateless reads, consumer
// instances, the v3 admin routes and the HTTP Server. /readyz is ready while the cluster answered
// a metadata request within `metadata_max_age` and the server is not draining.
//
// Lifecycle: start() -> shutdown_input() (SIGTERM: stop accepting, /readyz 503) ->
// stop(deadline) (drain in-flight requests). The destructor stops what is still running.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "common/result.h"
#include "gateway/server.h"

namespace meridian::gateway {

struct ClusterServiceOptions;

struct GatewayAppOptions {
  ServerOptions server;
  std::string bootstrap_servers;
  std::string cluster_id = "meridian";
  // Base of consumer base_uri values ("http://gw1:8082"); empty: from the Host header.
  std::string advertised_base;
  std::chrono::milliseconds metadata_refresh{5000};
  std::chrono::milliseconds metadata_max_age{30000};
  // Idle consumer instances are deleted after this long (consumer.instance.timeout.ms).
  std::chrono::milliseconds consumer_instance_timeout{300000};
  std::chrono::milliseconds consumer_request_timeout{1000};  // default GET records wait
  int64_t consumer_request_max_bytes = 64 * 1024 * 1024;
  // Per-request HTTP metrics and meridian_gateway_consumer_instances in admin::registry(),
  // every series labelled with `metric_labels` (`datacenter` in meridian dev).
  bool metrics = true;
  std::map<std::string, std::string> metric_labels;
  std::chrono::milliseconds consumer_gauge_refresh{1000};
  // The produce path's linger (ClusterServiceOptions::producer_linger).
  std::chrono::microseconds producer_linger{500};
};

class GatewayApp {
 public:
  // Errors: the listener's bind/listen error.
  static Result<std::unique_ptr<GatewayApp>> start(GatewayAppOptions options);
  ~GatewayApp();
  GatewayApp(const GatewayApp&) = delete;
  GatewayApp& operator=(const GatewayApp&) = delete;

  uint16_t port() const;
  // What GET /readyz answers: not draining and cluster metadata fresh. Any thread, non-blocking
  // (the admin port's readiness check of `meridian gateway`).
  Readiness readiness() const;
  void shutdown_input();
  void stop(std::chrono::milliseconds drain_deadline);

  struct Parts;

 private:
  GatewayApp() = default;
  std::unique_ptr<Parts> parts_;
};

}  // namespace meridian::gateway
