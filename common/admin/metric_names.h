#pragma once
// Every Prometheus metric name Meridian exports, in one place. grafana/ dashboards and
// deploy/prometheus/alerts.yml use only these names; a test (tests/integration/prometheus_rules)
// fails when a dashboard or alert refers to a name that is not here. Naming follows
// CONVENTIONS.md §1: `meridian_` prefix, base units, counters end in `_total`.

#include <string_view>

namespace meridian::admin::metric {

// Process.
inline constexpr std::string_view kBuildInfo = "meridian_build_info";
inline constexpr std::string_view kTlsCertificateExpiresAt =
    "meridian_tls_certificate_expires_at_timestamp_seconds";

// Cluster (reported by the controller).
inline constexpr std::string_view kClusterBrokers = "meridian_cluster_brokers";
inline constexpr std::string_view kClusterTopics = "meridian_cluster_topics";
inline constexpr std::string_view kClusterPartitions = "meridian_cluster_partitions";
inline constexpr std::string_view kClusterUnavailablePartitions =
    "meridian_cluster_unavailable_partitions";
inline constexpr std::string_view kClusterControllerActive = "meridian_cluster_controller_active";
inline constexpr std::string_view kTopicPartitions = "meridian_topic_partitions";
inline constexpr std::string_view kTopicReplicas = "meridian_topic_replicas";

// Partitions and requests (reported by each broker for the partitions it leads).
inline constexpr std::string_view kPartitionUnderReplicated = "meridian_partition_under_replicated";
inline constexpr std::string_view kPartitionUnderMinIsr = "meridian_partition_under_min_isr";
inline constexpr std::string_view kPartitionInSyncReplicas = "meridian_partition_in_sync_replicas";
inline constexpr std::string_view kPartitionHighWatermark = "meridian_partition_high_watermark";
inline constexpr std::string_view kPartitionLogStartOffset = "meridian_partition_log_start_offset";
inline constexpr std::string_view kPartitionIsrShrinks = "meridian_partition_isr_shrinks_total";
inline constexpr std::string_view kPartitionIsrExpands = "meridian_partition_isr_expands_total";
inline constexpr std::string_view kRecordsProduced = "meridian_records_produced_total";
inline constexpr std::string_view kRecordsFetched = "meridian_records_fetched_total";
inline constexpr std::string_view kRequestBytes = "meridian_request_bytes_total";
inline constexpr std::string_view kRequestLatency = "meridian_request_latency_seconds";
inline constexpr std::string_view kLeadershipChanges = "meridian_leadership_changes_total";
inline constexpr std::string_view kReplicationFetchLag = "meridian_replication_fetch_lag_records";
inline constexpr std::string_view kStorageDiskFree = "meridian_storage_disk_free_bytes";
inline constexpr std::string_view kStorageDiskTotal = "meridian_storage_disk_total_bytes";
inline constexpr std::string_view kStorageLogSize = "meridian_storage_log_size_bytes";

// Consumer groups (reported by the group coordinator).
inline constexpr std::string_view kGroupCommittedOffset =
    "meridian_consumer_group_committed_offset";
inline constexpr std::string_view kGroupLag = "meridian_consumer_group_lag";
// Per-topic sum of kGroupLag. Not `..._lag_sum` (kafka_exporter's name): promtool's linter
// reserves the `_sum` suffix for histograms and summaries.
inline constexpr std::string_view kGroupTopicLag = "meridian_consumer_group_topic_lag";
inline constexpr std::string_view kGroupMembers = "meridian_consumer_group_members";

// REST gateway.
inline constexpr std::string_view kHttpRequests = "meridian_http_requests_total";
inline constexpr std::string_view kHttpRequestDuration = "meridian_http_request_duration_seconds";
inline constexpr std::string_view kGatewayConsumerInstances = "meridian_gateway_consumer_instances";

// Mirror (cross-DC link).
inline constexpr std::string_view kMirrorLinkState = "meridian_mirror_link_state";
inline constexpr std::string_view kMirrorLagRecords = "meridian_mirror_lag_records";
inline constexpr std::string_view kMirrorLagSeconds = "meridian_mirror_lag_seconds";
inline constexpr std::string_view kMirrorLagBytes = "meridian_mirror_lag_bytes";
inline constexpr std::string_view kMirrorErrors = "meridian_mirror_errors_total";
inline constexpr std::string_view kMirrorLastError =
    "meridian_mirror_last_error_timestamp_seconds";
inline constexpr std::string_view kMirrorReplicationLatency =
    "meridian_mirror_replication_latency_seconds";
inline constexpr std::string_view kMirrorRecords = "meridian_mirror_records_total";
inline constexpr std::string_view kMirrorBytes = "meridian_mirror_bytes_total";
inline constexpr std::string_view kMirrorCheckpointLag = "meridian_mirror_checkpoint_lag_seconds";

}  // namespace meridian::admin::metric
