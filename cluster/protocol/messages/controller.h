#pragma once
// Controller -> broker requests: LeaderAndIsr (key 4) v0-3, StopReplica (key 5) v0-1.
// (v4+ and v2+ respectively are flexible and not implemented.) Meridian's controller sends
// these to brokers; every request carries the controller epoch so stale controllers are fenced.

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct LeaderAndIsrResponse {
  static constexpr ApiKey kApiKey = ApiKey::kLeaderAndIsr;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct PartitionError {
    std::string topic_name;
    int32_t partition_index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(topic_name);
      io.field(partition_index);
      io.field(error_code);
    }
    friend bool operator==(const PartitionError&, const PartitionError&) = default;
  };

  ErrorCode error_code = ErrorCode::kNone;
  std::vector<PartitionError> partition_errors;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(error_code);
    io.array(partition_errors, v);
  }
  friend bool operator==(const LeaderAndIsrResponse&, const LeaderAndIsrResponse&) = default;
};

struct LeaderAndIsrRequest {
  static constexpr ApiKey kApiKey = ApiKey::kLeaderAndIsr;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  using Response = LeaderAndIsrResponse;

  struct PartitionState {
    std::string topic_name;  // on the wire only in v0-1; v2+ groups states by topic
    int32_t partition_index = 0;
    int32_t controller_epoch = 0;
    int32_t leader = -1;
    int32_t leader_epoch = 0;
    std::vector<int32_t> isr;
    int32_t partition_epoch = 0;  // Kafka's ZK zkVersion: the partition-state CAS version
    std::vector<int32_t> replicas;
    std::vector<int32_t> adding_replicas;    // v3+
    std::vector<int32_t> removing_replicas;  // v3+
    bool is_new = false;                     // v1+
    template <class Io>
    void io(Io& io, int16_t v) {
      if (v <= 1) {
        io.field(topic_name);
      }
      io.field(partition_index);
      io.field(controller_epoch);
      io.field(leader);
      io.field(leader_epoch);
      io.array(isr, v);
      io.field(partition_epoch);
      io.array(replicas, v);
      if (v >= 3) {
        io.array(adding_replicas, v);
        io.array(removing_replicas, v);
      }
      if (v >= 1) {
        io.field(is_new);
      }
    }
    friend bool operator==(const PartitionState&, const PartitionState&) = default;
  };
  struct TopicState {  // v2+
    std::string topic_name;
    std::vector<PartitionState> partition_states;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(topic_name);
      io.array(partition_states, v);
    }
    friend bool operator==(const TopicState&, const TopicState&) = default;
  };
  struct LiveLeader {
    int32_t broker_id = 0;
    std::string host_name;
    int32_t port = 0;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(broker_id);
      io.field(host_name);
      io.field(port);
    }
    friend bool operator==(const LiveLeader&, const LiveLeader&) = default;
  };

  int32_t controller_id = 0;
  int32_t controller_epoch = 0;
  int64_t broker_epoch = -1;                               // v2+
  std::vector<PartitionState> ungrouped_partition_states;  // v0-1
  std::vector<TopicState> topic_states;                    // v2+
  std::vector<LiveLeader> live_leaders;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(controller_id);
    io.field(controller_epoch);
    if (v >= 2) {
      io.field(broker_epoch);
      io.array(topic_states, v);
    } else {
      io.array(ungrouped_partition_states, v);
    }
    io.array(live_leaders, v);
  }
  friend bool operator==(const LeaderAndIsrRequest&, const LeaderAndIsrRequest&) = default;
};

// LeaderAndIsr carries partition states flat (v0-1) or grouped by topic (v2+); the encoder
// writes only the layout of the version it encodes. These convert between the two so handlers
// and the controller need not care which version is on the wire.

// Every partition state of `request`, from either layout, with topic_name filled in.
inline std::vector<LeaderAndIsrRequest::PartitionState> flatten_partition_states(
    const LeaderAndIsrRequest& request) {
  std::vector<LeaderAndIsrRequest::PartitionState> out = request.ungrouped_partition_states;
  for (const auto& topic : request.topic_states) {
    for (auto state : topic.partition_states) {
      state.topic_name = topic.topic_name;
      out.push_back(std::move(state));
    }
  }
  return out;
}

// Fills both layouts from `states` (grouped in order of first appearance of each topic), so the
// request encodes the same partitions at any version.
inline void set_partition_states(LeaderAndIsrRequest& request,
                                 std::vector<LeaderAndIsrRequest::PartitionState> states) {
  request.topic_states.clear();
  for (const auto& state : states) {
    auto it = std::find_if(request.topic_states.begin(), request.topic_states.end(),
                           [&](const auto& t) { return t.topic_name == state.topic_name; });
    if (it == request.topic_states.end()) {
      request.topic_states.push_back({state.topic_name, {}});
      it = std::prev(request.topic_states.end());
    }
    it->partition_states.push_back(state);
  }
  request.ungrouped_partition_states = std::move(states);
}

struct StopReplicaResponse {
  static constexpr ApiKey kApiKey = ApiKey::kStopReplica;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct PartitionError {
    std::string topic_name;
    int32_t partition_index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(topic_name);
      io.field(partition_index);
      io.field(error_code);
    }
    friend bool operator==(const PartitionError&, const PartitionError&) = default;
  };

  ErrorCode error_code = ErrorCode::kNone;
  std::vector<PartitionError> partition_errors;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(error_code);
    io.array(partition_errors, v);
  }
  friend bool operator==(const StopReplicaResponse&, const StopReplicaResponse&) = default;
};

struct StopReplicaRequest {
  static constexpr ApiKey kApiKey = ApiKey::kStopReplica;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  using Response = StopReplicaResponse;

  struct Partition {  // v0
    std::string topic_name;
    int32_t partition_index = 0;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(topic_name);
      io.field(partition_index);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {  // v1
    std::string name;
    std::vector<int32_t> partition_indexes;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(name);
      io.array(partition_indexes, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  int32_t controller_id = 0;
  int32_t controller_epoch = 0;
  int64_t broker_epoch = -1;  // v1+
  bool delete_partitions = false;
  std::vector<Partition> ungrouped_partitions;  // v0
  std::vector<Topic> topics;                    // v1

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(controller_id);
    io.field(controller_epoch);
    if (v >= 1) {
      io.field(broker_epoch);
    }
    io.field(delete_partitions);
    if (v == 0) {
      io.array(ungrouped_partitions, v);
    } else {
      io.array(topics, v);
    }
  }
  friend bool operator==(const StopReplicaRequest&, const StopReplicaRequest&) = default;
};

}  // namespace meridian::protocol
