#include "cluster/broker/config_catalog.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <sstream>

namespace meridian::broker {
namespace {

constexpr int64_t kLongMax = INT64_MAX;
constexpr int64_t kIntMax = INT32_MAX;
const std::string kLongMaxText = std::to_string(kLongMax);

std::vector<TopicConfigKey> make_topic_keys() {
  using K = ConfigKind;
  // Kafka 2.x LogConfig, in its (alphabetical) describe order. segment.ms's synonym is Meridian's
  // log.segment.ms (Kafka: log.roll.ms). Minimum segment.bytes is the log's own lower bound.
  return {
      {"cleanup.policy", "log.cleanup.policy", K::kList, "delete", 0, 0, {"delete", "compact"}},
      {"compression.type",
       "compression.type",
       K::kChoice,
       "producer",
       0,
       0,
       {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}},
      {"delete.retention.ms", "log.cleaner.delete.retention.ms", K::kLong, "86400000", 0},
      {"file.delete.delay.ms", "log.segment.delete.delay.ms", K::kLong, "60000", 0},
      {"flush.messages",
       "log.flush.interval.messages",
       K::kLong,
       "9223372036854775807",
       1,
       kLongMax,
       {},
       true},
      {"flush.ms", "log.flush.interval.ms", K::kLong, "9223372036854775807", 0, kLongMax, {}, true},
      {"follower.replication.throttled.replicas", "follower.replication.throttled.replicas",
       K::kString, ""},
      {"index.interval.bytes", "log.index.interval.bytes", K::kInt, "4096", 0, kIntMax, {}, true},
      {"leader.replication.throttled.replicas", "leader.replication.throttled.replicas", K::kString,
       ""},
      {"max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", K::kLong,
       "9223372036854775807", 1},
      {"max.message.bytes", "message.max.bytes", K::kInt, "1048588", 0, kIntMax},
      {"message.downconversion.enable", "log.message.downconversion.enable", K::kBool, "true"},
      {"message.timestamp.difference.max.ms", "log.message.timestamp.difference.max.ms", K::kLong,
       "9223372036854775807", 0},
      {"message.timestamp.type",
       "log.message.timestamp.type",
       K::kChoice,
       "CreateTime",
       0,
       0,
       {"CreateTime", "LogAppendTime"}},
      {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio", K::kDouble, "0.5"},
      {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", K::kLong, "0", 0},
      {"min.insync.replicas", "min.insync.replicas", K::kInt, "1", 1, kIntMax, {}, true},
      {"preallocate", "log.preallocate", K::kBool, "false"},
      {"retention.bytes", "log.retention.bytes", K::kLong, "-1", -1, kLongMax, {}, true},
      {"retention.ms", "log.retention.ms", K::kLong, "604800000", -1, kLongMax, {}, true},
      {"segment.bytes", "log.segment.bytes", K::kInt, "1073741824", 128, kIntMax, {}, true},
      {"segment.index.bytes", "log.index.size.max.bytes", K::kInt, "10485760", 4},
      {"segment.jitter.ms", "log.roll.jitter.ms", K::kLong, "0", 0},
      {"segment.ms", "log.segment.ms", K::kLong, "604800000", 1, kLongMax, {}, true},
      {"unclean.leader.election.enable",
       "unclean.leader.election.enable",
       K::kBool,
       "false",
       0,
       0,
       {},
       true},
  };
}

const std::vector<TopicConfigKey>& topic_keys() {
  static const std::vector<TopicConfigKey> keys = make_topic_keys();
  return keys;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

// The broker keys whose value this broker knows, as text.
using BrokerGetter = std::function<std::string(const BrokerConfig&)>;
const std::vector<std::pair<std::string, BrokerGetter>>& broker_getters() {
  static const std::vector<std::pair<std::string, BrokerGetter>> getters = {
      {"advertised.listeners", [](const BrokerConfig& c) { return join(c.advertised_listeners); }},
      {"auto.create.topics.enable",
       [](const BrokerConfig& c) {
         return std::string(c.auto_create_topics_enable ? "true" : "false");
       }},
      {"broker.id", [](const BrokerConfig& c) { return std::to_string(c.broker_id.value); }},
      {"broker.rack", [](const BrokerConfig& c) { return c.broker_rack; }},
      {"default.replication.factor",
       [](const BrokerConfig& c) { return std::to_string(c.default_replication_factor); }},
      {"listeners", [](const BrokerConfig& c) { return join(c.listeners); }},
      {"log.dirs", [](const BrokerConfig& c) { return join(c.log_dirs); }},
      {"log.flush.interval.messages",
       [](const BrokerConfig& c) { return std::to_string(c.log_flush_interval_messages); }},
      {"log.flush.interval.ms",
       [](const BrokerConfig& c) { return std::to_string(c.log_flush_interval_ms); }},
      {"log.index.interval.bytes",
       [](const BrokerConfig& c) { return std::to_string(c.log_index_interval_bytes); }},
      {"log.retention.bytes",
       [](const BrokerConfig& c) { return std::to_string(c.log_retention_bytes); }},
      {"log.retention.ms",
       [](const BrokerConfig& c) { return std::to_string(c.log_retention_ms); }},
      {"log.segment.bytes",
       [](const BrokerConfig& c) { return std::to_string(c.log_segment_bytes); }},
      {"log.segment.ms",
       [](const BrokerConfig& c) { return std::to_string(c.log_segment_ms.count()); }},
      {"message.max.bytes",
       [](const BrokerConfig& c) { return std::to_string(c.message_max_bytes); }},
      {"min.insync.replicas",
       [](const BrokerConfig& c) { return std::to_string(c.min_insync_replicas); }},
      {"num.partitions", [](const BrokerConfig& c) { return std::to_string(c.num_partitions); }},
      {"replica.lag.time.max.ms",
       [](const BrokerConfig& c) { return std::to_string(c.replica_lag_time_max.count()); }},
      {"socket.request.max.bytes",
       [](const BrokerConfig& c) { return std::to_string(c.socket_request_max_bytes); }},
      {"unclean.leader.election.enable",
       [](const BrokerConfig& c) {
         return std::string(c.unclean_leader_election_enable ? "true" : "false");
       }},
      {"zookeeper.connect", [](const BrokerConfig& c) { return c.zookeeper_connect; }},
      {"zookeeper.session.timeout.ms",
       [](const BrokerConfig& c) { return std::to_string(c.zookeeper_session_timeout.count()); }},
  };
  return getters;
}

// The broker's value of `key` and whether it differs from the schema default.
std::optional<std::pair<std::string, bool>> broker_value(const BrokerConfig& broker,
                                                         const std::string& key) {
  for (const auto& [name, get] : broker_getters()) {
    if (name == key) {
      std::string value = get(broker);
      const auto* spec = broker_schema().find(key);
      bool is_default = spec && spec->default_value && *spec->default_value == value;
      return std::pair{value, !is_default};
    }
  }
  return std::nullopt;
}

// The topic view of a broker value: Meridian's "-1 = never" flush interval is Kafka's Long.MAX.
std::string topic_view(const TopicConfigKey& key, std::string value) {
  if (std::string_view(key.name) == "flush.ms" && value == "-1") {
    return kLongMaxText;
  }
  return value;
}

std::optional<int64_t> parse_long(const std::string& text) {
  int64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return out;
}

std::string type_name(ConfigKind kind) {
  switch (kind) {
    case ConfigKind::kLong:
      return "LONG";
    case ConfigKind::kInt:
      return "INT";
    case ConfigKind::kBool:
      return "BOOLEAN";
    case ConfigKind::kDouble:
      return "DOUBLE";
    case ConfigKind::kChoice:
      return "STRING";
    case ConfigKind::kList:
      return "LIST";
    case ConfigKind::kString:
      return "STRING";
  }
  return "STRING";
}

}  // namespace

std::span<const TopicConfigKey> topic_config_keys() { return topic_keys(); }

const TopicConfigKey* find_topic_config_key(const std::string& name) {
  for (const auto& key : topic_keys()) {
    if (name == key.name) {
      return &key;
    }
  }
  return nullptr;
}

// Messages follow Kafka's ConfigDef ("Invalid value X for configuration Y: ...").
std::optional<std::string> validate_topic_config(const std::string& name,
                                                 const std::string& value) {
  const TopicConfigKey* key = find_topic_config_key(name);
  if (key == nullptr) {
    return "Unknown topic config name: " + name;
  }
  auto invalid = [&](const std::string& why) {
    return "Invalid value " + value + " for configuration " + name + ": " + why;
  };
  switch (key->kind) {
    case ConfigKind::kLong:
    case ConfigKind::kInt: {
      auto n = parse_long(value);
      if (!n || (key->kind == ConfigKind::kInt && (*n < INT32_MIN || *n > INT32_MAX))) {
        return invalid(std::string("Not a number of type ") + type_name(key->kind));
      }
      if (*n < key->min) {
        return invalid(std::string("Value must be at least ") + std::to_string(key->min));
      }
      if (*n > key->max) {
        return invalid(std::string("Value must be no more than ") + std::to_string(key->max));
      }
      return std::nullopt;
    }
    case ConfigKind::kBool:
      if (value != "true" && value != "false") {
        return invalid("Expected value to be either true or false");
      }
      return std::nullopt;
    case ConfigKind::kDouble: {
      char* end = nullptr;
      double d = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() || d < 0 || d > 1) {
        return invalid("Value must be a number between 0 and 1");
      }
      return std::nullopt;
    }
    case ConfigKind::kChoice:
      if (std::find(key->choices.begin(), key->choices.end(), value) == key->choices.end()) {
        return invalid(std::string("String must be one of: ") + join(key->choices));
      }
      return std::nullopt;
    case ConfigKind::kList: {
      std::stringstream items(value);
      std::string item;
      bool any = false;
      while (std::getline(items, item, ',')) {
        any = true;
        if (std::find(key->choices.begin(), key->choices.end(), item) == key->choices.end()) {
          return invalid(std::string("List items must be in: ") + join(key->choices));
        }
      }
      if (!any) {
        return invalid("Empty list");
      }
      return std::nullopt;
    }
    case ConfigKind::kString:
      return std::nullopt;
  }
  return std::nullopt;
}

std::vector<DescribedConfig> describe_topic_configs(
    const std::map<std::string, std::string>& overrides, const BrokerConfig& broker) {
  std::vector<DescribedConfig> out;
  for (const auto& key : topic_keys()) {
    DescribedConfig c;
    c.name = key.name;
    auto from_broker = broker_value(broker, key.broker_synonym);
    std::string default_value = key.kafka_default;
    if (from_broker) {
      // The broker's schema default is what Kafka would report as DEFAULT_CONFIG.
      const auto* spec = broker_schema().find(key.broker_synonym);
      if (spec && spec->default_value) {
        default_value = topic_view(key, *spec->default_value);
      }
    }
    if (auto it = overrides.find(key.name); it != overrides.end()) {
      c.value = it->second;
      c.source = ConfigSource::kTopic;
      c.synonyms.push_back({key.name, {it->second, ConfigSource::kTopic}});
    }
    if (from_broker && from_broker->second) {
      std::string value = topic_view(key, from_broker->first);
      if (c.synonyms.empty()) {
        c.value = value;
        c.source = ConfigSource::kStaticBroker;
      }
      c.synonyms.push_back({key.broker_synonym, {value, ConfigSource::kStaticBroker}});
    }
    if (c.synonyms.empty()) {
      c.value = default_value;
      c.source = ConfigSource::kDefault;
    }
    c.synonyms.push_back({key.broker_synonym, {default_value, ConfigSource::kDefault}});
    out.push_back(std::move(c));
  }
  for (const auto& [name, value] : overrides) {
    if (find_topic_config_key(name) == nullptr) {
      DescribedConfig c{
          name, value, ConfigSource::kTopic, false, {{name, {value, ConfigSource::kTopic}}}};
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<DescribedConfig> describe_broker_configs(const BrokerConfig& broker) {
  std::vector<DescribedConfig> out;
  for (const auto& [name, get] : broker_getters()) {
    auto value = broker_value(broker, name);
    DescribedConfig c;
    c.name = name;
    c.value = value->first;
    c.read_only = true;
    c.source = value->second ? ConfigSource::kStaticBroker : ConfigSource::kDefault;
    if (value->second) {
      c.synonyms.push_back({name, {value->first, ConfigSource::kStaticBroker}});
    }
    const auto* spec = broker_schema().find(name);
    if (spec && spec->default_value) {
      c.synonyms.push_back({name, {*spec->default_value, ConfigSource::kDefault}});
    }
    out.push_back(std::move(c));
  }
  return out;
}

bool EffectiveTopicConfig::operator==(const EffectiveTopicConfig& o) const {
  return log.segment_bytes == o.log.segment_bytes && log.segment_ms == o.log.segment_ms &&
         log.retention_ms == o.log.retention_ms && log.retention_bytes == o.log.retention_bytes &&
         log.flush_messages == o.log.flush_messages && log.flush_ms == o.log.flush_ms &&
         log.index_interval_bytes == o.log.index_interval_bytes &&
         partition.min_insync_replicas == o.partition.min_insync_replicas &&
         partition.replica_lag_time_max == o.partition.replica_lag_time_max;
}

EffectiveTopicConfig effective_topic_config(const std::map<std::string, std::string>& overrides,
                                            const log::LogConfig& base_log,
                                            const replication::PartitionConfig& base_partition) {
  EffectiveTopicConfig out{base_log, base_partition};
  auto number = [&](const char* name) -> std::optional<int64_t> {
    auto it = overrides.find(name);
    if (it == overrides.end() || validate_topic_config(name, it->second)) {
      return std::nullopt;
    }
    return parse_long(it->second);
  };
  if (auto v = number("segment.bytes")) out.log.segment_bytes = *v;
  if (auto v = number("segment.ms")) out.log.segment_ms = *v;
  if (auto v = number("retention.ms")) out.log.retention_ms = *v;
  if (auto v = number("retention.bytes")) out.log.retention_bytes = *v;
  if (auto v = number("flush.messages")) out.log.flush_messages = *v;
  if (auto v = number("flush.ms")) out.log.flush_ms = *v;
  if (auto v = number("index.interval.bytes")) out.log.index_interval_bytes = *v;
  if (auto v = number("min.insync.replicas")) {
    out.partition.min_insync_replicas = static_cast<int16_t>(std::min<int64_t>(*v, INT16_MAX));
  }
  // cleanup.policy & co. drive the log cleaner (cluster/log/partition_log_clean.cc).
  log::apply_cleanup_overrides(overrides, out.log);
  return out;
}

}  // namespace meridian::broker
