#pragma once
// Committed offsets: OffsetCommit (key 8) v0-7, OffsetFetch (key 9) v0-5.
// v0 of OffsetCommit/OffsetFetch used ZooKeeper-stored offsets in Kafka; Meridian stores every
// version's offsets the same way, so only the wire format differs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct OffsetCommitResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetCommit;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 7;

  struct Partition {
    int32_t partition_index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(partition_index);
      io.field(error_code);
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

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<Topic> topics;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 3) {
      io.field(throttle_time_ms);
    }
    io.array(topics, v);
  }
  friend bool operator==(const OffsetCommitResponse&, const OffsetCommitResponse&) = default;
};

struct OffsetCommitRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetCommit;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 7;
  using Response = OffsetCommitResponse;

  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;  // v6+
    int64_t commit_timestamp = -1;        // v1 only
    std::optional<std::string> committed_metadata;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(partition_index);
      io.field(committed_offset);
      if (v >= 6) {
        io.field(committed_leader_epoch);
      }
      if (v == 1) {
        io.field(commit_timestamp);
      }
      io.field(committed_metadata);
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

  std::string group_id;
  int32_t generation_id = -1;                    // v1+
  std::string member_id;                         // v1+
  std::optional<std::string> group_instance_id;  // v7+
  int64_t retention_time_ms = -1;                // v2-4
  std::vector<Topic> topics;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(group_id);
    if (v >= 1) {
      io.field(generation_id);
      io.field(member_id);
    }
    if (v >= 7) {
      io.field(group_instance_id);
    }
    if (v >= 2 && v <= 4) {
      io.field(retention_time_ms);
    }
    io.array(topics, v);
  }
  friend bool operator==(const OffsetCommitRequest&, const OffsetCommitRequest&) = default;
};

struct OffsetFetchResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetFetch;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;

  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = -1;
    int32_t committed_leader_epoch = -1;  // v5+
    std::optional<std::string> metadata;
    ErrorCode error_code = ErrorCode::kNone;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(partition_index);
      io.field(committed_offset);
      if (v >= 5) {
        io.field(committed_leader_epoch);
      }
      io.field(metadata);
      io.field(error_code);
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

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<Topic> topics;
  ErrorCode error_code = ErrorCode::kNone;  // v2+ (group-level)

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 3) {
      io.field(throttle_time_ms);
    }
    io.array(topics, v);
    if (v >= 2) {
      io.field(error_code);
    }
  }
  friend bool operator==(const OffsetFetchResponse&, const OffsetFetchResponse&) = default;
};

struct OffsetFetchRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetFetch;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;
  using Response = OffsetFetchResponse;

  struct Topic {
    std::string name;
    std::vector<int32_t> partition_indexes;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(name);
      io.array(partition_indexes, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::string group_id;
  // nullopt (v2+ only) = every partition the group has committed.
  std::optional<std::vector<Topic>> topics;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(group_id);
    io.array(topics, v, v >= 2 ? Nullable::kYes : Nullable::kNo);
  }
  friend bool operator==(const OffsetFetchRequest&, const OffsetFetchRequest&) = default;
};

}  // namespace meridian::protocol
