#include "cluster/broker/group_membership.h"

#include <algorithm>
#include <cstdio>

namespace meridian::broker {

using protocol::ErrorCode;

const char* group_state_name(GroupState state) noexcept {
  switch (state) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Unknown";
}

namespace {

JoinResult join_error(ErrorCode error, std::string member_id = {}) {
  JoinResult r;
  r.error = error;
  r.member_id = std::move(member_id);
  return r;
}

const GroupBytes* metadata_for(const JoinParams& params, const std::string& protocol) {
  for (const auto& p : params.protocols) {
    if (p.name == protocol) {
      return &p.metadata;
    }
  }
  return nullptr;
}

}  // namespace

GroupMembership::GroupMembership(std::string group_id, GroupConfig config)
    : group_id_(std::move(group_id)), config_(config), random_(std::random_device{}()) {}

std::unique_ptr<GroupMembership> GroupMembership::restore(std::string group_id, GroupConfig config,
                                                          const GroupMetadata& metadata,
                                                          GroupTime now) {
  auto g = std::make_unique<GroupMembership>(std::move(group_id), config);
  g->generation_ = metadata.generation;
  g->protocol_type_ = metadata.protocol_type;
  g->protocol_ = metadata.protocol.value_or("");
  g->leader_ = metadata.leader.value_or("");
  for (const auto& pm : metadata.members) {
    Member m;
    m.params.member_id = pm.member_id;
    m.params.group_instance_id = pm.group_instance_id;
    m.params.client_id = pm.client_id;
    m.params.client_host = pm.client_host;
    m.params.session_timeout = std::chrono::milliseconds(pm.session_timeout_ms);
    m.params.rebalance_timeout = std::chrono::milliseconds(pm.rebalance_timeout_ms);
    m.params.protocol_type = metadata.protocol_type;
    m.params.protocols.push_back({g->protocol_, pm.subscription});
    m.assignment = pm.assignment;
    m.heartbeat_deadline = now + m.params.session_timeout;
    g->members_.emplace(pm.member_id, std::move(m));
  }
  g->state_ = g->members_.empty() ? GroupState::kEmpty : GroupState::kStable;
  if (!g->members_.empty() && !g->members_.count(g->leader_)) {
    g->leader_ = g->members_.begin()->first;
  }
  return g;
}

bool GroupMembership::supports_protocols(const JoinParams& params) const {
  if (params.protocol_type.empty() || params.protocols.empty()) {
    return false;
  }
  if (members_.empty()) {
    return true;
  }
  if (params.protocol_type != protocol_type_) {
    return false;
  }
  // At least one of the newcomer's protocols must be supported by every member.
  return std::any_of(params.protocols.begin(), params.protocols.end(), [&](const auto& p) {
    return std::all_of(members_.begin(), members_.end(), [&](const auto& entry) {
      return metadata_for(entry.second.params, p.name) != nullptr;
    });
  });
}

std::string GroupMembership::new_member_id(const std::string& client_id) {
  // Kafka's form: clientId + "-" + a random UUID.
  uint64_t a = random_();
  uint64_t b = random_();
  char uuid[40];
  std::snprintf(uuid, sizeof(uuid), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | (b >> 48 & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return client_id + "-" + uuid;
}

void GroupMembership::join(JoinParams params, GroupTime now, JoinCallback done) {
  if (state_ == GroupState::kDead) {
    done(join_error(ErrorCode::kCoordinatorNotAvailable, params.member_id));
    return;
  }
  if (params.session_timeout < config_.min_session_timeout ||
      params.session_timeout > config_.max_session_timeout) {
    done(join_error(ErrorCode::kInvalidSessionTimeout, params.member_id));
    return;
  }
  if (!supports_protocols(params)) {
    done(join_error(ErrorCode::kInconsistentGroupProtocol, params.member_id));
    return;
  }
  if (!params.member_id.empty()) {
    join_known(std::move(params), now, std::move(done));
    return;
  }
  std::string id = new_member_id(params.client_id);
  if (params.require_known_member_id) {
    // KIP-394: the member must come back with this id; it is forgotten after a session timeout.
    pending_members_[id] = now + params.session_timeout;
    done(join_error(ErrorCode::kMemberIdRequired, id));
    return;
  }
  add_member_and_rebalance(std::move(id), std::move(params), now, std::move(done));
}

void GroupMembership::join_known(JoinParams params, GroupTime now, JoinCallback done) {
  const std::string id = params.member_id;
  if (auto p = pending_members_.find(id); p != pending_members_.end()) {
    pending_members_.erase(p);
    add_member_and_rebalance(id, std::move(params), now, std::move(done));
    return;
  }
  auto it = members_.find(id);
  if (it == members_.end()) {
    done(join_error(ErrorCode::kUnknownMemberId, id));
    return;
  }
  Member& m = it->second;
  bool same_protocols = m.params.protocols == params.protocols;
  switch (state_) {
    case GroupState::kPreparingRebalance:
      update_member_and_rebalance(m, std::move(params), now, std::move(done));
      return;
    case GroupState::kCompletingRebalance:
      if (same_protocols) {
        // The member missed the JoinGroup response: send it again.
        m.heartbeat_deadline = now + m.params.session_timeout;
        done(current_join_result(id));
      } else {
        update_member_and_rebalance(m, std::move(params), now, std::move(done));
      }
      return;
    case GroupState::kStable:
      // A rejoining leader means its metadata changed (e.g. a topic grew partitions).
      if (id == leader_ || !same_protocols) {
        update_member_and_rebalance(m, std::move(params), now, std::move(done));
      } else {
        m.heartbeat_deadline = now + m.params.session_timeout;
        done(current_join_result(id));
      }
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      done(join_error(ErrorCode::kUnknownMemberId, id));
      return;
  }
}

JoinResult GroupMembership::current_join_result(const std::string& member_id) const {
  JoinResult r;
  r.generation = generation_;
  r.protocol_name = protocol_;
  r.leader = leader_;
  r.member_id = member_id;
  if (member_id == leader_) {
    for (const auto& [id, m] : members_) {
      const GroupBytes* meta = metadata_for(m.params, protocol_);
      r.members.push_back({id, m.params.group_instance_id, meta ? *meta : GroupBytes{}});
    }
  }
  return r;
}

void GroupMembership::add_member_and_rebalance(std::string member_id, JoinParams params,
                                               GroupTime now, JoinCallback done) {
  if (members_.empty()) {
    protocol_type_ = params.protocol_type;
  }
  params.member_id = member_id;
  Member m;
  m.heartbeat_deadline = now + params.session_timeout;
  m.params = std::move(params);
  m.join_callback = std::move(done);
  if (leader_.empty()) {
    leader_ = member_id;
  }
  members_.emplace(std::move(member_id), std::move(m));
  if (state_ == GroupState::kPreparingRebalance && initial_join_) {
    // Kafka's InitialDelayedJoin: each newcomer buys the others a little more time, up to the
    // rebalance timeout, so a group that starts together rebalances once.
    join_deadline_ = std::min(now + config_.initial_rebalance_delay, initial_join_end_);
  }
  maybe_prepare_rebalance(now);
}

void GroupMembership::update_member_and_rebalance(Member& member, JoinParams params, GroupTime now,
                                                  JoinCallback done) {
  if (member.join_callback) {
    member.join_callback(join_error(ErrorCode::kRebalanceInProgress, params.member_id));
  }
  member.params = std::move(params);
  member.join_callback = std::move(done);
  member.heartbeat_deadline = now + member.params.session_timeout;
  maybe_prepare_rebalance(now);
}

void GroupMembership::maybe_prepare_rebalance(GroupTime now) {
  if (state_ == GroupState::kStable || state_ == GroupState::kCompletingRebalance ||
      state_ == GroupState::kEmpty) {
    prepare_rebalance(now);
  }
  maybe_complete_join(now);
}

void GroupMembership::prepare_rebalance(GroupTime now) {
  if (state_ == GroupState::kCompletingRebalance) {
    reset_assignments(ErrorCode::kRebalanceInProgress);
  }
  initial_join_ = state_ == GroupState::kEmpty;
  state_ = GroupState::kPreparingRebalance;
  store_generation_ = -1;
  if (initial_join_) {
    initial_join_end_ = now + max_rebalance_timeout();
    join_deadline_ = std::min(now + config_.initial_rebalance_delay, initial_join_end_);
  } else {
    join_deadline_ = now + max_rebalance_timeout();
  }
}

bool GroupMembership::all_members_joined() const {
  return pending_members_.empty() &&
         std::all_of(members_.begin(), members_.end(), [](const auto& entry) {
           return static_cast<bool>(entry.second.join_callback);
         });
}

void GroupMembership::maybe_complete_join(GroupTime now) {
  if (state_ == GroupState::kPreparingRebalance && !initial_join_ && all_members_joined()) {
    complete_join(now);
  }
}

std::string GroupMembership::select_protocol() const {
  // Each member votes for its most preferred protocol that every member supports (Kafka's
  // GroupMetadata.selectProtocol); ties go to the earliest in the first member's list.
  const auto& first = members_.begin()->second.params.protocols;
  std::vector<std::string> candidates;
  for (const auto& p : first) {
    bool everyone = std::all_of(members_.begin(), members_.end(), [&](const auto& entry) {
      return metadata_for(entry.second.params, p.name) != nullptr;
    });
    if (everyone) {
      candidates.push_back(p.name);
    }
  }
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members_) {
    for (const auto& p : m.params.protocols) {
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string best;
  int best_votes = -1;
  for (const auto& name : candidates) {
    if (votes[name] > best_votes) {
      best = name;
      best_votes = votes[name];
    }
  }
  return best;
}

void GroupMembership::complete_join(GroupTime now) {
  // Members that did not rejoin within the rebalance timeout are out of the new generation.
  for (auto it = members_.begin(); it != members_.end();) {
    it = it->second.join_callback ? std::next(it) : members_.erase(it);
  }
  initial_join_ = false;
  ++generation_;
  if (members_.empty()) {
    state_ = GroupState::kEmpty;
    protocol_.clear();
    leader_.clear();
    store_queued_ = true;  // persist the generation, so a new coordinator does not reuse it
    return;
  }
  protocol_ = select_protocol();
  if (!members_.count(leader_)) {
    leader_ = members_.begin()->first;
  }
  state_ = GroupState::kCompletingRebalance;
  sync_deadline_ = now + max_rebalance_timeout();
  for (auto& [id, m] : members_) {
    m.assignment.clear();
    m.heartbeat_deadline = now + m.params.session_timeout;
    JoinCallback cb = std::move(m.join_callback);
    m.join_callback = nullptr;
    cb(current_join_result(id));
  }
}

void GroupMembership::sync(SyncParams params, GroupTime now, SyncCallback done) {
  if (state_ == GroupState::kDead) {
    done({ErrorCode::kCoordinatorNotAvailable, {}});
    return;
  }
  auto it = members_.find(params.member_id);
  if (it == members_.end()) {
    done({ErrorCode::kUnknownMemberId, {}});
    return;
  }
  if (params.generation != generation_) {
    done({ErrorCode::kIllegalGeneration, {}});
    return;
  }
  Member& m = it->second;
  switch (state_) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      done({ErrorCode::kUnknownMemberId, {}});
      return;
    case GroupState::kPreparingRebalance:
      done({ErrorCode::kRebalanceInProgress, {}});
      return;
    case GroupState::kStable:
      m.heartbeat_deadline = now + m.params.session_timeout;
      done({ErrorCode::kNone, m.assignment});
      return;
    case GroupState::kCompletingRebalance:
      break;
  }
  if (m.sync_callback) {
    m.sync_callback({ErrorCode::kRebalanceInProgress, {}});
  }
  m.sync_callback = std::move(done);
  m.heartbeat_deadline = now + m.params.session_timeout;
  if (params.member_id == leader_ && store_generation_ != generation_) {
    proposed_.clear();
    for (auto& [member, assignment] : params.assignments) {
      if (members_.count(member)) {
        proposed_[member] = std::move(assignment);
      }
    }
    store_generation_ = generation_;
    store_queued_ = true;
  }
}

std::optional<GroupMetadata> GroupMembership::take_pending_store(int64_t wall_clock_ms) {
  if (!store_queued_) {
    return std::nullopt;
  }
  store_queued_ = false;
  GroupMetadata md;
  md.protocol_type = protocol_type_;
  md.generation = generation_;
  if (!protocol_.empty()) {
    md.protocol = protocol_;
  }
  if (!leader_.empty()) {
    md.leader = leader_;
  }
  md.current_state_timestamp = wall_clock_ms;
  for (const auto& [id, m] : members_) {
    PersistedMember pm;
    pm.member_id = id;
    pm.group_instance_id = m.params.group_instance_id;
    pm.client_id = m.params.client_id;
    pm.client_host = m.params.client_host;
    pm.rebalance_timeout_ms = static_cast<int32_t>(m.params.rebalance_timeout.count());
    pm.session_timeout_ms = static_cast<int32_t>(m.params.session_timeout.count());
    if (const GroupBytes* meta = metadata_for(m.params, protocol_)) {
      pm.subscription = *meta;
    }
    if (auto p = proposed_.find(id); p != proposed_.end()) {
      pm.assignment = p->second;
    }
    md.members.push_back(std::move(pm));
  }
  return md;
}

void GroupMembership::complete_store(int32_t generation, ErrorCode error, GroupTime now) {
  if (state_ != GroupState::kCompletingRebalance || generation != generation_ ||
      store_generation_ != generation) {
    return;  // the group moved on while the record was being written
  }
  if (error != ErrorCode::kNone) {
    store_generation_ = -1;
    reset_assignments(error);
    prepare_rebalance(now);
    maybe_complete_join(now);
    return;
  }
  state_ = GroupState::kStable;
  for (auto& [id, m] : members_) {
    auto p = proposed_.find(id);
    m.assignment = p == proposed_.end() ? GroupBytes{} : std::move(p->second);
    m.heartbeat_deadline = now + m.params.session_timeout;
    if (m.sync_callback) {
      SyncCallback cb = std::move(m.sync_callback);
      m.sync_callback = nullptr;
      cb({ErrorCode::kNone, m.assignment});
    }
  }
  proposed_.clear();
}

void GroupMembership::reset_assignments(ErrorCode error) {
  proposed_.clear();
  for (auto& [id, m] : members_) {
    m.assignment.clear();
    if (m.sync_callback) {
      SyncCallback cb = std::move(m.sync_callback);
      m.sync_callback = nullptr;
      cb({error, {}});
    }
  }
}

}  // namespace meridian::broker
