#include "gateway/json/metadata.h"

#include <charconv>

#include "gateway/json/json_util.h"

namespace meridian::gateway::json {
namespace {

// Field order matters to people reading responses, not to parsers; ordered_json keeps ours.
using OJson = nlohmann::ordered_json;

OJson v2_partition(const PartitionInfo& p) {
  OJson replicas = OJson::array();
  for (const auto& r : p.replicas) {
    replicas.push_back({{"broker", r.broker.value}, {"leader", r.leader}, {"in_sync", r.in_sync}});
  }
  return {{"partition", p.partition.value}, {"leader", p.leader.value}, {"replicas", replicas}};
}

std::string crn(const V3Context& c, std::string_view rest) {
  std::string out = "crn:///kafka=" + c.cluster_id;
  if (!rest.empty()) {
    out += "/";
    out.append(rest);
  }
  return out;
}

std::string url(const V3Context& c, std::string_view rest) {
  std::string out = c.base + "/clusters/" + c.cluster_id;
  if (!rest.empty()) {
    out += "/";
    out.append(rest);
  }
  return out;
}

OJson related(const V3Context& c, std::string_view rest) { return {{"related", url(c, rest)}}; }

OJson resource(std::string_view kind, const V3Context& c, std::string_view path,
               std::string_view crn_rest) {
  return {{"kind", kind},
          {"metadata", {{"self", url(c, path)}, {"resource_name", crn(c, crn_rest)}}}};
}

OJson list(std::string_view kind, const V3Context& c, std::string_view path, OJson data) {
  return {{"kind", kind},
          {"metadata", {{"self", url(c, path)}, {"next", nullptr}}},
          {"data", std::move(data)}};
}

OJson v3_cluster(const V3Context& c, std::optional<BrokerId> controller) {
  OJson j = resource("KafkaCluster", c, "", "");
  j["cluster_id"] = c.cluster_id;
  j["controller"] =
      controller ? related(c, "brokers/" + std::to_string(controller->value)) : OJson(nullptr);
  for (auto [field, path] : {std::pair{"acls", "acls"},
                             {"brokers", "brokers"},
                             {"broker_configs", "broker-configs"},
                             {"consumer_groups", "consumer-groups"},
                             {"topics", "topics"},
                             {"partition_reassignments", "topics/-/partitions/-/reassignment"}}) {
    j[field] = related(c, path);
  }
  return j;
}

OJson v3_broker(const V3Context& c, const V3Broker& b) {
  std::string id = std::to_string(b.broker_id.value);
  OJson j = resource("KafkaBroker", c, "brokers/" + id, "broker=" + id);
  j["cluster_id"] = c.cluster_id;
  j["broker_id"] = b.broker_id.value;
  j["host"] = b.host;
  j["port"] = b.port;
  j["rack"] = b.rack ? OJson(*b.rack) : OJson(nullptr);
  j["configs"] = related(c, "brokers/" + id + "/configs");
  j["partition_replicas"] = related(c, "brokers/" + id + "/partition-replicas");
  return j;
}

OJson v3_topic(const V3Context& c, const V3Topic& t) {
  std::string path = "topics/" + t.topic_name;
  OJson j = resource("KafkaTopic", c, path, "topic=" + t.topic_name);
  j["cluster_id"] = c.cluster_id;
  j["topic_name"] = t.topic_name;
  j["is_internal"] = t.is_internal;
  j["replication_factor"] = t.replication_factor;
  j["partitions_count"] = t.partitions_count;
  j["partitions"] = related(c, path + "/partitions");
  j["configs"] = related(c, path + "/configs");
  j["partition_reassignments"] = related(c, path + "/partitions/-/reassignment");
  return j;
}

OJson v3_partition(const V3Context& c, const std::string& topic, const PartitionInfo& p) {
  std::string id = std::to_string(p.partition.value);
  std::string path = "topics/" + topic + "/partitions/" + id;
  OJson j = resource("KafkaPartition", c, path, "topic=" + topic + "/partition=" + id);
  j["cluster_id"] = c.cluster_id;
  j["topic_name"] = topic;
  j["partition_id"] = p.partition.value;
  j["leader"] = p.leader.value >= 0
                    ? related(c, path + "/replicas/" + std::to_string(p.leader.value))
                    : OJson(nullptr);
  j["replicas"] = related(c, path + "/replicas");
  j["reassignment"] = related(c, path + "/reassignment");
  return j;
}

OJson v3_lag(const V3Context& c, const V3Lag& l) {
  std::string id = std::to_string(l.partition_id.value);
  OJson j = resource(
      "KafkaConsumerLag", c,
      "consumer-groups/" + l.consumer_group_id + "/lags/" + l.topic_name + "/partitions/" + id,
      "consumer-group=" + l.consumer_group_id + "/lag=" + l.topic_name + "/partition=" + id);
  j["cluster_id"] = c.cluster_id;
  j["consumer_group_id"] = l.consumer_group_id;
  j["topic_name"] = l.topic_name;
  j["partition_id"] = l.partition_id.value;
  j["consumer_id"] = l.consumer_id;
  j["instance_id"] = l.instance_id ? OJson(*l.instance_id) : OJson(nullptr);
  j["client_id"] = l.client_id;
  j["current_offset"] = l.current_offset.value;
  j["log_end_offset"] = l.log_end_offset.value;
  j["lag"] = l.log_end_offset - l.current_offset;
  return j;
}

}  // namespace

std::string render_topic_names(std::span<const std::string> names) {
  return OJson(std::vector<std::string>(names.begin(), names.end())).dump();
}

std::string render_topic(const TopicInfo& t) {
  OJson configs = OJson::object();
  for (const auto& [k, v] : t.configs) {
    configs[k] = v;
  }
  OJson partitions = OJson::array();
  for (const auto& p : t.partitions) {
    partitions.push_back(v2_partition(p));
  }
  return OJson{{"name", t.name}, {"configs", configs}, {"partitions", partitions}}.dump();
}

std::string render_partition(const PartitionInfo& p) { return v2_partition(p).dump(); }

std::string render_partitions(std::span<const PartitionInfo> partitions) {
  OJson out = OJson::array();
  for (const auto& p : partitions) {
    out.push_back(v2_partition(p));
  }
  return out.dump();
}

std::string render_partition_offsets(const PartitionOffsets& o) {
  return OJson{{"beginning_offset", o.beginning.value}, {"end_offset", o.end.value}}.dump();
}

std::string render_brokers(std::span<const BrokerId> brokers) {
  OJson ids = OJson::array();
  for (auto b : brokers) {
    ids.push_back(b.value);
  }
  return OJson{{"brokers", ids}}.dump();
}

std::string render_v3_cluster(const V3Context& c, std::optional<BrokerId> controller) {
  return v3_cluster(c, controller).dump();
}

std::string render_v3_clusters(const V3Context& c, std::optional<BrokerId> controller) {
  OJson j = {{"kind", "KafkaClusterList"},
             {"metadata", {{"self", c.base + "/clusters"}, {"next", nullptr}}},
             {"data", OJson::array({v3_cluster(c, controller)})}};
  return j.dump();
}

std::string render_v3_brokers(const V3Context& c, std::span<const V3Broker> brokers) {
  OJson data = OJson::array();
  for (const auto& b : brokers) {
    data.push_back(v3_broker(c, b));
  }
  return list("KafkaBrokerList", c, "brokers", std::move(data)).dump();
}

std::string render_v3_broker(const V3Context& c, const V3Broker& b) {
  return v3_broker(c, b).dump();
}

std::string render_v3_topics(const V3Context& c, std::span<const V3Topic> topics) {
  OJson data = OJson::array();
  for (const auto& t : topics) {
    data.push_back(v3_topic(c, t));
  }
  return list("KafkaTopicList", c, "topics", std::move(data)).dump();
}

std::string render_v3_topic(const V3Context& c, const V3Topic& t) { return v3_topic(c, t).dump(); }

std::string render_v3_partitions(const V3Context& c, const std::string& topic,
                                 std::span<const PartitionInfo> partitions) {
  OJson data = OJson::array();
  for (const auto& p : partitions) {
    data.push_back(v3_partition(c, topic, p));
  }
  return list("KafkaPartitionList", c, "topics/" + topic + "/partitions", std::move(data)).dump();
}

std::string render_v3_replicas(const V3Context& c, const std::string& topic,
                               const PartitionInfo& p) {
  std::string pid = std::to_string(p.partition.value);
  std::string base = "topics/" + topic + "/partitions/" + pid + "/replicas";
  OJson data = OJson::array();
  for (const auto& r : p.replicas) {
    std::string bid = std::to_string(r.broker.value);
    OJson j = resource("KafkaReplica", c, base + "/" + bid,
                       "topic=" + topic + "/partition=" + pid + "/replica=" + bid);
    j["cluster_id"] = c.cluster_id;
    j["topic_name"] = topic;
    j["partition_id"] = p.partition.value;
    j["broker_id"] = r.broker.value;
    j["is_leader"] = r.leader;
    j["is_in_sync"] = r.in_sync;
    j["broker"] = related(c, "brokers/" + bid);
    data.push_back(std::move(j));
  }
  return list("KafkaReplicaList", c, base, std::move(data)).dump();
}

std::string render_v3_topic_configs(const V3Context& c, const std::string& topic,
                                    std::span<const V3Config> configs) {
  std::string base = "topics/" + topic + "/configs";
  OJson data = OJson::array();
  for (const auto& cfg : configs) {
    OJson j = resource("KafkaTopicConfig", c, base + "/" + cfg.name,
                       "topic=" + topic + "/config=" + cfg.name);
    j["cluster_id"] = c.cluster_id;
    j["topic_name"] = topic;
    j["name"] = cfg.name;
    j["value"] = cfg.value && !cfg.is_sensitive ? OJson(*cfg.value) : OJson(nullptr);
    j["is_default"] = cfg.is_default;
    j["is_read_only"] = cfg.is_read_only;
    j["is_sensitive"] = cfg.is_sensitive;
    j["source"] = cfg.source;
    j["synonyms"] = OJson::array();
    data.push_back(std::move(j));
  }
  return list("KafkaTopicConfigList", c, base, std::move(data)).dump();
}

std::string render_v3_consumer_groups(const V3Context& c, std::span<const V3ConsumerGroup> groups) {
  OJson data = OJson::array();
  for (const auto& g : groups) {
    std::string path = "consumer-groups/" + g.consumer_group_id;
    OJson j = resource("KafkaConsumerGroup", c, path, "consumer-group=" + g.consumer_group_id);
    j["cluster_id"] = c.cluster_id;
    j["consumer_group_id"] = g.consumer_group_id;
    j["is_simple"] = g.is_simple;
    j["partition_assignor"] = g.partition_assignor;
    j["state"] = g.state;
    j["coordinator"] = related(c, "brokers/" + std::to_string(g.coordinator.value));
    j["consumers"] = related(c, path + "/consumers");
    j["lag_summary"] = related(c, path + "/lag-summary");
    data.push_back(std::move(j));
  }
  return list("KafkaConsumerGroupList", c, "consumer-groups", std::move(data)).dump();
}

std::string render_v3_lags(const V3Context& c, std::span<const V3Lag> lags) {
  OJson data = OJson::array();
  std::string group = lags.empty() ? std::string() : lags.front().consumer_group_id;
  for (const auto& l : lags) {
    data.push_back(v3_lag(c, l));
  }
  return list("KafkaConsumerLagList", c, "consumer-groups/" + group + "/lags", std::move(data))
      .dump();
}

std::string render_v3_lag_summary(const V3Context& c, const std::string& group,
                                  std::span<const V3Lag> lags) {
  const V3Lag* max = &lags.front();
  int64_t total = 0;
  for (const auto& l : lags) {
    int64_t lag = l.log_end_offset - l.current_offset;
    total += lag;
    if (lag > max->log_end_offset - max->current_offset) {
      max = &l;
    }
  }
  std::string path = "consumer-groups/" + group + "/lag-summary";
  OJson j =
      resource("KafkaConsumerGroupLagSummary", c, path, "consumer-group=" + group + "/lag-summary");
  j["cluster_id"] = c.cluster_id;
  j["consumer_group_id"] = group;
  j["max_lag_consumer_id"] = max->consumer_id;
  j["max_lag_instance_id"] = max->instance_id ? OJson(*max->instance_id) : OJson(nullptr);
  j["max_lag_client_id"] = max->client_id;
  j["max_lag_topic_name"] = max->topic_name;
  j["max_lag_partition_id"] = max->partition_id.value;
  j["max_lag"] = max->log_end_offset - max->current_offset;
  j["total_lag"] = total;
  j["max_lag_consumer"] = related(c, "consumer-groups/" + group + "/consumers/" + max->consumer_id);
  j["max_lag_partition"] = related(
      c, "topics/" + max->topic_name + "/partitions/" + std::to_string(max->partition_id.value));
  return j.dump();
}

std::string render_v3_partition_offsets(const V3Context& c, const std::string& topic,
                                        PartitionId partition, const PartitionOffsets& o) {
  std::string id = std::to_string(partition.value);
  OJson j = resource("KafkaPartitionOffset", c, "topics/" + topic + "/partitions/" + id + "/offset",
                     "topic=" + topic + "/partition=" + id);
  j["cluster_id"] = c.cluster_id;
  j["topic_name"] = topic;
  j["partition_id"] = partition.value;
  j["earliest_offset"] = o.beginning.value;
  j["latest_offset"] = o.end.value;
  return j.dump();
}

ApiResult<V3CreateTopic> parse_v3_create_topic(std::string_view text) {
  auto bad = [](std::string m) { return api_error(errc::bad_request, std::move(m)); };
  auto j = parse_body(text);
  if (!j) {
    return bad(j.error().detail);
  }
  if (auto k = reject_unknown(*j, {"topic_name", "partitions_count", "replication_factor",
                                   "configs", "replicas_assignments", "validate_only"});
      !k) {
    return bad(k.error().detail);
  }
  V3CreateTopic out;
  auto name = get_string(*j, "topic_name");
  if (!name || !*name || !valid_topic_name(**name)) {
    return bad("topic_name must be 1 to 249 characters of [a-zA-Z0-9._-]");
  }
  out.topic_name = std::move(**name);
  auto parts = get_int(*j, "partitions_count", 1, INT32_MAX);
  auto rf = get_int(*j, "replication_factor", 1, INT16_MAX);
  auto validate = get_bool(*j, "validate_only");
  if (!parts || !rf || !validate) {
    return bad(!parts ? parts.error().detail : !rf ? rf.error().detail : validate.error().detail);
  }
  if (*parts) out.partitions_count = static_cast<int32_t>(**parts);
  if (*rf) out.replication_factor = static_cast<int16_t>(**rf);
  out.validate_only = validate->value_or(false);
  if (auto cfg = j->find("configs"); cfg != j->end() && !cfg->is_null()) {
    if (!cfg->is_array()) {
      return bad("configs must be an array");
    }
    for (const auto& e : *cfg) {
      if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("value") ||
          !e["value"].is_string()) {
        return bad("configs entries need string name and value");
      }
      out.configs.emplace_back(e["name"].get<std::string>(), e["value"].get<std::string>());
    }
  }
  if (auto ra = j->find("replicas_assignments"); ra != j->end() && !ra->is_null()) {
    if (!ra->is_object()) {
      return bad("replicas_assignments must be an object");
    }
    for (auto it = ra->begin(); it != ra->end(); ++it) {
      int32_t p = -1;
      const std::string& key = it.key();
      auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), p);
      if (ec != std::errc() || ptr != key.data() + key.size() || p < 0 || !it->is_array()) {
        return bad("replicas_assignments keys are partition ids with broker id arrays");
      }
      for (const auto& b : *it) {
        if (!b.is_number_integer()) {
          return bad("replicas_assignments broker ids must be integers");
        }
        out.replicas_assignments[p].push_back(b.get<int32_t>());
      }
    }
  }
  return out;
}

}  // namespace meridian::gateway::json
