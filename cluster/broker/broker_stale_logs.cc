#include "cluster/broker/broker_stale_logs.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "cluster/broker/replica_manager.h"
#include "cluster/controller/state_codec.h"
#include "common/log.h"

namespace meridian::broker {

size_t remove_stale_logs(coord::CoordinationStore& store, ReplicaManager& replicas, BrokerId self) {
  // topic -> (assignment, incarnation); nullopt: the topic is gone or being deleted.
  std::map<std::string, std::optional<std::pair<controller::ReplicaAssignment, int64_t>>> topics;
  auto lookup = [&](const std::string& topic) -> LogFate {
    auto node = store.get(controller::topic_path(topic));
    if (!node) {
      return node.error() == coord::errc::no_node ? LogFate::kDelete : LogFate::kKeep;
    }
    auto marked = store.exists(controller::delete_topic_path(topic));
    if (marked && marked->has_value()) {
      return LogFate::kDelete;
    }
    auto assignment = controller::decode_assignment(node->data);
    if (assignment) {
      topics[topic] = std::pair{std::move(*assignment), node->stat.create_txid};
    }
    return LogFate::kKeep;
  };
  size_t removed = replicas.remove_stale_logs(
      [&](const TopicPartition& tp, std::optional<int64_t> incarnation) {
        if (!topics.contains(tp.topic) && lookup(tp.topic) == LogFate::kDelete) {
          topics[tp.topic] = std::nullopt;
        }
        auto it = topics.find(tp.topic);
        if (it == topics.end()) {
          return LogFate::kKeep;  // unreadable right now: keep
        }
        if (!it->second) {
          return LogFate::kDelete;
        }
        const auto& [assignment, created] = *it->second;
        auto p = static_cast<size_t>(tp.partition.value);
        if (p >= assignment.size() ||
            std::find(assignment[p].begin(), assignment[p].end(), self) == assignment[p].end()) {
          return LogFate::kDelete;
        }
        return incarnation && *incarnation != created ? LogFate::kDelete : LogFate::kKeep;
      });
  if (removed > 0) {
    logger("broker")->info("broker {}: removed {} stale partition log(s) at startup", self.value,
                           removed);
  }
  return removed;
}

}  // namespace meridian::broker
