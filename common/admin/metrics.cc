#include "common/admin/metrics.h"

#include <array>
#include <string>

#include "common/admin/metric_catalogue.h"
#include "common/admin/metric_names.h"
#include "common/assert.h"

#ifndef MERIDIAN_VERSION
#define MERIDIAN_VERSION "unknown"
#endif
#ifndef MERIDIAN_REVISION
#define MERIDIAN_REVISION "unknown"
#endif

namespace meridian::admin {
namespace {

namespace m = metric;

// Looks the name up in the catalogue so help text and type live in one place; a name missing
// from the catalogue is a programming error caught by the first test that builds the struct.
const MetricSpec& spec_of(std::string_view name, MetricKind kind) {
  const MetricSpec* spec = find_metric(name);
  MERIDIAN_CHECK(spec != nullptr && spec->kind == kind);
  return *spec;
}

GaugeFamily gauge(prometheus::Registry& registry, std::string_view name,
                  const prometheus::Labels& base) {
  const MetricSpec& spec = spec_of(name, MetricKind::kGauge);
  auto& family = prometheus::BuildGauge()
                     .Name(std::string(spec.name))
                     .Help(std::string(spec.help))
                     .Register(registry);
  return GaugeFamily(family, base);
}

CounterFamily counter(prometheus::Registry& registry, std::string_view name,
                      const prometheus::Labels& base) {
  const MetricSpec& spec = spec_of(name, MetricKind::kCounter);
  auto& family = prometheus::BuildCounter()
                     .Name(std::string(spec.name))
                     .Help(std::string(spec.help))
                     .Register(registry);
  return CounterFamily(family, base);
}

HistogramFamily histogram(prometheus::Registry& registry, std::string_view name,
                          const prometheus::Labels& base, std::vector<double> buckets) {
  const MetricSpec& spec = spec_of(name, MetricKind::kHistogram);
  auto& family = prometheus::BuildHistogram()
                     .Name(std::string(spec.name))
                     .Help(std::string(spec.help))
                     .Register(registry);
  return HistogramFamily(family, base, std::move(buckets));
}

constexpr std::array kLinkStates{LinkState::kActive, LinkState::kPaused, LinkState::kConnecting,
                                 LinkState::kFailed, LinkState::kStopped};

}  // namespace

std::string_view build_version() noexcept { return MERIDIAN_VERSION; }
std::string_view build_revision() noexcept { return MERIDIAN_REVISION; }

prometheus::Registry& registry() {
  // Leaked on purpose: metric references held by long-lived objects must outlive static
  // destruction order.
  static prometheus::Registry* instance = [] {
    auto* created = new prometheus::Registry();
    register_build_info(*created, build_version(), build_revision());
    return created;
  }();
  return *instance;
}

void register_build_info(prometheus::Registry& registry, std::string_view version,
                         std::string_view revision) {
  gauge(registry, m::kBuildInfo, {})
      .add({{"version", std::string(version)}, {"revision", std::string(revision)}})
      .Set(1);
}

template <class T>
LabelledFamily<T>::LabelledFamily(prometheus::Family<T>& family, prometheus::Labels base,
                                  std::vector<double> buckets)
    : family_(&family), base_(std::move(base)), buckets_(std::move(buckets)) {}

template <class T>
prometheus::Labels LabelledFamily<T>::merged(const prometheus::Labels& labels) const {
  prometheus::Labels all = base_;
  for (const auto& [name, value] : labels) {
    all.insert_or_assign(name, value);
  }
  return all;
}

template <class T>
T& LabelledFamily<T>::add(const prometheus::Labels& labels) const {
  if constexpr (std::is_same_v<T, prometheus::Histogram>) {
    return family_->Add(merged(labels), buckets_);
  } else {
    return family_->Add(merged(labels));
  }
}

template <class T>
void LabelledFamily<T>::remove(const prometheus::Labels& labels) const {
  prometheus::Labels all = merged(labels);
  if (family_->Has(all)) {
    family_->Remove(&add(labels));
  }
}

template class LabelledFamily<prometheus::Counter>;
template class LabelledFamily<prometheus::Gauge>;
template class LabelledFamily<prometheus::Histogram>;

std::string_view to_string(LinkState state) noexcept {
  switch (state) {
    case LinkState::kActive:
      return "active";
    case LinkState::kPaused:
      return "paused";
    case LinkState::kConnecting:
      return "connecting";
    case LinkState::kFailed:
      return "failed";
    case LinkState::kStopped:
      return "stopped";
  }
  return "unknown";
}

void MirrorMetrics::set_link_state(std::string_view link, LinkState state) const {
  for (LinkState each : kLinkStates) {
    link_state.add({{"link", std::string(link)}, {"state", std::string(to_string(each))}})
        .Set(each == state ? 1 : 0);
  }
}

ProcessMetrics process_metrics(prometheus::Labels base, prometheus::Registry& registry) {
  return {.tls_certificate_expires_at = gauge(registry, m::kTlsCertificateExpiresAt, base)};
}

ClusterMetrics cluster_metrics(prometheus::Labels base, prometheus::Registry& registry) {
  return {
      .brokers = gauge(registry, m::kClusterBrokers, base),
      .topics = gauge(registry, m::kClusterTopics, base),
      .partitions = gauge(registry, m::kClusterPartitions, base),
      .unavailable_partitions = gauge(registry, m::kClusterUnavailablePartitions, base),
      .controller_active = gauge(registry, m::kClusterControllerActive, base),
      .topic_partitions = gauge(registry, m::kTopicPartitions, base),
      .topic_replicas = gauge(registry, m::kTopicReplicas, base),
  };
}

BrokerMetrics broker_metrics(prometheus::Labels base, prometheus::Registry& registry) {
  return {
      .under_replicated = gauge(registry, m::kPartitionUnderReplicated, base),
      .under_min_isr = gauge(registry, m::kPartitionUnderMinIsr, base),
      .in_sync_replicas = gauge(registry, m::kPartitionInSyncReplicas, base),
      .high_watermark = gauge(registry, m::kPartitionHighWatermark, base),
      .log_start_offset = gauge(registry, m::kPartitionLogStartOffset, base),
      .isr_shrinks = counter(registry, m::kPartitionIsrShrinks, base),
      .isr_expands = counter(registry, m::kPartitionIsrExpands, base),
      .records_produced = counter(registry, m::kRecordsProduced, base),
      .records_fetched = counter(registry, m::kRecordsFetched, base),
      .request_bytes = counter(registry, m::kRequestBytes, base),
      .request_latency = histogram(registry, m::kRequestLatency, base, request_latency_buckets()),
      .leadership_changes = counter(registry, m::kLeadershipChanges, base),
      .replication_fetch_lag = gauge(registry, m::kReplicationFetchLag, base),
      .disk_free = gauge(registry, m::kStorageDiskFree, base),
      .disk_total = gauge(registry, m::kStorageDiskTotal, base),
      .log_size = gauge(registry, m::kStorageLogSize, base),
  };
}

GroupMetrics group_metrics(prometheus::Labels base, prometheus::Registry& registry) {
  return {
      .committed_offset = gauge(registry, m::kGroupCommittedOffset, base),
      .lag = gauge(registry, m::kGroupLag, base),
      .topic_lag = gauge(registry, m::kGroupTopicLag, base),
      .members = gauge(registry, m::kGroupMembers, base),
  };
}

GatewayMetrics gateway_metrics(prometheus::Labels base, prometheus::Registry& registry) {
  return {
      .http_requests = counter(registry, m::kHttpRequests, base),
      .http_request_duration =
          histogram(registry, m::kHttpRequestDuration, base, request_latency_buckets()),
      .consumer_instances = gauge(registry, m::kGatewayConsumerInstances, base),
  };
}

MirrorMetrics mirror_metrics(prometheus::Labels base, prometheus::Registry& registry) {
  return {
      .link_state = gauge(registry, m::kMirrorLinkState, base),
      .lag_records = gauge(registry, m::kMirrorLagRecords, base),
      .lag_seconds = gauge(registry, m::kMirrorLagSeconds, base),
      .lag_bytes = gauge(registry, m::kMirrorLagBytes, base),
      .errors = counter(registry, m::kMirrorErrors, base),
      .last_error = gauge(registry, m::kMirrorLastError, base),
      .replication_latency =
          histogram(registry, m::kMirrorReplicationLatency, base, mirror_latency_buckets()),
      .records = counter(registry, m::kMirrorRecords, base),
      .bytes = counter(registry, m::kMirrorBytes, base),
      .checkpoint_lag = gauge(registry, m::kMirrorCheckpointLag, base),
  };
}

void register_all_families(prometheus::Registry& registry) {
  register_build_info(registry, build_version(), build_revision());
  (void)process_metrics({}, registry);
  (void)cluster_metrics({}, registry);
  (void)broker_metrics({}, registry);
  (void)group_metrics({}, registry);
  (void)gateway_metrics({}, registry);
  (void)mirror_metrics({}, registry);
}

void add_example_series_for_test(prometheus::Registry& registry) {
  register_all_families(registry);
  for (const MetricSpec& spec : metric_catalogue()) {
    prometheus::Labels labels;
    std::string_view rest = spec.labels;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      std::string_view label = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
      while (!label.empty() && (label.front() == ' ' || label.front() == '[')) {
        label.remove_prefix(1);
      }
      while (!label.empty() && (label.back() == ' ' || label.back() == ']')) {
        label.remove_suffix(1);
      }
      if (!label.empty()) {
        labels.emplace(std::string(label), "example");
      }
    }
    switch (spec.kind) {
      case MetricKind::kCounter:
        counter(registry, spec.name, {}).add(labels).Increment();
        break;
      case MetricKind::kGauge:
        gauge(registry, spec.name, {}).add(labels).Set(1);
        break;
      case MetricKind::kHistogram:
        histogram(registry, spec.name, {},
                  spec.name == m::kMirrorReplicationLatency ? mirror_latency_buckets()
                                                            : request_latency_buckets())
            .add(labels)
            .Observe(0.01);
        break;
    }
  }
}

}  // namespace meridian::admin
