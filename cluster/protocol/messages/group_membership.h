#pragma once
// Group membership: FindCoordinator (key 10) v0-2, JoinGroup (key 11) v0-5, SyncGroup (key 14)
// v0-3. Protocol metadata and assignments are opaque bytes: the group leader (a client)
// assigns, the coordinator only relays.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct FindCoordinatorResponse {
  static constexpr ApiKey kApiKey = ApiKey::kFindCoordinator;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  std::optional<std::string> error_message;  // v1+
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 1) {
      io.field(throttle_time_ms);
    }
    io.field(error_code);
    if (v >= 1) {
      io.field(error_message);
    }
    io.field(node_id);
    io.field(host);
    io.field(port);
  }
  friend bool operator==(const FindCoordinatorResponse&, const FindCoordinatorResponse&) = default;
};

struct FindCoordinatorRequest {
  static constexpr ApiKey kApiKey = ApiKey::kFindCoordinator;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  using Response = FindCoordinatorResponse;

  std::string key;
  int8_t key_type = 0;  // v1+: 0 group, 1 transaction

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(key);
    if (v >= 1) {
      io.field(key_type);
    }
  }
  friend bool operator==(const FindCoordinatorRequest&, const FindCoordinatorRequest&) = default;
};

struct JoinGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kJoinGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v5+
    Bytes metadata;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(member_id);
      if (v >= 5) {
        io.field(group_instance_id);
      }
      io.field(metadata);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  ErrorCode error_code = ErrorCode::kNone;
  int32_t generation_id = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<Member> members;  // only the leader gets them

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 2) {
      io.field(throttle_time_ms);
    }
    io.field(error_code);
    io.field(generation_id);
    io.field(protocol_name);
    io.field(leader);
    io.field(member_id);
    io.array(members, v);
  }
  friend bool operator==(const JoinGroupResponse&, const JoinGroupResponse&) = default;
};

struct JoinGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kJoinGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;
  using Response = JoinGroupResponse;

  struct Protocol {
    std::string name;
    Bytes metadata;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(name);
      io.field(metadata);
    }
    friend bool operator==(const Protocol&, const Protocol&) = default;
  };

  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // v1+ (v0: the session timeout is used)
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v5+ (KIP-345 static membership)
  std::string protocol_type;
  std::vector<Protocol> protocols;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(group_id);
    io.field(session_timeout_ms);
    if (v >= 1) {
      io.field(rebalance_timeout_ms);
    }
    io.field(member_id);
    if (v >= 5) {
      io.field(group_instance_id);
    }
    io.field(protocol_type);
    io.array(protocols, v);
  }
  friend bool operator==(const JoinGroupRequest&, const JoinGroupRequest&) = default;
};

struct SyncGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kSyncGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  Bytes assignment;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 1) {
      io.field(throttle_time_ms);
    }
    io.field(error_code);
    io.field(assignment);
  }
  friend bool operator==(const SyncGroupResponse&, const SyncGroupResponse&) = default;
};

struct SyncGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kSyncGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  using Response = SyncGroupResponse;

  struct Assignment {
    std::string member_id;
    Bytes assignment;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(member_id);
      io.field(assignment);
    }
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };

  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  std::vector<Assignment> assignments;           // only from the leader

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(group_id);
    io.field(generation_id);
    io.field(member_id);
    if (v >= 3) {
      io.field(group_instance_id);
    }
    io.array(assignments, v);
  }
  friend bool operator==(const SyncGroupRequest&, const SyncGroupRequest&) = default;
};

}  // namespace meridian::protocol
