#include "cluster/controller/state_codec.h"

#include <charconv>
#include <chrono>

#include <nlohmann/json.hpp>

namespace meridian::controller {
namespace {

using Json = nlohmann::json;

// Parses without exceptions; nullopt for malformed text or a non-object.
std::optional<Json> parse_object(std::string_view text) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return std::nullopt;
  }
  return json;
}

std::error_code bad_data() { return make_error_code(errc::bad_state_data); }

// Kafka writes "timestamp" as a decimal string; accept a number too.
int64_t timestamp_of(const Json& json) {
  auto it = json.find("timestamp");
  if (it == json.end()) {
    return 0;
  }
  if (it->is_number_integer()) {
    return it->get<int64_t>();
  }
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    int64_t value = 0;
    std::from_chars(s.data(), s.data() + s.size(), value);
    return value;
  }
  return 0;
}

std::vector<BrokerId> broker_list(const Json& json) {
  std::vector<BrokerId> out;
  for (const auto& id : json) {
    out.emplace_back(id.get<int32_t>());
  }
  return out;
}

Json id_array(const std::vector<BrokerId>& ids) {
  Json out = Json::array();
  for (BrokerId id : ids) {
    out.push_back(id.value);
  }
  return out;
}

// "PLAINTEXT://host:port" -> host, port; false if the shape differs.
bool split_endpoint(const std::string& endpoint, std::string& host, int32_t& port) {
  auto scheme = endpoint.find("://");
  auto colon = endpoint.rfind(':');
  if (scheme == std::string::npos || colon == std::string::npos || colon <= scheme + 3) {
    return false;
  }
  host = endpoint.substr(scheme + 3, colon - scheme - 3);
  auto digits = std::string_view(endpoint).substr(colon + 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

}  // namespace

std::string broker_path(BrokerId id) {
  return std::string(kBrokerIdsPath) + "/" + std::to_string(id.value);
}
std::string topic_path(const std::string& topic) { return std::string(kTopicsPath) + "/" + topic; }
std::string partitions_path(const std::string& topic) { return topic_path(topic) + "/partitions"; }
std::string partition_path(const std::string& topic, PartitionId partition) {
  return partitions_path(topic) + "/" + std::to_string(partition.value);
}
std::string partition_state_path(const std::string& topic, PartitionId partition) {
  return partition_path(topic, partition) + "/state";
}
std::string delete_topic_path(const std::string& topic) {
  return std::string(kDeleteTopicsPath) + "/" + topic;
}
std::string topic_config_path(const std::string& topic) {
  return std::string(kTopicConfigsPath) + "/" + topic;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string encode_broker(const BrokerRegistration& broker) {
  Json endpoints = Json::array();
  if (broker.endpoints.empty()) {
    endpoints.push_back("PLAINTEXT://" + broker.host + ":" + std::to_string(broker.port));
  } else {
    for (const auto& e : broker.endpoints) {
      endpoints.push_back(e);
    }
  }
  Json json = {{"version", 5},
               {"host", broker.host},
               {"port", broker.port},
               {"endpoints", endpoints},
               {"listener_security_protocol_map", {{"PLAINTEXT", "PLAINTEXT"}}},
               {"jmx_port", -1},
               {"timestamp", std::to_string(broker.timestamp_ms)}};
  json["rack"] = broker.rack ? Json(*broker.rack) : Json(nullptr);
  return json.dump();
}

Result<BrokerRegistration> decode_broker(BrokerId id, std::string_view text) {
  auto json = parse_object(text);
  if (!json) {
    return bad_data();
  }
  try {
    BrokerRegistration out;
    out.id = id;
    if (auto it = json->find("host"); it != json->end() && it->is_string()) {
      out.host = it->get<std::string>();
    }
    out.port = -1;
    if (auto it = json->find("port"); it != json->end() && it->is_number_integer()) {
      out.port = it->get<int32_t>();
    }
    if (auto it = json->find("endpoints"); it != json->end()) {
      out.endpoints = it->get<std::vector<std::string>>();
    }
    // Kafka >= 0.10 may write host null / port -1 and only endpoints: take the first.
    if ((out.host.empty() || out.port < 0) && !out.endpoints.empty() &&
        !split_endpoint(out.endpoints.front(), out.host, out.port)) {
      return bad_data();
    }
    if (auto it = json->find("rack"); it != json->end() && it->is_string()) {
      out.rack = it->get<std::string>();
    }
    out.timestamp_ms = timestamp_of(*json);
    return out;
  } catch (const Json::exception&) {
    return bad_data();
  }
}

std::string encode_assignment(const ReplicaAssignment& assignment) {
  Json partitions = Json::object();
  for (size_t p = 0; p < assignment.size(); ++p) {
    partitions[std::to_string(p)] = id_array(assignment[p]);
  }
  return Json{{"version", 2}, {"partitions", partitions}}.dump();
}

Result<ReplicaAssignment> decode_assignment(std::string_view text) {
  auto json = parse_object(text);
  if (!json) {
    return bad_data();
  }
  try {
    const Json& partitions = json->at("partitions");
    if (!partitions.is_object()) {
      return bad_data();
    }
    ReplicaAssignment out(partitions.size());
    std::vector<bool> seen(partitions.size(), false);
    for (const auto& [key, replicas] : partitions.items()) {
      size_t p = 0;
      auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), p);
      if (ec != std::errc() || ptr != key.data() + key.size() || p >= out.size() || seen[p]) {
        return bad_data();
      }
      seen[p] = true;
      out[p] = broker_list(replicas);
    }
    return out;
  } catch (const Json::exception&) {
    return bad_data();
  }
}

std::string encode_partition_state(const PartitionStateData& state) {
  return Json{{"controller_epoch", state.controller_epoch},
              {"leader", state.leader.value},
              {"version", 1},
              {"leader_epoch", state.leader_epoch.value},
              {"isr", id_array(state.isr)}}
      .dump();
}

Result<PartitionStateData> decode_partition_state(std::string_view text) {
  auto json = parse_object(text);
  if (!json) {
    return bad_data();
  }
  try {
    PartitionStateData out;
    out.controller_epoch = json->at("controller_epoch").get<int32_t>();
    out.leader = BrokerId(json->at("leader").get<int32_t>());
    out.leader_epoch = LeaderEpoch(json->at("leader_epoch").get<int32_t>());
    out.isr = broker_list(json->at("isr"));
    return out;
  } catch (const Json::exception&) {
    return bad_data();
  }
}

std::string encode_controller(const ControllerData& controller) {
  return Json{{"version", 1},
              {"brokerid", controller.broker_id.value},
              {"timestamp", std::to_string(controller.timestamp_ms)}}
      .dump();
}

Result<ControllerData> decode_controller(std::string_view text) {
  auto json = parse_object(text);
  if (!json) {
    return bad_data();
  }
  try {
    return ControllerData{BrokerId(json->at("brokerid").get<int32_t>()), timestamp_of(*json)};
  } catch (const Json::exception&) {
    return bad_data();
  }
}

std::string encode_controller_epoch(int32_t epoch) { return std::to_string(epoch); }

Result<int32_t> decode_controller_epoch(std::string_view text) {
  int32_t epoch = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), epoch);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || epoch < 0) {
    return bad_data();
  }
  return epoch;
}

std::string encode_topic_config(const TopicConfig& config) {
  return Json{{"version", 1}, {"config", config}}.dump();
}

Result<TopicConfig> decode_topic_config(std::string_view text) {
  auto json = parse_object(text);
  if (!json) {
    return bad_data();
  }
  try {
    auto it = json->find("config");
    if (it == json->end()) {
      return TopicConfig{};
    }
    return it->get<TopicConfig>();
  } catch (const Json::exception&) {
    return bad_data();
  }
}

std::string encode_isr_change(const std::vector<TopicPartition>& partitions) {
  Json list = Json::array();
  for (const auto& tp : partitions) {
    list.push_back({{"topic", tp.topic}, {"partition", tp.partition.value}});
  }
  return Json{{"version", 1}, {"partitions", list}}.dump();
}

Result<std::vector<TopicPartition>> decode_isr_change(std::string_view text) {
  auto json = parse_object(text);
  if (!json) {
    return bad_data();
  }
  try {
    std::vector<TopicPartition> out;
    for (const auto& entry : json->at("partitions")) {
      out.push_back({entry.at("topic").get<std::string>(),
                     PartitionId(entry.at("partition").get<int32_t>())});
    }
    return out;
  } catch (const Json::exception&) {
    return bad_data();
  }
}

}  // namespace meridian::controller
