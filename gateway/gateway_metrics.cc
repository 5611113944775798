#include "gateway/gateway_metrics.h"

#include <utility>

namespace meridian::gateway {

GatewayMetrics::GatewayMetrics(prometheus::Labels base, prometheus::Registry& registry)
    : http_(std::make_shared<const admin::HttpRequestMetrics>(std::move(base), registry)),
      // Created at start-up so the family is exported (as 0) before the first consumer.
      consumer_instances_(&http_->families().consumer_instances.add()) {}

RequestObserver GatewayMetrics::observer() const {
  return [http = http_](std::string_view route, std::string_view method, unsigned status,
                        double seconds) { http->observe(route, method, status, seconds); };
}

void GatewayMetrics::set_consumer_instances(std::size_t count) const {
  consumer_instances_->Set(static_cast<double>(count));
}

}  // namespace meridian::gateway
