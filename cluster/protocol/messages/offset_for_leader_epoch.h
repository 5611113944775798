#pragma once
// OffsetForLeaderEpoch (key 23), v0-3: the end offset of a leader epoch, used by followers and
// restarted leaders to truncate (KIP-101, KIP-279) and by clients to detect log divergence.

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct OffsetForLeaderEpochResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetForLeaderEpoch;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct Partition {
    ErrorCode error_code = ErrorCode::kNone;
    int32_t partition = 0;
    int32_t leader_epoch = -1;  // v1+
    int64_t end_offset = -1;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(error_code);
      io.field(partition);
      if (v >= 1) {
        io.field(leader_epoch);
      }
      io.field(end_offset);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(topic);
      io.array(partitions, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  std::vector<Topic> topics;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 2) {
      io.field(throttle_time_ms);
    }
    io.array(topics, v);
  }
  friend bool operator==(const OffsetForLeaderEpochResponse&,
                         const OffsetForLeaderEpochResponse&) = default;
};

struct OffsetForLeaderEpochRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetForLeaderEpoch;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  using Response = OffsetForLeaderEpochResponse;

  struct Partition {
    int32_t partition = 0;
    int32_t current_leader_epoch = -1;  // v2+
    int32_t leader_epoch = 0;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(partition);
      if (v >= 2) {
        io.field(current_leader_epoch);
      }
      io.field(leader_epoch);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(topic);
      io.array(partitions, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  // -1 = consumer, -2 = debug (the default before v3 put it on the wire); a follower's id.
  int32_t replica_id = -2;  // v3+
  std::vector<Topic> topics;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 3) {
      io.field(replica_id);
    }
    io.array(topics, v);
  }
  friend bool operator==(const OffsetForLeaderEpochRequest&,
                         const OffsetForLeaderEpochRequest&) = default;
};

}  // namespace meridian::protocol
