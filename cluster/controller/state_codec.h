#pragma once
// JSON codecs and paths of the controller's nodes in the coordination store, in Kafka's
// ZooKeeper formats so operators can read them with zkCli (cluster/coord/README.md):
//   /brokers/ids/<id>                  {"version":5,"host","port","rack","endpoints",...}
//   /brokers/topics/<t>                {"version":2,"partitions":{"0":[1,2,3],...}}
//   /brokers/topics/<t>/partitions/<p>/state
//                                      {"controller_epoch","leader","version":1,"leader_epoch","isr"}
//   /controller                        {"version":1,"brokerid":N,"timestamp":"..."}
//   /controller_epoch                  decimal
//   /config/topics/<t>                 {"version":1,"config":{...}}
//   /isr_change_notification/isr_change_<seq>  {"version":1,"partitions":[{"topic","partition"}]}
// Decoders never throw: malformed input is errc::bad_state_data.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/controller/errc.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::controller {

inline constexpr const char* kBrokerIdsPath = "/brokers/ids";
inline constexpr const char* kTopicsPath = "/brokers/topics";
inline constexpr const char* kControllerPath = "/controller";
inline constexpr const char* kControllerEpochPath = "/controller_epoch";
inline constexpr const char* kDeleteTopicsPath = "/admin/delete_topics";
inline constexpr const char* kTopicConfigsPath = "/config/topics";
inline constexpr const char* kIsrChangePath = "/isr_change_notification";
inline constexpr const char* kIsrChangePrefix = "/isr_change_notification/isr_change_";

std::string broker_path(BrokerId id);
std::string topic_path(const std::string& topic);
std::string partitions_path(const std::string& topic);
std::string partition_path(const std::string& topic, PartitionId partition);
std::string partition_state_path(const std::string& topic, PartitionId partition);
std::string delete_topic_path(const std::string& topic);
std::string topic_config_path(const std::string& topic);

struct TopicPartition {
  std::string topic;
  PartitionId partition{0};
  auto operator<=>(const TopicPartition&) const = default;
};

struct BrokerRegistration {
  BrokerId id{-1};
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
  std::vector<std::string> endpoints;  // "PLAINTEXT://host:port"; derived from host:port if empty
  int64_t timestamp_ms = 0;
  bool operator==(const BrokerRegistration&) const = default;
};

// Replica lists indexed by partition id; the first replica is the preferred leader.
using ReplicaAssignment = std::vector<std::vector<BrokerId>>;

struct PartitionStateData {
  int32_t controller_epoch = 0;
  BrokerId leader{-1};  // -1: offline
  LeaderEpoch leader_epoch{0};
  std::vector<BrokerId> isr;
  bool operator==(const PartitionStateData&) const = default;
};

struct ControllerData {
  BrokerId broker_id{-1};
  int64_t timestamp_ms = 0;
};

using TopicConfig = std::map<std::string, std::string>;

std::string encode_broker(const BrokerRegistration& broker);
// `id` comes from the node's name (Kafka does not store it in the data).
Result<BrokerRegistration> decode_broker(BrokerId id, std::string_view json);

std::string encode_assignment(const ReplicaAssignment& assignment);
// Errors: bad_state_data (also when partition ids are not exactly 0..n-1).
Result<ReplicaAssignment> decode_assignment(std::string_view json);

std::string encode_partition_state(const PartitionStateData& state);
Result<PartitionStateData> decode_partition_state(std::string_view json);

std::string encode_controller(const ControllerData& controller);
Result<ControllerData> decode_controller(std::string_view json);

std::string encode_controller_epoch(int32_t epoch);
Result<int32_t> decode_controller_epoch(std::string_view text);

std::string encode_topic_config(const TopicConfig& config);
Result<TopicConfig> decode_topic_config(std::string_view json);

std::string encode_isr_change(const std::vector<TopicPartition>& partitions);
Result<std::vector<TopicPartition>> decode_isr_change(std::string_view json);

int64_t now_ms();

}  // namespace meridian::controller
