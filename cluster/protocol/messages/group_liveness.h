#pragma once
// Group liveness: Heartbeat (key 12) v0-3, LeaveGroup (key 13) v0-3.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct HeartbeatResponse {
  static constexpr ApiKey kApiKey = ApiKey::kHeartbeat;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 1) {
      io.field(throttle_time_ms);
    }
    io.field(error_code);
  }
  friend bool operator==(const HeartbeatResponse&, const HeartbeatResponse&) = default;
};

struct HeartbeatRequest {
  static constexpr ApiKey kApiKey = ApiKey::kHeartbeat;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  using Response = HeartbeatResponse;

  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(group_id);
    io.field(generation_id);
    io.field(member_id);
    if (v >= 3) {
      io.field(group_instance_id);
    }
  }
  friend bool operator==(const HeartbeatRequest&, const HeartbeatRequest&) = default;
};

struct LeaveGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kLeaveGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct Member {  // v3+
    std::string member_id;
    std::optional<std::string> group_instance_id;
    ErrorCode error_code = ErrorCode::kNone;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(member_id);
      io.field(group_instance_id);
      io.field(error_code);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  std::vector<Member> members;  // v3+

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 1) {
      io.field(throttle_time_ms);
    }
    io.field(error_code);
    if (v >= 3) {
      io.array(members, v);
    }
  }
  friend bool operator==(const LeaveGroupResponse&, const LeaveGroupResponse&) = default;
};

struct LeaveGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kLeaveGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  using Response = LeaveGroupResponse;

  struct Member {  // v3+ (KIP-345 batch leave)
    std::string member_id;
    std::optional<std::string> group_instance_id;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(member_id);
      io.field(group_instance_id);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };

  std::string group_id;
  std::string member_id;        // v0-2
  std::vector<Member> members;  // v3+

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(group_id);
    if (v <= 2) {
      io.field(member_id);
    } else {
      io.array(members, v);
    }
  }
  friend bool operator==(const LeaveGroupRequest&, const LeaveGroupRequest&) = default;
};

}  // namespace meridian::protocol
