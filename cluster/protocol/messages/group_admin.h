#pragma once
// Group administration: ListGroups (key 16) v0-2, DescribeGroups (key 15) v0-4,
// DeleteGroups (key 42) v0-1.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/messages/metadata.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct ListGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kListGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;

  struct Group {
    std::string group_id;
    std::string protocol_type;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(group_id);
      io.field(protocol_type);
    }
    friend bool operator==(const Group&, const Group&) = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  std::vector<Group> groups;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 1) {
      io.field(throttle_time_ms);
    }
    io.field(error_code);
    io.array(groups, v);
  }
  friend bool operator==(const ListGroupsResponse&, const ListGroupsResponse&) = default;
};

struct ListGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kListGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  using Response = ListGroupsResponse;

  template <class Io>
  void io(Io&, int16_t) {}
  friend bool operator==(const ListGroupsRequest&, const ListGroupsRequest&) = default;
};

struct DescribeGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v4+
    std::string client_id;
    std::string client_host;
    Bytes member_metadata;
    Bytes member_assignment;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(member_id);
      if (v >= 4) {
        io.field(group_instance_id);
      }
      io.field(client_id);
      io.field(client_host);
      io.field(member_metadata);
      io.field(member_assignment);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };
  struct Group {
    ErrorCode error_code = ErrorCode::kNone;
    std::string group_id;
    std::string group_state;    // "Stable", "PreparingRebalance", "Empty", "Dead", ...
    std::string protocol_type;  // "consumer"
    std::string protocol_data;  // the chosen assignor, e.g. "range"
    std::vector<Member> members;
    int32_t authorized_operations = kAuthorizedOperationsOmitted;  // v3+
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(error_code);
      io.field(group_id);
      io.field(group_state);
      io.field(protocol_type);
      io.field(protocol_data);
      io.array(members, v);
      if (v >= 3) {
        io.field(authorized_operations);
      }
    }
    friend bool operator==(const Group&, const Group&) = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  std::vector<Group> groups;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 1) {
      io.field(throttle_time_ms);
    }
    io.array(groups, v);
  }
  friend bool operator==(const DescribeGroupsResponse&, const DescribeGroupsResponse&) = default;
};

struct DescribeGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  using Response = DescribeGroupsResponse;

  std::vector<std::string> groups;
  bool include_authorized_operations = false;  // v3+

  template <class Io>
  void io(Io& io, int16_t v) {
    io.array(groups, v);
    if (v >= 3) {
      io.field(include_authorized_operations);
    }
  }
  friend bool operator==(const DescribeGroupsRequest&, const DescribeGroupsRequest&) = default;
};

struct DeleteGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct GroupResult {
    std::string group_id;
    ErrorCode error_code = ErrorCode::kNone;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(group_id);
      io.field(error_code);
    }
    friend bool operator==(const GroupResult&, const GroupResult&) = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<GroupResult> results;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(throttle_time_ms);
    io.array(results, v);
  }
  friend bool operator==(const DeleteGroupsResponse&, const DeleteGroupsResponse&) = default;
};

struct DeleteGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  using Response = DeleteGroupsResponse;

  std::vector<std::string> groups_names;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.array(groups_names, v);
  }
  friend bool operator==(const DeleteGroupsRequest&, const DeleteGroupsRequest&) = default;
};

}  // namespace meridian::protocol
