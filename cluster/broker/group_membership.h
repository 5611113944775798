#pragma once
// GroupMembership: the state machine of one consumer group, as Kafka's GroupCoordinator runs it
// (Empty -> PreparingRebalance -> CompletingRebalance -> Stable, Dead when deleted or unloaded).
// It is pure: no sockets, no timers, no log. Time comes in as `now`; the owner calls tick() at
// or after next_deadline(). Pending JoinGroup / SyncGroup requests are callbacks that the
// machine calls exactly once (possibly from inside the call that parked them).
//
// Assignment is client-side: the leader's SyncGroup carries every member's assignment, which is
// passed through untouched once the group metadata is persisted. Persistence is an outbox: after
// the leader's SyncGroup (and when a rebalance empties the group) take_pending_store() returns
// the metadata to append to __consumer_offsets; the owner reports back with complete_store().
//
// Threading: not thread-safe; the GroupCoordinator calls it on its strand only. Callbacks must
// not call back into the same GroupMembership.

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cluster/broker/group_types.h"

namespace meridian::broker {

class GroupMembership {
 public:
  GroupMembership(std::string group_id, GroupConfig config);
  // Rebuilds a group from its last persisted metadata (a coordinator took over): members come
  // back Stable with fresh session deadlines, so live clients keep their generation.
  static std::unique_ptr<GroupMembership> restore(std::string group_id, GroupConfig config,
                                                  const GroupMetadata& metadata, GroupTime now);

  // JoinGroup. Errors passed to `done`: COORDINATOR_NOT_AVAILABLE (dead), INVALID_SESSION_TIMEOUT,
  // INCONSISTENT_GROUP_PROTOCOL, MEMBER_ID_REQUIRED (v4+ new member), UNKNOWN_MEMBER_ID,
  // REBALANCE_IN_PROGRESS (a pending join replaced by a newer one).
  void join(JoinParams params, GroupTime now, JoinCallback done);
  // SyncGroup. Errors: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, and the
  // store error when persisting the assignment failed.
  void sync(SyncParams params, GroupTime now, SyncCallback done);
  protocol::ErrorCode heartbeat(const std::string& member_id, int32_t generation, GroupTime now);
  protocol::ErrorCode leave(const std::string& member_id, GroupTime now);
  // May this member commit offsets for `generation`? (Kafka's doCommitOffsets checks.)
  // generation < 0 with no member id is a "simple" commit, allowed while the group is Empty.
  protocol::ErrorCode validate_commit(const std::string& member_id, int32_t generation,
                                      GroupTime now);

  // Expires sessions, ends the join phase at its deadline and the sync phase at its deadline.
  void tick(GroupTime now);
  std::optional<GroupTime> next_deadline() const;

  // Answers every parked request with `error` (NOT_COORDINATOR when unloading) and goes Dead.
  void shutdown(protocol::ErrorCode error);

  std::optional<GroupMetadata> take_pending_store(int64_t wall_clock_ms);
  void complete_store(int32_t generation, protocol::ErrorCode error, GroupTime now);

  const std::string& id() const noexcept { return group_id_; }
  GroupState state() const noexcept { return state_; }
  int32_t generation() const noexcept { return generation_; }
  const std::string& leader() const noexcept { return leader_; }
  const std::string& protocol_type() const noexcept { return protocol_type_; }
  const std::string& protocol_name() const noexcept { return protocol_; }
  bool has_member(const std::string& member_id) const { return members_.count(member_id) > 0; }
  size_t member_count() const noexcept { return members_.size(); }
  // Empty, with no member and no member waiting to come back with its id.
  bool idle() const noexcept {
    return state_ == GroupState::kEmpty && members_.empty() && pending_members_.empty();
  }
  std::vector<MemberDescription> describe_members() const;

 private:
  struct Member {
    JoinParams params;  // latest join: client info, timeouts, protocols
    GroupBytes assignment;
    JoinCallback join_callback;
    SyncCallback sync_callback;
    GroupTime heartbeat_deadline;
  };

  bool supports_protocols(const JoinParams& params) const;
  std::string new_member_id(const std::string& client_id);
  void add_member_and_rebalance(std::string member_id, JoinParams params, GroupTime now,
                                JoinCallback done);
  void update_member_and_rebalance(Member& member, JoinParams params, GroupTime now,
                                   JoinCallback done);
  void join_known(JoinParams params, GroupTime now, JoinCallback done);
  JoinResult current_join_result(const std::string& member_id) const;
  void maybe_prepare_rebalance(GroupTime now);
  void prepare_rebalance(GroupTime now);
  void maybe_complete_join(GroupTime now);
  void complete_join(GroupTime now);
  void remove_member(const std::string& member_id, GroupTime now);
  void reset_assignments(protocol::ErrorCode error);
  std::string select_protocol() const;
  std::chrono::milliseconds max_rebalance_timeout() const;
  bool all_members_joined() const;
  bool keeps_alive(const Member& member) const;

  std::string group_id_;
  GroupConfig config_;
  GroupState state_ = GroupState::kEmpty;
  int32_t generation_ = 0;
  std::string protocol_type_;
  std::string protocol_;
  std::string leader_;
  std::map<std::string, Member> members_;
  std::map<std::string, GroupTime> pending_members_;  // got MEMBER_ID_REQUIRED, not yet back
  GroupTime join_deadline_{};
  GroupTime initial_join_end_{};  // bound of the delayed first rebalance
  bool initial_join_ = false;
  GroupTime sync_deadline_{};
  int32_t store_generation_ = -1;               // generation whose assignment is being persisted
  bool store_queued_ = false;                   // the outbox holds a store not yet taken
  std::map<std::string, GroupBytes> proposed_;  // the leader's assignment being persisted
  std::mt19937_64 random_;
};

}  // namespace meridian::broker
