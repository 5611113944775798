#pragma once
// The broker's configuration: Kafka's key names and defaults, loaded through common/config.h
// (YAML file < MERIDIAN_* environment < --set). Every key is listed with its default and doc in
// broker_schema(); docs/configuration.md is generated from the same table.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/ids.h"

namespace meridian::broker {

// Kafka's "not set" for log.flush.interval.messages: never flush on a message count.
inline constexpr int64_t kNeverFlush = INT64_MAX;

struct BrokerConfig {
  BrokerId broker_id{0};
  std::string broker_rack;
  std::vector<std::string> log_dirs;
  std::vector<std::string> listeners;
  std::vector<std::string> advertised_listeners;
  std::string admin_listener;
  std::string zookeeper_connect;  // empty: embedded coordination (meridian dev only)
  std::chrono::milliseconds zookeeper_session_timeout{18000};
  int32_t num_partitions = 1;
  int16_t default_replication_factor = 1;
  int16_t min_insync_replicas = 1;
  std::chrono::milliseconds replica_lag_time_max{30000};
  bool unclean_leader_election_enable = false;
  // Controlled shutdown on SIGTERM / stop(): ask the controller to move leadership away first.
  bool controlled_shutdown_enable = true;
  int32_t controlled_shutdown_max_retries = 3;
  std::chrono::milliseconds controlled_shutdown_retry_backoff{5000};
  // Automatic preferred-leader rebalance run by the active controller.
  bool auto_leader_rebalance_enable = true;
  std::chrono::seconds leader_imbalance_check_interval{300};
  int32_t leader_imbalance_per_broker_percentage = 10;
  bool auto_create_topics_enable = true;
  // Group coordinator (issue 5), Kafka's keys. 50 partitions as in Kafka (see group_coordinator.h).
  int32_t offsets_topic_num_partitions = 50;
  int16_t offsets_topic_replication_factor = 3;
  std::chrono::milliseconds offsets_commit_timeout{5000};
  int32_t offset_metadata_max_bytes = 4096;
  std::chrono::milliseconds group_min_session_timeout{6000};
  std::chrono::milliseconds group_max_session_timeout{1800000};
  std::chrono::milliseconds group_initial_rebalance_delay{3000};
  int64_t log_segment_bytes = 1073741824;
  int64_t log_writeback_bytes = 4194304;  // log.writeback.bytes (LogConfig::writeback_bytes)
  std::chrono::milliseconds log_segment_ms{604800000};
  int64_t log_retention_ms = 604800000;  // -1: unlimited
  int64_t log_retention_bytes = -1;      // -1: unlimited
  int64_t log_flush_interval_messages = kNeverFlush;
  int64_t log_flush_interval_ms = -1;  // -1: only by the scheduler / never
  int32_t log_index_interval_bytes = 4096;
  int32_t message_max_bytes = 1048588;
  int32_t socket_request_max_bytes = 104857600;

  // Throws config::ConfigError for values that are valid one by one but not together.
  static BrokerConfig from_values(const config::Values& values);
};

const config::Schema& broker_schema();

// Loads and validates; throws config::ConfigError with a one-line message.
BrokerConfig load_broker_config(const config::LoadOptions& options);

}  // namespace meridian::broker
