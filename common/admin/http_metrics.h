#pragma once
// The hook between the REST gateway and the catalogue's HTTP families:
//   meridian_http_requests_total{route, method, status}
//   meridian_http_request_duration_seconds{route, method}
// The gateway calls observe() once per response, with the route TEMPLATE ("/topics/{topic}",
// the Router's pattern — never the raw path, so cardinality stays bounded; "unmatched" for 404s
// of unknown paths), the method ("POST") and the numeric status.
//
//   admin::HttpRequestMetrics http({{"datacenter", "east"}});     // once, at start-up
//   http.observe("/topics/{topic}", "POST", 200, elapsed_seconds);  // per response
//
// Thread-safe. Series handles are cached per thread, so after the first request of a
// (route, method, status) on a thread an observation is two atomic updates, no lock.
// Lifetime: the families live in the registry until exit; the object is a cheap handle.

#include <cstdint>
#include <string_view>

#include "common/admin/metrics.h"

namespace meridian::admin {

class HttpRequestMetrics {
 public:
  explicit HttpRequestMetrics(prometheus::Labels base = {},
                              prometheus::Registry& registry = admin::registry());

  void observe(std::string_view route, std::string_view method, unsigned status,
               double seconds) const;

  const GatewayMetrics& families() const noexcept { return metrics_; }

 private:
  GatewayMetrics metrics_;
  std::uint64_t owner_;  // tells apart per-thread cache entries of different instances
};

}  // namespace meridian::admin
