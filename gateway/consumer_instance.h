#pragma once
// The state of one v2 consumer instance (ClusterConsumerService). Client thread only.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "cluster/client/consumer.h"
#include "cluster/client/group_client.h"
#include "gateway/cluster_consumers.h"

namespace meridian::gateway {

struct ClusterConsumerService::Instance {
  using Clock = std::chrono::steady_clock;
  std::string group;
  std::string id;
  ConsumerCreateRequest config;
  std::unique_ptr<client::Consumer> consumer;
  std::unique_ptr<client::GroupMember> member;  // set while subscribed
  std::vector<std::string> topics;              // subscribed list (or pattern matches)
  std::optional<std::regex> pattern;
  std::string pattern_text;
  bool assigned = false;    // manual assignment mode
  int32_t generation = -2;  // the member generation the consumer's assignment reflects
  std::map<client::TopicPartition, Offset> consumed;  // next offset after what was returned
  Clock::time_point last_used = Clock::now();
  int busy = 0;
  bool closed = false;
};

// Marks an instance busy for the duration of a call (the idle sweeper skips busy instances).
struct InstanceUse {
  std::shared_ptr<ClusterConsumerService::Instance> i;
  explicit InstanceUse(std::shared_ptr<ClusterConsumerService::Instance> p) : i(std::move(p)) {
    ++i->busy;
    i->last_used = ClusterConsumerService::Instance::Clock::now();
  }
  ~InstanceUse() {
    --i->busy;
    i->last_used = ClusterConsumerService::Instance::Clock::now();
  }
};

}  // namespace meridian::gateway
