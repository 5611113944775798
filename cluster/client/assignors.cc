// Client-side partition assignors run by the group leader (Kafka's RoundRobinAssignor and the
// protocol-name dispatch; RangeAssignor is in group_client.cc next to the protocol codec).
#include <set>

#include "cluster/client/group_client.h"

namespace meridian::client {

std::map<std::string, std::vector<TopicPartition>> roundrobin_assign(
    const std::map<std::string, std::vector<std::string>>& subscriptions,
    const std::map<std::string, int32_t>& partition_counts) {
  std::map<std::string, std::vector<TopicPartition>> out;
  std::map<std::string, std::set<std::string>> topics_of;  // member -> its topics
  std::set<std::string> all_topics;
  for (const auto& [member, topics] : subscriptions) {
    out[member];
    topics_of[member].insert(topics.begin(), topics.end());
    all_topics.insert(topics.begin(), topics.end());
  }
  std::vector<std::string> members;
  for (const auto& [member, topics] : subscriptions) {
    members.push_back(member);  // std::map order: sorted by member id, as Kafka sorts them
  }
  if (members.empty()) {
    return out;
  }
  size_t next = 0;  // the circular member iterator survives across topics, as in Kafka
  for (const auto& topic : all_topics) {
    auto count = partition_counts.find(topic);
    if (count == partition_counts.end()) {
      continue;
    }
    for (int32_t p = 0; p < count->second; ++p) {
      // Some member subscribes to `topic` (it is in all_topics), so this ends within a lap.
      while (!topics_of[members[next]].contains(topic)) {
        next = (next + 1) % members.size();
      }
      out[members[next]].push_back({topic, PartitionId(p)});
      next = (next + 1) % members.size();
    }
  }
  return out;
}

std::map<std::string, std::vector<TopicPartition>> assign_by_protocol(
    const std::string& name, const std::map<std::string, std::vector<std::string>>& subscriptions,
    const std::map<std::string, int32_t>& partition_counts) {
  if (name == "roundrobin") {
    return roundrobin_assign(subscriptions, partition_counts);
  }
  return range_assign(subscriptions, partition_counts);
}

}  // namespace meridian::client
