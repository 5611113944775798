#pragma once
// The topic-level configs Meridian knows (Kafka's LogConfig keys) and the broker configs it can
// describe, for DescribeConfigs / AlterConfigs (config_extension.h) and for applying topic
// overrides to partitions (config_applier.h).
//
// A topic key's default is its broker synonym's value (retention.ms <- log.retention.ms), as in
// Kafka; the source is STATIC_BROKER_CONFIG when the broker sets it away from Kafka's default,
// DEFAULT_CONFIG otherwise, TOPIC_CONFIG for an override stored in /config/topics/<t>.
// Keys marked `applied` change partition behaviour (retention, roll, flush, min ISR); the rest
// are validated and kept as data for tools (cleanup.policy, compression.type, ...).
//
// Pure functions; safe from any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cluster/broker/broker_config.h"
#include "cluster/log/log_types.h"
#include "cluster/replication/partition.h"

namespace meridian::broker {

// Kafka's DescribeConfigsResponse.ConfigSource.
enum class ConfigSource : int8_t {
  kTopic = 1,
  kStaticBroker = 4,
  kDefault = 5,
};

enum class ConfigKind : uint8_t { kLong, kInt, kBool, kDouble, kChoice, kList, kString };

struct TopicConfigKey {
  const char* name;
  const char* broker_synonym;  // the broker key whose value is the default
  ConfigKind kind;
  const char* kafka_default;  // when the broker does not know the synonym
  int64_t min = INT64_MIN;    // kLong / kInt
  int64_t max = INT64_MAX;
  std::vector<std::string> choices;  // kChoice / kList
  bool applied = false;
};

std::span<const TopicConfigKey> topic_config_keys();
const TopicConfigKey* find_topic_config_key(const std::string& name);

// Checks one topic config; returns Kafka's error message (INVALID_CONFIG) or nullopt.
std::optional<std::string> validate_topic_config(const std::string& name, const std::string& value);

// One described entry.
struct DescribedConfig {
  std::string name;
  std::string value;
  ConfigSource source = ConfigSource::kDefault;
  bool read_only = false;
  // Kafka's order: the entry's own source first, then the broker's static value, then default.
  std::vector<std::pair<std::string, std::pair<std::string, ConfigSource>>> synonyms;
};

// Every known topic key (plus unknown stored overrides) for a topic with `overrides`.
std::vector<DescribedConfig> describe_topic_configs(
    const std::map<std::string, std::string>& overrides, const BrokerConfig& broker);
// The broker configs this broker can state (read-only: Meridian has no dynamic broker configs).
std::vector<DescribedConfig> describe_broker_configs(const BrokerConfig& broker);

// The effective log and partition config of a topic: `base_*` (the broker's) with the applied
// overrides on top. Values that fail validation are ignored (AlterConfigs validated them).
struct EffectiveTopicConfig {
  log::LogConfig log;
  replication::PartitionConfig partition;
  bool operator==(const EffectiveTopicConfig& o) const;
};
EffectiveTopicConfig effective_topic_config(const std::map<std::string, std::string>& overrides,
                                            const log::LogConfig& base_log,
                                            const replication::PartitionConfig& base_partition);

}  // namespace meridian::broker
