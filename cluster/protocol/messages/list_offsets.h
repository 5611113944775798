#pragma once
// ListOffsets (key 2), v0-5. Timestamps -1 (latest) and -2 (earliest) are the usual queries.

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

inline constexpr int64_t kListOffsetsLatest = -1;
inline constexpr int64_t kListOffsetsEarliest = -2;

struct ListOffsetsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kListOffsets;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;

  struct Partition {
    int32_t partition_index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    std::vector<int64_t> old_style_offsets;  // v0 only
    int64_t timestamp = -1;                  // v1+
    int64_t offset = -1;                     // v1+
    int32_t leader_epoch = -1;               // v4+
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(partition_index);
      io.field(error_code);
      if (v == 0) {
        io.array(old_style_offsets, v);
      } else {
        io.field(timestamp);
        io.field(offset);
      }
      if (v >= 4) {
        io.field(leader_epoch);
      }
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(name);
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
  friend bool operator==(const ListOffsetsResponse&, const ListOffsetsResponse&) = default;
};

struct ListOffsetsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kListOffsets;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;
  using Response = ListOffsetsResponse;

  struct Partition {
    int32_t partition_index = 0;
    int32_t current_leader_epoch = -1;  // v4+
    int64_t timestamp = kListOffsetsLatest;
    int32_t max_num_offsets = 1;  // v0 only
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(partition_index);
      if (v >= 4) {
        io.field(current_leader_epoch);
      }
      io.field(timestamp);
      if (v == 0) {
        io.field(max_num_offsets);
      }
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(name);
      io.array(partitions, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  int32_t replica_id = -1;
  int8_t isolation_level = 0;  // v2+
  std::vector<Topic> topics;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(replica_id);
    if (v >= 2) {
      io.field(isolation_level);
    }
    io.array(topics, v);
  }
  friend bool operator==(const ListOffsetsRequest&, const ListOffsetsRequest&) = default;
};

}  // namespace meridian::protocol
