#pragma once
// MetadataCache: the broker's view of the cluster (brokers, topics, partition leaders and ISRs)
// used to answer Metadata requests. Writers publish a whole new immutable ClusterMetadata;
// readers take a shared_ptr<const> snapshot, so a request sees one consistent view.
// Thread-safe; never blocks beyond an atomic shared_ptr swap.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"

namespace meridian::broker {

struct BrokerInfo {
  BrokerId id;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
  bool operator==(const BrokerInfo&) const = default;
};

struct PartitionInfo {
  BrokerId leader{-1};  // -1: offline (no live ISR member and unclean election disabled)
  LeaderEpoch leader_epoch{-1};
  std::vector<BrokerId> replicas;
  std::vector<BrokerId> isr;
  std::vector<BrokerId> offline_replicas;
  bool operator==(const PartitionInfo&) const = default;
};

struct TopicInfo {
  std::vector<PartitionInfo> partitions;  // index = partition id
  bool internal = false;
  bool operator==(const TopicInfo&) const = default;
};

struct ClusterMetadata {
  std::string cluster_id;
  BrokerId controller_id{-1};
  std::vector<BrokerInfo> brokers;  // live brokers, sorted by id
  std::map<std::string, TopicInfo> topics;

  const BrokerInfo* broker(BrokerId id) const {
    for (const auto& b : brokers) {
      if (b.id == id) {
        return &b;
      }
    }
    return nullptr;
  }
  const PartitionInfo* partition(const std::string& topic, int32_t index) const {
    auto it = topics.find(topic);
    if (it == topics.end() || index < 0 ||
        index >= static_cast<int32_t>(it->second.partitions.size())) {
      return nullptr;
    }
    return &it->second.partitions[static_cast<size_t>(index)];
  }
};

class MetadataCache {
 public:
  MetadataCache() : current_(std::make_shared<const ClusterMetadata>()) {}
  std::shared_ptr<const ClusterMetadata> get() const { return current_.load(); }
  void publish(ClusterMetadata metadata) {
    current_.store(std::make_shared<const ClusterMetadata>(std::move(metadata)));
  }

 private:
  std::atomic<std::shared_ptr<const ClusterMetadata>> current_;
};

}  // namespace meridian::broker
