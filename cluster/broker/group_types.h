#pragma once
// Vocabulary of the group coordinator (issue 5): group states, the parameters and results of
// JoinGroup / SyncGroup as the state machine sees them, and the persisted group metadata
// (Kafka's GroupMetadataValue, docs/formats/consumer_offsets.md). Plain values; no I/O.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/error_code.h"

namespace meridian::broker {

using GroupClock = std::chrono::steady_clock;
using GroupTime = GroupClock::time_point;
using GroupBytes = std::vector<uint8_t>;

// Kafka's GroupState (kafka.coordinator.group.GroupState), with its DescribeGroups names.
enum class GroupState : uint8_t {
  kEmpty,
  kPreparingRebalance,
  kCompletingRebalance,
  kStable,
  kDead
};
const char* group_state_name(GroupState state) noexcept;

// Kafka's broker keys group.min/max.session.timeout.ms and group.initial.rebalance.delay.ms.
struct GroupConfig {
  std::chrono::milliseconds min_session_timeout{6000};
  std::chrono::milliseconds max_session_timeout{1800000};
  std::chrono::milliseconds initial_rebalance_delay{3000};
};

struct GroupProtocol {
  std::string name;
  GroupBytes metadata;
  bool operator==(const GroupProtocol&) const = default;
};

struct JoinParams {
  std::string member_id;  // empty: a new member
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::chrono::milliseconds session_timeout{10000};
  std::chrono::milliseconds rebalance_timeout{10000};
  std::string protocol_type;
  std::vector<GroupProtocol> protocols;  // in the member's order of preference
  // JoinGroup v4+ (KIP-394): a new member first gets MEMBER_ID_REQUIRED and its id.
  bool require_known_member_id = false;
};

struct JoinMemberInfo {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  GroupBytes metadata;  // for the chosen protocol
};

struct JoinResult {
  protocol::ErrorCode error = protocol::ErrorCode::kNone;
  int32_t generation = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<JoinMemberInfo> members;  // only the leader gets them
};

struct SyncParams {
  std::string member_id;
  int32_t generation = -1;
  std::vector<std::pair<std::string, GroupBytes>> assignments;  // only from the leader
};

struct SyncResult {
  protocol::ErrorCode error = protocol::ErrorCode::kNone;
  GroupBytes assignment;
};

using JoinCallback = std::function<void(JoinResult)>;
using SyncCallback = std::function<void(SyncResult)>;

// One member as persisted in the group metadata record (MemberMetadata v3).
struct PersistedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  GroupBytes subscription;
  GroupBytes assignment;
  bool operator==(const PersistedMember&) const = default;
};

// The group metadata record's value (GroupMetadataValue v3).
struct GroupMetadata {
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp = -1;
  std::vector<PersistedMember> members;
  bool operator==(const GroupMetadata&) const = default;
};

// A committed offset (OffsetCommitValue v3).
struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp = 0;
  bool operator==(const CommittedOffset&) const = default;
};

// A member as DescribeGroups shows it.
struct MemberDescription {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  GroupBytes metadata;
  GroupBytes assignment;
};

}  // namespace meridian::broker
