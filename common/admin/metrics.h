#pragma once
// A thin layer over prometheus-cpp: one process-wide registry carrying meridian_build_info, and
// structs holding every family of the catalogue (metric_catalogue.h) so subsystems only add
// label values and increment:
//
//   const auto& m = admin::broker_metrics({{"broker", "1"}});
//   m.records_produced.add({{"topic", "orders"}}).Increment(n);
//   m.request_latency.add({{"request", "produce"}}).Observe(seconds);
//
// Threading: prometheus-cpp metrics are thread-safe; `add` takes the family's mutex, so hot
// paths keep the returned reference (it stays valid until `remove` of the same labels).
// Label names passed to `add` must be valid Prometheus label names (prometheus-cpp throws
// std::invalid_argument otherwise — a programming error, never client input).

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/labels.h>
#include <prometheus/registry.h>

#include <string_view>
#include <vector>

namespace meridian::admin {

// The process-wide registry, created on first use with meridian_build_info{version, revision}
// set from the build. Lives until exit.
prometheus::Registry& registry();

std::string_view build_version() noexcept;
std::string_view build_revision() noexcept;

// Sets meridian_build_info{version, revision} = 1 in `registry` (idempotent).
void register_build_info(prometheus::Registry& registry, std::string_view version,
                         std::string_view revision);

// A family plus labels added to every series of it (`broker`, `datacenter` when a process hosts
// several brokers or DCs). Copyable handle; the registry owns the family.
template <class T>
class LabelledFamily {
 public:
  LabelledFamily(prometheus::Family<T>& family, prometheus::Labels base,
                 std::vector<double> buckets = {});

  // The series for base labels + `labels`, created on first use.
  T& add(const prometheus::Labels& labels = {}) const;
  // Drops the series (e.g. a deleted topic); references from `add` for it become dangling.
  void remove(const prometheus::Labels& labels) const;

  prometheus::Family<T>& family() const noexcept { return *family_; }

 private:
  prometheus::Labels merged(const prometheus::Labels& labels) const;

  prometheus::Family<T>* family_;
  prometheus::Labels base_;
  std::vector<double> buckets_;  // histograms only
};

using CounterFamily = LabelledFamily<prometheus::Counter>;
using GaugeFamily = LabelledFamily<prometheus::Gauge>;
using HistogramFamily = LabelledFamily<prometheus::Histogram>;

// Every process with TLS listeners.
struct ProcessMetrics {
  GaugeFamily tls_certificate_expires_at;  // listener; Unix seconds
};

// The active controller's view of its cluster (labels: cluster, broker).
struct ClusterMetrics {
  GaugeFamily brokers;
  GaugeFamily topics;
  GaugeFamily partitions;
  GaugeFamily unavailable_partitions;
  GaugeFamily controller_active;  // broker; set 0/1 on every broker
  GaugeFamily topic_partitions;   // topic
  GaugeFamily topic_replicas;     // topic
};

// One broker: the partitions it leads, its requests and its disk.
struct BrokerMetrics {
  GaugeFamily under_replicated;       // topic[, partition]
  GaugeFamily under_min_isr;          // topic
  GaugeFamily in_sync_replicas;       // topic, partition
  GaugeFamily high_watermark;         // topic, partition
  GaugeFamily log_start_offset;       // topic, partition
  CounterFamily isr_shrinks;          // topic
  CounterFamily isr_expands;          // topic
  CounterFamily records_produced;     // topic
  CounterFamily records_fetched;      // topic
  CounterFamily request_bytes;        // topic, request=produce|fetch
  HistogramFamily request_latency;    // request; seconds
  CounterFamily leadership_changes;   // topic
  GaugeFamily replication_fetch_lag;  // topic, partition, follower
  GaugeFamily disk_free;              // bytes
  GaugeFamily disk_total;             // bytes
  GaugeFamily log_size;               // topic; bytes
};

// The group coordinator.
struct GroupMetrics {
  GaugeFamily committed_offset;  // group, topic, partition
  GaugeFamily lag;               // group, topic, partition
  GaugeFamily topic_lag;         // group, topic
  GaugeFamily members;           // group
};

// The REST gateway. `route` is the route template ("/topics/{topic}"), never the raw path,
// and `status` the numeric code ("503"), so cardinality stays bounded.
struct GatewayMetrics {
  CounterFamily http_requests;            // route, method, status
  HistogramFamily http_request_duration;  // route, method; seconds
  GaugeFamily consumer_instances;
};

// Link states, modelled on Cluster Linking. Every state has a series per link (1 = current),
// so `meridian_mirror_link_state{state="active"} == 0` is a down link, not a missing series.
enum class LinkState { kActive, kPaused, kConnecting, kFailed, kStopped };
std::string_view to_string(LinkState state) noexcept;

struct MirrorMetrics {
  GaugeFamily link_state;               // link, state
  GaugeFamily lag_records;              // link, topic, partition
  GaugeFamily lag_seconds;              // link, topic, partition
  GaugeFamily lag_bytes;                // link, topic, partition
  CounterFamily errors;                 // link, kind
  GaugeFamily last_error;               // link, kind; Unix seconds
  HistogramFamily replication_latency;  // link, topic; seconds
  CounterFamily records;                // link, topic
  CounterFamily bytes;                  // link, topic
  GaugeFamily checkpoint_lag;           // link, group; seconds

  // Sets the link's series for `state` to 1 and every other state to 0.
  void set_link_state(std::string_view link, LinkState state) const;
};

// Builders: the same name on the same registry returns the same family (prometheus-cpp's
// Merge insert behaviour), so several brokers in one process each build their own struct
// with a different `base` (e.g. {{"broker", "2"}}).
ProcessMetrics process_metrics(prometheus::Labels base = {},
                               prometheus::Registry& registry = admin::registry());
ClusterMetrics cluster_metrics(prometheus::Labels base = {},
                               prometheus::Registry& registry = admin::registry());
BrokerMetrics broker_metrics(prometheus::Labels base = {},
                             prometheus::Registry& registry = admin::registry());
GroupMetrics group_metrics(prometheus::Labels base = {},
                           prometheus::Registry& registry = admin::registry());
GatewayMetrics gateway_metrics(prometheus::Labels base = {},
                               prometheus::Registry& registry = admin::registry());
MirrorMetrics mirror_metrics(prometheus::Labels base = {},
                             prometheus::Registry& registry = admin::registry());

// Creates every family of the catalogue in `registry` (the metric-name tool and tests).
void register_all_families(prometheus::Registry& registry);

// register_all_families plus one series per family with every catalogue label (optional ones
// too) set to "example", so an exposition shows every family (prometheus-cpp omits empty ones)
// and `promtool check metrics` lints them all.
void add_example_series_for_test(prometheus::Registry& registry);

}  // namespace meridian::admin
