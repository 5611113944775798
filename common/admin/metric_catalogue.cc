#include "common/admin/metric_catalogue.h"

#include <array>

#include "common/admin/metric_names.h"

namespace meridian::admin {
namespace {

using enum MetricKind;
namespace m = metric;

// Help strings say what a value means to an operator, not how it is computed.
constexpr std::array kCatalogue{
    MetricSpec{m::kBuildInfo, kGauge, "version, revision",
               "Always 1; the labels carry the Meridian version and git revision."},
    MetricSpec{m::kClusterBrokers, kGauge, "[cluster]",
               "Brokers registered and alive, as seen by the active controller."},
    MetricSpec{m::kClusterTopics, kGauge, "[cluster]", "Topics in the cluster."},
    MetricSpec{m::kClusterPartitions, kGauge, "[cluster]",
               "Partitions in the cluster, all topics together."},
    MetricSpec{m::kClusterUnavailablePartitions, kGauge, "[cluster]",
               "Partitions without a live leader (offline); reads and writes to them fail."},
    MetricSpec{m::kClusterControllerActive, kGauge, "broker",
               "1 if this broker is the active controller, else 0; exactly one per cluster."},
    MetricSpec{m::kTopicPartitions, kGauge, "topic", "Partitions of the topic."},
    MetricSpec{m::kTopicReplicas, kGauge, "topic", "Replication factor of the topic."},
    MetricSpec{m::kPartitionUnderReplicated, kGauge, "topic, [partition]",
               "Partitions led here whose ISR is smaller than the replica set."},
    MetricSpec{m::kPartitionUnderMinIsr, kGauge, "topic",
               "Partitions led here whose ISR is below min.insync.replicas; acks=all fails."},
    MetricSpec{m::kPartitionInSyncReplicas, kGauge, "topic, partition",
               "Size of the partition's in-sync replica set."},
    MetricSpec{m::kPartitionHighWatermark, kGauge, "topic, partition",
               "High watermark: offset after the last record replicated to the whole ISR."},
    MetricSpec{m::kPartitionLogStartOffset, kGauge, "topic, partition",
               "First offset still in the log after retention and deletion."},
    MetricSpec{m::kPartitionIsrShrinks, kCounter, "topic",
               "Times a follower was removed from an ISR led here."},
    MetricSpec{m::kPartitionIsrExpands, kCounter, "topic",
               "Times a caught-up follower rejoined an ISR led here."},
    MetricSpec{m::kRecordsProduced, kCounter, "topic", "Records appended by produce requests."},
    MetricSpec{m::kRecordsFetched, kCounter, "topic", "Records returned to consumer fetches."},
    MetricSpec{m::kRequestBytes, kCounter, "topic, request",
               "Payload bytes by request kind (produce, fetch)."},
    MetricSpec{m::kRequestLatency, kHistogram, "request",
               "Kafka request latency from receipt to response, by request kind."},
    MetricSpec{m::kLeadershipChanges, kCounter, "topic",
               "Leader elections won by this broker for partitions of the topic."},
    MetricSpec{m::kReplicationFetchLag, kGauge, "topic, partition, follower",
               "Records a follower is behind the leader's log end offset."},
    MetricSpec{m::kStorageDiskFree, kGauge, "[broker]",
               "Free bytes on the file system holding the log directories."},
    MetricSpec{m::kStorageDiskTotal, kGauge, "[broker]",
               "Size in bytes of the file system holding the log directories."},
    MetricSpec{m::kStorageLogSize, kGauge, "topic", "Bytes of log segments of the topic."},
    MetricSpec{m::kGroupCommittedOffset, kGauge, "group, topic, partition",
               "Last offset committed by the consumer group."},
    MetricSpec{m::kGroupLag, kGauge, "group, topic, partition",
               "Records between the high watermark and the group's committed offset."},
    MetricSpec{m::kGroupTopicLag, kGauge, "group, topic",
               "Consumer group lag summed over the topic's partitions."},
    MetricSpec{m::kGroupMembers, kGauge, "group", "Members of the consumer group."},
    MetricSpec{m::kHttpRequests, kCounter, "route, method, status",
               "REST requests served, by route template, method and status code."},
    MetricSpec{m::kHttpRequestDuration, kHistogram, "route, method",
               "REST request duration from first byte read to response written."},
    MetricSpec{m::kGatewayConsumerInstances, kGauge, "",
               "REST consumer instances owned by this gateway node."},
    MetricSpec{m::kMirrorLinkState, kGauge, "link, state",
               "1 for the link's current state, 0 for the others."},
    MetricSpec{m::kMirrorLagRecords, kGauge, "link, topic, partition",
               "Records in the source partition not yet copied to the destination."},
    MetricSpec{m::kMirrorLagSeconds, kGauge, "link, topic, partition",
               "Age of the oldest source record not yet copied; 0 when caught up."},
    MetricSpec{m::kMirrorLagBytes, kGauge, "link, topic, partition",
               "Bytes not yet copied (lag in records times the mean record size seen)."},
    MetricSpec{m::kMirrorErrors, kCounter, "link, kind",
               "Errors of the link by kind (source_fetch, target_append, source_truncated, ...)."},
    MetricSpec{m::kMirrorLastError, kGauge, "link, kind",
               "Unix time of the link's most recent error of that kind."},
    MetricSpec{m::kMirrorReplicationLatency, kHistogram, "link, topic",
               "Time from a record's source append to its destination append."},
    MetricSpec{m::kMirrorRecords, kCounter, "link, topic", "Records copied by the link."},
    MetricSpec{m::kMirrorBytes, kCounter, "link, topic", "Record bytes copied by the link."},
    MetricSpec{m::kMirrorCheckpointLag, kGauge, "link, group",
               "Age of the newest consumer-group checkpoint synced to the destination."},
    MetricSpec{m::kTlsCertificateExpiresAt, kGauge, "listener",
               "Expiry of the listener's certificate, as a Unix timestamp."},
};

}  // namespace

std::string_view to_string(MetricKind kind) noexcept {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::span<const MetricSpec> metric_catalogue() noexcept { return kCatalogue; }

const MetricSpec* find_metric(std::string_view name) noexcept {
  for (const MetricSpec& spec : kCatalogue) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

std::vector<double> request_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> mirror_latency_buckets() {
  return {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
}

}  // namespace meridian::admin
