// The group state machine without sockets, timers or a log: join, sync, heartbeat, leave,
// session expiry, rebalance and sync deadlines, generation and member fencing.
#include "cluster/broker/group_membership.h"

#include <optional>

#include <gtest/gtest.h>

namespace meridian::broker {
namespace {

using protocol::ErrorCode;
using std::chrono::milliseconds;

constexpr milliseconds kSession{10000};
constexpr milliseconds kRebalance{30000};

GroupConfig config(milliseconds initial_delay = milliseconds(0)) {
  GroupConfig c;
  c.initial_rebalance_delay = initial_delay;
  return c;
}

JoinParams params(std::string member_id = {}, std::vector<std::string> protocols = {"range"},
                  bool require_known = false) {
  JoinParams p;
  p.member_id = std::move(member_id);
  p.client_id = "client";
  p.client_host = "/127.0.0.1";
  p.session_timeout = kSession;
  p.rebalance_timeout = kRebalance;
  p.protocol_type = "consumer";
  for (auto& name : protocols) {
    p.protocols.push_back({name, GroupBytes(name.begin(), name.end())});
  }
  p.require_known_member_id = require_known;
  return p;
}

struct JoinSlot {
  std::optional<JoinResult> result;
  JoinCallback callback() {
    return [this](JoinResult r) { result = std::move(r); };
  }
};
struct SyncSlot {
  std::optional<SyncResult> result;
  SyncCallback callback() {
    return [this](SyncResult r) { result = std::move(r); };
  }
};

class GroupMembershipTest : public ::testing::Test {
 protected:
  GroupTime t0 = GroupClock::now();
  GroupTime now = t0;
  GroupMembership group{"g", config()};

  // Runs every deadline due up to `now` (what the coordinator's timer does).
  void advance(milliseconds by) {
    now += by;
    group.tick(now);
  }

  // Two members through join + sync to Stable; returns their ids (leader first).
  std::pair<std::string, std::string> stable_pair() {
    JoinSlot a, b;
    group.join(params(), now, a.callback());
    group.join(params(), now, b.callback());
    advance(milliseconds(0));
    EXPECT_TRUE(a.result && b.result);
    std::string leader = a.result->leader;
    std::string other = leader == a.result->member_id ? b.result->member_id : a.result->member_id;
    SyncSlot sl, so;
    group.sync({other, group.generation(), {}}, now, so.callback());
    group.sync({leader, group.generation(), {{leader, {1}}, {other, {2}}}}, now, sl.callback());
    auto md = group.take_pending_store(0);
    EXPECT_TRUE(md);
    group.complete_store(md->generation, ErrorCode::kNone, now);
    EXPECT_EQ(group.state(), GroupState::kStable);
    return {leader, other};
  }
};

TEST_F(GroupMembershipTest, FirstJoinWaitsForTheJoinPhaseThenLeaderGetsMembers) {
  JoinSlot a, b;
  group.join(params(), now, a.callback());
  EXPECT_EQ(group.state(), GroupState::kPreparingRebalance);
  EXPECT_FALSE(a.result);  // the initial join phase ends on the timer, not at once
  group.join(params(), now, b.callback());
  advance(milliseconds(0));
  ASSERT_TRUE(a.result && b.result);
  EXPECT_EQ(group.state(), GroupState::kCompletingRebalance);
  EXPECT_EQ(a.result->error, ErrorCode::kNone);
  EXPECT_EQ(a.result->generation, 1);
  EXPECT_EQ(b.result->generation, 1);
  EXPECT_EQ(a.result->protocol_name, "range");
  EXPECT_EQ(a.result->leader, b.result->leader);
  const JoinResult& leader = a.result->member_id == a.result->leader ? *a.result : *b.result;
  const JoinResult& follower = &leader == &*a.result ? *b.result : *a.result;
  EXPECT_EQ(leader.members.size(), 2u);
  EXPECT_TRUE(follower.members.empty());
  EXPECT_TRUE(a.result->member_id.starts_with("client-"));
}

TEST_F(GroupMembershipTest, InitialDelayCollectsLateJoiners) {
  GroupMembership delayed("d", config(milliseconds(3000)));
  JoinSlot a, b;
  delayed.join(params(), now, a.callback());
  delayed.tick(now + milliseconds(2000));
  EXPECT_FALSE(a.result);
  delayed.join(params(), now + milliseconds(2000), b.callback());
  delayed.tick(now + milliseconds(3500));  // the second join pushed the deadline to 5000
  EXPECT_FALSE(a.result);
  delayed.tick(now + milliseconds(5000));
  ASSERT_TRUE(a.result && b.result);
  EXPECT_EQ(a.result->generation, 1);
}

TEST_F(GroupMembershipTest, MemberIdRequiredThenJoin) {
  JoinSlot first;
  group.join(params({}, {"range"}, true), now, first.callback());
  ASSERT_TRUE(first.result);
  EXPECT_EQ(first.result->error, ErrorCode::kMemberIdRequired);
  std::string id = first.result->member_id;
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(group.state(), GroupState::kEmpty);
  JoinSlot second;
  group.join(params(id, {"range"}, true), now, second.callback());
  advance(milliseconds(0));
  ASSERT_TRUE(second.result);
  EXPECT_EQ(second.result->error, ErrorCode::kNone);
  EXPECT_EQ(second.result->member_id, id);
  EXPECT_EQ(second.result->leader, id);
}

TEST_F(GroupMembershipTest, PendingMemberIdExpires) {
  JoinSlot first;
  group.join(params({}, {"range"}, true), now, first.callback());
  advance(kSession + milliseconds(1));
  JoinSlot late;
  group.join(params(first.result->member_id, {"range"}, true), now, late.callback());
  ASSERT_TRUE(late.result);
  EXPECT_EQ(late.result->error, ErrorCode::kUnknownMemberId);
}

TEST_F(GroupMembershipTest, SyncPassesTheLeadersAssignmentThroughAfterTheStore) {
  JoinSlot a, b;
  group.join(params(), now, a.callback());
  group.join(params(), now, b.callback());
  advance(milliseconds(0));
  std::string leader = a.result->leader;
  std::string other = leader == a.result->member_id ? b.result->member_id : a.result->member_id;
  SyncSlot so, sl;
  group.sync({other, 1, {}}, now, so.callback());
  EXPECT_FALSE(so.result);  // waits for the leader
  EXPECT_FALSE(group.take_pending_store(0));
  group.sync({leader, 1, {{leader, {0xAA}}, {other, {0xBB, 0xCC}}}}, now, sl.callback());
  EXPECT_FALSE(sl.result);  // waits for the group metadata to be stored
  auto md = group.take_pending_store(1234);
  ASSERT_TRUE(md);
  EXPECT_EQ(md->generation, 1);
  EXPECT_EQ(md->protocol, "range");
  EXPECT_EQ(md->leader, leader);
  EXPECT_EQ(md->current_state_timestamp, 1234);
  ASSERT_EQ(md->members.size(), 2u);
  group.complete_store(1, ErrorCode::kNone, now);
  ASSERT_TRUE(so.result && sl.result);
  EXPECT_EQ(sl.result->assignment, (GroupBytes{0xAA}));
  EXPECT_EQ(so.result->assignment, (GroupBytes{0xBB, 0xCC}));
  EXPECT_EQ(group.state(), GroupState::kStable);
  // A late SyncGroup in Stable gets its assignment at once.
  SyncSlot again;
  group.sync({other, 1, {}}, now, again.callback());
  ASSERT_TRUE(again.result);
  EXPECT_EQ(again.result->assignment, (GroupBytes{0xBB, 0xCC}));
}

TEST_F(GroupMembershipTest, StoreFailureFailsTheSyncAndRebalances) {
  JoinSlot a;
  group.join(params(), now, a.callback());
  advance(milliseconds(0));
  SyncSlot s;
  group.sync({a.result->member_id, 1, {{a.result->member_id, {1}}}}, now, s.callback());
  ASSERT_TRUE(group.take_pending_store(0));
  group.complete_store(1, ErrorCode::kNotCoordinator, now);
  ASSERT_TRUE(s.result);
  EXPECT_EQ(s.result->error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(group.state(), GroupState::kPreparingRebalance);
}

TEST_F(GroupMembershipTest, HeartbeatAndCommitFencing) {
  auto [leader, other] = stable_pair();
  EXPECT_EQ(group.heartbeat(leader, 1, now), ErrorCode::kNone);
  EXPECT_EQ(group.heartbeat(leader, 0, now), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(group.heartbeat("nobody", 1, now), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(group.validate_commit(other, 1, now), ErrorCode::kNone);
  EXPECT_EQ(group.validate_commit(other, 0, now), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(group.validate_commit("nobody", 1, now), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(group.validate_commit("", -1, now), ErrorCode::kUnknownMemberId);  // not Empty
  // A stale commit does not disturb the group.
  EXPECT_EQ(group.state(), GroupState::kStable);
  EXPECT_EQ(group.heartbeat(other, 1, now), ErrorCode::kNone);
}

TEST_F(GroupMembershipTest, NewMemberTriggersRebalanceAndOldMembersRejoin) {
  auto [leader, other] = stable_pair();
  JoinSlot c;
  group.join(params(), now, c.callback());
  EXPECT_EQ(group.state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(group.heartbeat(leader, 1, now), ErrorCode::kRebalanceInProgress);
  // The old generation may still commit while the group prepares the rebalance.
  EXPECT_EQ(group.validate_commit(other, 1, now), ErrorCode::kNone);
  JoinSlot l, o;
  group.join(params(leader), now, l.callback());
  EXPECT_FALSE(c.result);
  group.join(params(other), now, o.callback());  // the last one: the join phase ends at once
  ASSERT_TRUE(c.result && l.result && o.result);
  EXPECT_EQ(c.result->generation, 2);
  EXPECT_EQ(l.result->leader, leader);  // the leader stays the leader
  EXPECT_EQ(l.result->members.size(), 3u);
  EXPECT_EQ(group.validate_commit(other, 1, now), ErrorCode::kRebalanceInProgress);
  SyncSlot stale;
  group.sync({other, 1, {}}, now, stale.callback());
  EXPECT_EQ(stale.result->error, ErrorCode::kIllegalGeneration);
}

TEST_F(GroupMembershipTest, SessionExpiryRemovesTheSilentMember) {
  auto [leader, other] = stable_pair();
  for (int i = 0; i < 3; ++i) {
    advance(milliseconds(3000));
    EXPECT_EQ(group.heartbeat(leader, 1, now), ErrorCode::kNone) << i;
  }
  EXPECT_TRUE(group.has_member(other));
  advance(milliseconds(3000));
  // `other` has been silent for 12 s > its 10 s session: it is gone and a rebalance began.
  EXPECT_FALSE(group.has_member(other));
  EXPECT_EQ(group.state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(group.heartbeat(leader, 1, now), ErrorCode::kRebalanceInProgress);
  JoinSlot l;
  group.join(params(leader), now, l.callback());
  ASSERT_TRUE(l.result);
  EXPECT_EQ(l.result->generation, 2);
  EXPECT_EQ(l.result->members.size(), 1u);
  EXPECT_EQ(group.heartbeat(other, 2, now), ErrorCode::kUnknownMemberId);
}

TEST_F(GroupMembershipTest, RebalanceTimeoutDropsMembersThatDoNotRejoin) {
  auto [leader, other] = stable_pair();
  JoinSlot l;
  group.join(params(leader), now, l.callback());
  // `other` keeps heartbeating but never rejoins.
  for (int i = 0; i < 9; ++i) {
    advance(milliseconds(3000));
    EXPECT_EQ(group.heartbeat(other, 1, now), ErrorCode::kRebalanceInProgress);
  }
  EXPECT_FALSE(l.result);
  advance(milliseconds(4000));  // 31 s > the 30 s rebalance timeout
  ASSERT_TRUE(l.result);
  EXPECT_EQ(l.result->generation, 2);
  EXPECT_FALSE(group.has_member(other));
}

TEST_F(GroupMembershipTest, LeaveRebalancesAndTheLastLeaveEmptiesTheGroup) {
  auto [leader, other] = stable_pair();
  EXPECT_EQ(group.leave(leader, now), ErrorCode::kNone);
  EXPECT_EQ(group.leave(leader, now), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(group.state(), GroupState::kPreparingRebalance);
  JoinSlot o;
  group.join(params(other), now, o.callback());
  ASSERT_TRUE(o.result);
  EXPECT_EQ(o.result->leader, other);
  EXPECT_EQ(o.result->generation, 2);
  EXPECT_EQ(group.leave(other, now), ErrorCode::kNone);
  EXPECT_EQ(group.state(), GroupState::kEmpty);
  EXPECT_EQ(group.generation(), 3);
  auto md = group.take_pending_store(0);  // the empty generation is persisted too
  ASSERT_TRUE(md);
  EXPECT_TRUE(md->members.empty());
  EXPECT_EQ(md->generation, 3);
  EXPECT_EQ(group.validate_commit("", -1, now), ErrorCode::kNone);
}

TEST_F(GroupMembershipTest, SyncDeadlineDropsALeaderThatNeverAssigns) {
  JoinSlot a, b;
  group.join(params(), now, a.callback());
  group.join(params(), now, b.callback());
  advance(milliseconds(0));
  std::string leader = a.result->leader;
  std::string other = leader == a.result->member_id ? b.result->member_id : a.result->member_id;
  SyncSlot so;
  group.sync({other, 1, {}}, now, so.callback());
  advance(kRebalance + milliseconds(1));
  ASSERT_TRUE(so.result);
  EXPECT_EQ(so.result->error, ErrorCode::kRebalanceInProgress);
  EXPECT_FALSE(group.has_member(leader));
  EXPECT_TRUE(group.has_member(other));
}

TEST_F(GroupMembershipTest, ProtocolChecks) {
  JoinSlot a;
  group.join(params({}, {"roundrobin", "range"}), now, a.callback());
  JoinSlot bad_type;
  auto p = params();
  p.protocol_type = "connect";
  group.join(p, now, bad_type.callback());
  EXPECT_EQ(bad_type.result->error, ErrorCode::kInconsistentGroupProtocol);
  JoinSlot no_common;
  group.join(params({}, {"sticky"}), now, no_common.callback());
  EXPECT_EQ(no_common.result->error, ErrorCode::kInconsistentGroupProtocol);
  JoinSlot short_session;
  auto q = params();
  q.session_timeout = milliseconds(100);
  group.join(q, now, short_session.callback());
  EXPECT_EQ(short_session.result->error, ErrorCode::kInvalidSessionTimeout);
  JoinSlot b;
  group.join(params({}, {"range"}), now, b.callback());
  advance(milliseconds(0));
  ASSERT_TRUE(a.result && b.result);
  EXPECT_EQ(a.result->protocol_name, "range");  // the only one every member supports
  JoinSlot unknown;
  group.join(params("ghost"), now, unknown.callback());
  EXPECT_EQ(unknown.result->error, ErrorCode::kUnknownMemberId);
}

TEST_F(GroupMembershipTest, RestoredGroupKeepsItsGenerationAndMembers) {
  GroupMetadata md;
  md.protocol_type = "consumer";
  md.generation = 7;
  md.protocol = "range";
  md.leader = "m1";
  md.members.push_back({"m1", std::nullopt, "c", "/h", 30000, 10000, {1}, {2}});
  md.members.push_back({"m2", std::nullopt, "c", "/h", 30000, 10000, {1}, {3}});
  auto g = GroupMembership::restore("g", config(), md, now);
  EXPECT_EQ(g->state(), GroupState::kStable);
  EXPECT_EQ(g->generation(), 7);
  EXPECT_EQ(g->heartbeat("m2", 7, now), ErrorCode::kNone);
  EXPECT_EQ(g->validate_commit("m1", 6, now), ErrorCode::kIllegalGeneration);
  SyncSlot s;
  g->sync({"m2", 7, {}}, now, s.callback());
  EXPECT_EQ(s.result->assignment, (GroupBytes{3}));
  // Clients that died with the old coordinator expire like any member.
  EXPECT_EQ(g->heartbeat("m2", 7, now + milliseconds(5000)), ErrorCode::kNone);
  g->tick(now + kSession + milliseconds(1));
  EXPECT_EQ(g->state(), GroupState::kPreparingRebalance);
  EXPECT_FALSE(g->has_member("m1"));
  g->tick(now + kSession + milliseconds(5001));
  EXPECT_EQ(g->state(), GroupState::kEmpty);
  EXPECT_EQ(g->generation(), 8);
}

TEST_F(GroupMembershipTest, ShutdownAnswersParkedRequests) {
  JoinSlot a;
  group.join(params(), now, a.callback());
  group.shutdown(ErrorCode::kNotCoordinator);
  ASSERT_TRUE(a.result);
  EXPECT_EQ(a.result->error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(group.state(), GroupState::kDead);
  EXPECT_EQ(group.heartbeat(a.result->member_id, 0, now), ErrorCode::kCoordinatorNotAvailable);
}

}  // namespace
}  // namespace meridian::broker
