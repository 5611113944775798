#pragma once
// The catalogue: name, type, labels and help of every metric family in metric_names.h.
// metrics.h builds the families from it, `meridian_metric_names` prints it, and docs/metrics.md
// is checked against it, so code, dashboards, alerts and docs cannot drift apart.

#include <span>
#include <string_view>
#include <vector>

namespace meridian::admin {

enum class MetricKind { kCounter, kGauge, kHistogram };

std::string_view to_string(MetricKind kind) noexcept;

struct MetricSpec {
  std::string_view name;
  MetricKind kind;
  // Comma-separated label names the producer sets; "[x]" marks an optional label. Processes
  // hosting several brokers or DCs add `broker` / `datacenter` on top (see metrics.h).
  std::string_view labels;
  std::string_view help;
};

// Every family, in a stable order (the order of docs/metrics.md).
std::span<const MetricSpec> metric_catalogue() noexcept;

// The catalogue entry for `name`, or nullptr.
const MetricSpec* find_metric(std::string_view name) noexcept;

// Histogram buckets, in seconds. Request latency spans a cache hit (0.5 ms) to a stuck
// acks=all produce (10 s); mirror latency also covers a WAN link catching up (5 min).
std::vector<double> request_latency_buckets();
std::vector<double> mirror_latency_buckets();

}  // namespace meridian::admin
