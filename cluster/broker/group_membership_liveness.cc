// GroupMembership, second half: liveness (heartbeats, session expiry, leave), commit fencing,
// deadlines and shutdown.
#include <algorithm>

#include "cluster/broker/group_membership.h"

namespace meridian::broker {

using protocol::ErrorCode;

ErrorCode GroupMembership::heartbeat(const std::string& member_id, int32_t generation,
                                     GroupTime now) {
  if (state_ == GroupState::kDead) {
    return ErrorCode::kCoordinatorNotAvailable;
  }
  auto it = members_.find(member_id);
  if (it == members_.end()) {
    return ErrorCode::kUnknownMemberId;
  }
  if (state_ == GroupState::kCompletingRebalance) {
    // Alive, but the member must finish its SyncGroup (Kafka answers the same).
    it->second.heartbeat_deadline = now + it->second.params.session_timeout;
    return ErrorCode::kRebalanceInProgress;
  }
  if (generation != generation_) {
    return ErrorCode::kIllegalGeneration;
  }
  it->second.heartbeat_deadline = now + it->second.params.session_timeout;
  return state_ == GroupState::kPreparingRebalance ? ErrorCode::kRebalanceInProgress
                                                   : ErrorCode::kNone;
}

ErrorCode GroupMembership::leave(const std::string& member_id, GroupTime now) {
  if (state_ == GroupState::kDead) {
    return ErrorCode::kCoordinatorNotAvailable;
  }
  if (pending_members_.erase(member_id) > 0) {
    maybe_complete_join(now);
    return ErrorCode::kNone;
  }
  if (!members_.count(member_id)) {
    return ErrorCode::kUnknownMemberId;
  }
  remove_member(member_id, now);
  return ErrorCode::kNone;
}

ErrorCode GroupMembership::validate_commit(const std::string& member_id, int32_t generation,
                                           GroupTime now) {
  if (state_ == GroupState::kDead) {
    return ErrorCode::kCoordinatorNotAvailable;
  }
  if (generation < 0 && state_ == GroupState::kEmpty) {
    return ErrorCode::kNone;  // not using group management: offsets storage only
  }
  if (state_ == GroupState::kCompletingRebalance) {
    return ErrorCode::kRebalanceInProgress;
  }
  auto it = members_.find(member_id);
  if (it == members_.end()) {
    return ErrorCode::kUnknownMemberId;
  }
  if (generation != generation_) {
    return ErrorCode::kIllegalGeneration;
  }
  // A commit is also a sign of life; PreparingRebalance still accepts the old generation's
  // commits, which is how consumers commit before they rejoin.
  it->second.heartbeat_deadline = now + it->second.params.session_timeout;
  return ErrorCode::kNone;
}

void GroupMembership::remove_member(const std::string& member_id, GroupTime now) {
  auto it = members_.find(member_id);
  if (it == members_.end()) {
    return;
  }
  Member m = std::move(it->second);
  members_.erase(it);
  if (m.join_callback) {
    m.join_callback({ErrorCode::kUnknownMemberId, -1, {}, {}, member_id, {}});
  }
  if (m.sync_callback) {
    m.sync_callback({ErrorCode::kUnknownMemberId, {}});
  }
  if (leader_ == member_id) {
    leader_ = members_.empty() ? std::string() : members_.begin()->first;
  }
  if (state_ == GroupState::kStable || state_ == GroupState::kCompletingRebalance) {
    prepare_rebalance(now);
  }
  maybe_complete_join(now);
}

bool GroupMembership::keeps_alive(const Member& member) const {
  // A member parked in JoinGroup or SyncGroup cannot heartbeat; the rebalance and sync
  // deadlines bound those waits instead.
  return (state_ == GroupState::kPreparingRebalance && member.join_callback) ||
         (state_ == GroupState::kCompletingRebalance && member.sync_callback);
}

void GroupMembership::tick(GroupTime now) {
  if (state_ == GroupState::kDead) {
    return;
  }
  bool pending_expired = false;
  for (auto it = pending_members_.begin(); it != pending_members_.end();) {
    if (now >= it->second) {
      it = pending_members_.erase(it);
      pending_expired = true;
    } else {
      ++it;
    }
  }
  if (pending_expired) {
    maybe_complete_join(now);
  }
  std::vector<std::string> expired;
  for (const auto& [id, m] : members_) {
    if (!keeps_alive(m) && now >= m.heartbeat_deadline) {
      expired.push_back(id);
    }
  }
  for (const auto& id : expired) {
    remove_member(id, now);
  }
  if (state_ == GroupState::kPreparingRebalance && now >= join_deadline_) {
    complete_join(now);
  }
  if (state_ == GroupState::kCompletingRebalance && now >= sync_deadline_ &&
      store_generation_ != generation_) {
    // The leader never sent its assignment: drop whoever did not sync and rebalance.
    std::vector<std::string> silent;
    for (const auto& [id, m] : members_) {
      if (!m.sync_callback) {
        silent.push_back(id);
      }
    }
    for (const auto& id : silent) {
      members_.erase(id);
    }
    if (!members_.count(leader_)) {
      leader_ = members_.empty() ? std::string() : members_.begin()->first;
    }
    prepare_rebalance(now);
    maybe_complete_join(now);
  }
}

std::optional<GroupTime> GroupMembership::next_deadline() const {
  std::optional<GroupTime> next;
  auto consider = [&next](GroupTime t) {
    if (!next || t < *next) {
      next = t;
    }
  };
  for (const auto& [id, t] : pending_members_) {
    consider(t);
  }
  for (const auto& [id, m] : members_) {
    if (!keeps_alive(m)) {
      consider(m.heartbeat_deadline);
    }
  }
  if (state_ == GroupState::kPreparingRebalance) {
    consider(join_deadline_);
  }
  if (state_ == GroupState::kCompletingRebalance) {
    consider(sync_deadline_);
  }
  return next;
}

void GroupMembership::shutdown(ErrorCode error) {
  for (auto& [id, m] : members_) {
    if (m.join_callback) {
      JoinCallback cb = std::move(m.join_callback);
      m.join_callback = nullptr;
      cb({error, -1, {}, {}, id, {}});
    }
    if (m.sync_callback) {
      SyncCallback cb = std::move(m.sync_callback);
      m.sync_callback = nullptr;
      cb({error, {}});
    }
  }
  state_ = GroupState::kDead;
}

std::chrono::milliseconds GroupMembership::max_rebalance_timeout() const {
  std::chrono::milliseconds max{0};
  for (const auto& [id, m] : members_) {
    max = std::max(max, m.params.rebalance_timeout);
  }
  return max;
}

std::vector<MemberDescription> GroupMembership::describe_members() const {
  std::vector<MemberDescription> out;
  for (const auto& [id, m] : members_) {
    MemberDescription d;
    d.member_id = id;
    d.group_instance_id = m.params.group_instance_id;
    d.client_id = m.params.client_id;
    d.client_host = m.params.client_host;
    // Kafka shows metadata and assignment only once the group is Stable.
    if (state_ == GroupState::kStable) {
      for (const auto& p : m.params.protocols) {
        if (p.name == protocol_) {
          d.metadata = p.metadata;
        }
      }
      d.assignment = m.assignment;
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace meridian::broker
