#pragma once
// Metadata renders: v2 (/topics, /topics/{t}, partitions, partition offsets, /brokers) and the
// v3 resource shapes (kind + metadata{self, resource_name} + relationship links) for clusters,
// brokers, topics, partitions, replicas, configs, consumer groups, lags and the lag summary,
// plus the v3 create-topic request parse. Pure functions.

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/errc.h"
#include "gateway/model.h"

namespace meridian::gateway::json {

// ---- v2 ----
std::string render_topic_names(std::span<const std::string> names);  // ["a","b"]
std::string render_topic(const TopicInfo& topic);
std::string render_partition(const PartitionInfo& partition);
std::string render_partitions(std::span<const PartitionInfo> partitions);
std::string render_partition_offsets(const PartitionOffsets& offsets);
std::string render_brokers(std::span<const BrokerId> brokers);  // {"brokers":[1,2,3]}

// ---- v3 ----
// `base` is the absolute URL prefix of the v3 API, e.g. "http://gw:8082/v3" (for `self` links).
struct V3Context {
  std::string base;
  std::string cluster_id;
};

struct V3Broker {
  BrokerId broker_id;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
};

struct V3Topic {
  std::string topic_name;
  bool is_internal = false;
  int32_t replication_factor = 0;
  int32_t partitions_count = 0;
};

struct V3Config {
  std::string name;
  std::optional<std::string> value;
  bool is_default = false;
  bool is_read_only = false;
  bool is_sensitive = false;
  std::string source = "DYNAMIC_TOPIC_CONFIG";
};

struct V3ConsumerGroup {
  std::string consumer_group_id;
  bool is_simple = false;
  std::string partition_assignor;
  std::string state;  // STABLE, EMPTY, ...
  BrokerId coordinator;
};

struct V3Lag {
  std::string consumer_group_id;
  std::string topic_name;
  PartitionId partition_id;
  std::string consumer_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  Offset current_offset;
  Offset log_end_offset;
};

std::string render_v3_cluster(const V3Context& c, std::optional<BrokerId> controller);
std::string render_v3_clusters(const V3Context& c, std::optional<BrokerId> controller);
std::string render_v3_brokers(const V3Context& c, std::span<const V3Broker> brokers);
std::string render_v3_broker(const V3Context& c, const V3Broker& broker);
std::string render_v3_topics(const V3Context& c, std::span<const V3Topic> topics);
std::string render_v3_topic(const V3Context& c, const V3Topic& topic);
std::string render_v3_partitions(const V3Context& c, const std::string& topic,
                                 std::span<const PartitionInfo> partitions);
std::string render_v3_replicas(const V3Context& c, const std::string& topic,
                               const PartitionInfo& partition);
std::string render_v3_topic_configs(const V3Context& c, const std::string& topic,
                                    std::span<const V3Config> configs);
std::string render_v3_consumer_groups(const V3Context& c, std::span<const V3ConsumerGroup> groups);
std::string render_v3_lags(const V3Context& c, std::span<const V3Lag> lags);
// Max lag and total over `lags` (all of one group). Precondition: !lags.empty().
std::string render_v3_lag_summary(const V3Context& c, const std::string& group,
                                  std::span<const V3Lag> lags);
// {"earliest_offset":..,"latest_offset":..} with the partition's identity.
std::string render_v3_partition_offsets(const V3Context& c, const std::string& topic,
                                        PartitionId partition, const PartitionOffsets& offsets);

struct V3CreateTopic {
  std::string topic_name;
  std::optional<int32_t> partitions_count;
  std::optional<int16_t> replication_factor;
  std::vector<std::pair<std::string, std::string>> configs;
  std::map<int32_t, std::vector<int32_t>> replicas_assignments;
  bool validate_only = false;
};
// Errors are 400 (v3 uses the status as error_code).
ApiResult<V3CreateTopic> parse_v3_create_topic(std::string_view body);

}  // namespace meridian::gateway::json
