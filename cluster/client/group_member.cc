// GroupMember: JoinGroup -> (leader assigns) -> SyncGroup, then a heartbeat loop on a timer.
//
// Rebalance protocol in short (Kafka's classic "eager" protocol, KIP-62 timeouts): every member
// sends JoinGroup; the coordinator answers all of them once everyone known has rejoined (or the
// rebalance timeout passed), the leader's answer listing every member's subscription. The leader
// computes the assignment and hands it over in its SyncGroup; every member's SyncGroup answer
// carries its own partitions. Heartbeats answered REBALANCE_IN_PROGRESS mean "join again";
// UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION mean this member was fenced (session expired).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "cluster/client/group_client.h"
#include "cluster/protocol/messages.h"

namespace meridian::client {

namespace asio = boost::asio;
using protocol::ErrorCode;

struct GroupMember::State {
  explicit State(asio::any_io_executor ex) : timer(ex) {}
  GroupMemberOptions options;
  std::vector<std::string> subscription;
  std::string member_id;
  GroupAssignment assignment;
  bool rejoin = true;
  bool joining = false;
  bool stopped = false;
  uint64_t epoch = 0;  // bumped per generation: an older heartbeat loop sees it and exits
  asio::steady_timer timer;
  CoordinatorLink link;  // this member's own coordinator connection
  std::shared_ptr<void> owner;  // see keep_alive()
};

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr const char* kProtocolType = "consumer";
// Bounds the JoinGroup/SyncGroup round trips of one ensure_active() (each may wait for a
// rebalance; MEMBER_ID_REQUIRED alone costs one extra round).
constexpr int kMaxJoinRounds = 10;
// Metadata looks (100 ms apart) for subscribed topics the leader does not see yet.
constexpr int kMetadataAttempts = 20;

using State = GroupMember::State;
asio::awaitable<Result<void>> join_and_sync(GroupClient& groups, std::shared_ptr<State> state);
}  // namespace


GroupMember::GroupMember(GroupClient& groups, GroupMemberOptions options)
    : groups_(groups), state_(std::make_shared<State>(groups.client().executor())) {
  // A JoinGroup may wait a whole rebalance timeout; it must answer before the request timeout.
  const auto limit = groups.client().options().request_timeout - std::chrono::milliseconds(1000);
  if (options.rebalance_timeout > limit && limit.count() > 0) {
    options.rebalance_timeout = limit;
  }
  state_->options = std::move(options);
}

GroupMember::~GroupMember() {
  state_->stopped = true;
  state_->timer.cancel();
  if (state_->link.connection) {
    state_->link.connection->close();  // a pending heartbeat fails with disconnected and ends
  }
}

void GroupMember::subscribe(std::vector<std::string> topics) {
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  if (topics != state_->subscription) {
    state_->subscription = std::move(topics);
    state_->rejoin = true;
  }
}

const std::vector<std::string>& GroupMember::subscription() const noexcept {
  return state_->subscription;
}
bool GroupMember::needs_rejoin() const noexcept { return state_->rejoin; }
void GroupMember::request_rejoin() noexcept { state_->rejoin = true; }
void GroupMember::keep_alive(std::shared_ptr<void> owner) { state_->owner = std::move(owner); }
const GroupAssignment& GroupMember::assignment() const noexcept { return state_->assignment; }

asio::awaitable<Result<GroupAssignment>> GroupMember::ensure_active() {
  // Another coroutine (the heartbeat loop or a concurrent caller) may be joining: wait for it,
  // bounded by the rebalance timeout plus slack.
  const auto deadline = std::chrono::steady_clock::now() + state_->options.rebalance_timeout +
                        std::chrono::seconds(5);
  while (state_->joining && std::chrono::steady_clock::now() < deadline) {
    asio::steady_timer wait(groups_.client().executor());
    wait.expires_after(std::chrono::milliseconds(20));
    [[maybe_unused]] auto [ec] = co_await wait.async_wait(kUseTuple);
  }
  if (state_->stopped) {
    co_return make_error_code(errc::closed);
  }
  if (state_->rejoin) {
    auto joined = co_await join_and_sync(groups_, state_);
    if (!joined) {
      co_return joined.error();
    }
  }
  co_return state_->assignment;
}

namespace {

asio::awaitable<Result<std::vector<protocol::SyncGroupRequest::Assignment>>> assign(
    GroupClient& groups, const protocol::JoinGroupResponse& joined,
    std::map<std::string, int32_t>& counts);
void start_heartbeats(GroupClient& groups, std::shared_ptr<State> state);

asio::awaitable<Result<void>> join_and_sync(GroupClient& groups, std::shared_ptr<State> state) {
  state->joining = true;
  struct Unmark {
    std::shared_ptr<State> s;
    ~Unmark() { s->joining = false; }
  } unmark{state};
  const std::string group = state->options.group_id;
  std::error_code last = kafka_error(ErrorCode::kRebalanceInProgress);
  for (int round = 0; round < kMaxJoinRounds && !state->stopped; ++round) {
    protocol::JoinGroupRequest join;
    join.group_id = group;
    join.session_timeout_ms = static_cast<int32_t>(state->options.session_timeout.count());
    join.rebalance_timeout_ms = static_cast<int32_t>(state->options.rebalance_timeout.count());
    join.member_id = state->member_id;
    join.group_instance_id = state->options.group_instance_id;
    join.protocol_type = kProtocolType;
    for (const auto& assignor : state->options.assignors) {
      join.protocols.push_back({assignor, encode_subscription(state->subscription)});
    }
    if (join.protocols.empty()) {
      join.protocols.push_back({"range", encode_subscription(state->subscription)});
    }
    auto join_error = [](const protocol::JoinGroupResponse& r) { return r.error_code; };
    auto joined =
        co_await groups.to_coordinator(group, std::move(join), join_error, &state->link);
    if (!joined) {
      co_return joined.error();
    }
    const ErrorCode jc = joined->error_code;
    if (jc == ErrorCode::kMemberIdRequired) {  // KIP-394: rejoin with the id we were given
      state->member_id = joined->member_id;
      continue;
    }
    if (jc == ErrorCode::kUnknownMemberId || jc == ErrorCode::kIllegalGeneration) {
      state->member_id.clear();
      last = kafka_error(jc);
      continue;
    }
    if (jc == ErrorCode::kRebalanceInProgress) {
      last = kafka_error(jc);
      continue;
    }
    if (jc != ErrorCode::kNone) {
      co_return kafka_error(jc);
    }
    state->member_id = joined->member_id;
    const bool leader = joined->leader == joined->member_id;
    std::vector<protocol::SyncGroupRequest::Assignment> assignments;
    std::map<std::string, int32_t> counts;
    if (leader) {
      auto assigned = co_await assign(groups, *joined, counts);
      if (!assigned) {
        co_return assigned.error();
      }
      assignments = std::move(*assigned);
    }
    protocol::SyncGroupRequest sync;
    sync.group_id = group;
    sync.generation_id = joined->generation_id;
    sync.member_id = state->member_id;
    sync.group_instance_id = state->options.group_instance_id;
    sync.assignments = std::move(assignments);
    auto sync_error = [](const protocol::SyncGroupResponse& r) { return r.error_code; };
    auto synced =
        co_await groups.to_coordinator(group, std::move(sync), sync_error, &state->link);
    if (!synced) {
      co_return synced.error();
    }
    const ErrorCode sc = synced->error_code;
    if (sc == ErrorCode::kUnknownMemberId) {
      state->member_id.clear();
    }
    if (sc == ErrorCode::kRebalanceInProgress || sc == ErrorCode::kUnknownMemberId ||
        sc == ErrorCode::kIllegalGeneration) {
      last = kafka_error(sc);
      continue;
    }
    if (sc != ErrorCode::kNone) {
      co_return kafka_error(sc);
    }
    auto partitions = decode_assignment(synced->assignment);
    if (!partitions) {
      co_return partitions.error();
    }
    state->assignment = GroupAssignment{joined->generation_id, state->member_id, leader,
                                        std::move(*partitions), std::move(counts)};
    state->rejoin = false;
    ++state->epoch;
    start_heartbeats(groups, state);
    co_return Result<void>{};
  }
  co_return state->stopped ? make_error_code(errc::closed) : last;
}

asio::awaitable<Result<std::vector<protocol::SyncGroupRequest::Assignment>>> assign(
    GroupClient& groups, const protocol::JoinGroupResponse& joined,
    std::map<std::string, int32_t>& counts) {
  std::map<std::string, std::vector<std::string>> subscriptions;
  std::set<std::string> topics;
  for (const auto& m : joined.members) {
    auto topics_of = decode_subscription(m.metadata);
    if (!topics_of) {
      co_return topics_of.error();
    }
    topics.insert(topics_of->begin(), topics_of->end());
    subscriptions[m.member_id] = std::move(*topics_of);
  }
  // A topic created a moment ago may be unknown to the broker we ask (its metadata cache lags
  // the controller): look again, boundedly, before assigning it to nobody.
  for (int attempt = 0; attempt < kMetadataAttempts && counts.size() < topics.size(); ++attempt) {
    if (attempt > 0) {
      asio::steady_timer pause(groups.client().executor());
      pause.expires_after(std::chrono::milliseconds(100));
      [[maybe_unused]] auto [ec] = co_await pause.async_wait(kUseTuple);
    }
    std::vector<std::string> wanted(topics.begin(), topics.end());
    auto meta = co_await groups.client().metadata(std::move(wanted));
    if (!meta) {
      co_return meta.error();
    }
    for (const auto& t : topics) {
      auto it = (*meta)->topics.find(t);
      if (it != (*meta)->topics.end() && !it->second.partitions.empty()) {
        counts[t] = static_cast<int32_t>(it->second.partitions.size());
      }
    }
  }
  auto plan = assign_by_protocol(joined.protocol_name, subscriptions, counts);
  std::vector<protocol::SyncGroupRequest::Assignment> out;
  for (auto& [member, partitions] : plan) {
    out.push_back({member, encode_assignment(partitions)});
  }
  co_return out;
}

void start_heartbeats(GroupClient& group_client, std::shared_ptr<State> state) {
  GroupClient* groups = &group_client;
  const uint64_t epoch = state->epoch;
  auto loop = [state, groups, epoch]() -> asio::awaitable<void> {
    auto current = [&] { return !state->stopped && state->epoch == epoch; };
    while (current()) {
      state->timer.expires_after(state->options.heartbeat_interval);
      [[maybe_unused]] auto [ec] = co_await state->timer.async_wait(kUseTuple);
      if (!current()) {
        co_return;
      }
      protocol::HeartbeatRequest beat;
      beat.group_id = state->options.group_id;
      beat.generation_id = state->assignment.generation_id;
      beat.member_id = state->member_id;
      beat.group_instance_id = state->options.group_instance_id;
      auto error_of = [](const protocol::HeartbeatResponse& r) { return r.error_code; };
      auto answer = co_await groups->to_coordinator(state->options.group_id, std::move(beat),
                                                    error_of, &state->link);
      if (!current()) {
        co_return;
      }
      if (!answer || answer->error_code == ErrorCode::kNone) {
        continue;  // transient: the coordinator expires us if it lasts a whole session
      }
      const ErrorCode code = answer->error_code;
      if (code == ErrorCode::kUnknownMemberId || code == ErrorCode::kFencedInstanceId) {
        state->member_id.clear();
      }
      state->rejoin = true;
      break;
    }
    if (state->stopped || state->epoch != epoch || !state->rejoin || state->joining ||
        state->options.rejoin != GroupMemberOptions::Rejoin::kInBackground) {
      co_return;
    }
    // Rejoin from here so an idle owner does not stall the group's rebalance; a failure leaves
    // rejoin set and the owner's next ensure_active() tries again.
    auto rejoined = co_await join_and_sync(*groups, state);
    (void)rejoined;
  };
  asio::co_spawn(group_client.client().executor(), std::move(loop), asio::detached);
}

}  // namespace

asio::awaitable<Result<void>> GroupMember::commit(std::vector<OffsetToCommit> offsets) {
  GroupGeneration generation{state_->assignment.generation_id, state_->member_id};
  auto done = co_await groups_.commit_offsets(state_->options.group_id, std::move(offsets),
                                              std::move(generation));
  if (!done) {
    auto kafka = as_kafka_error(done.error());
    if (kafka && (*kafka == ErrorCode::kIllegalGeneration ||
                  *kafka == ErrorCode::kUnknownMemberId ||
                  *kafka == ErrorCode::kRebalanceInProgress)) {
      state_->rejoin = true;
    }
  }
  co_return done;
}

asio::awaitable<Result<void>> GroupMember::leave() {
  if (state_->stopped) {
    co_return Result<void>{};
  }
  state_->stopped = true;
  state_->timer.cancel();
  if (state_->member_id.empty()) {
    co_return Result<void>{};
  }
  protocol::LeaveGroupRequest request;
  request.group_id = state_->options.group_id;
  request.member_id = state_->member_id;
  request.members.push_back({state_->member_id, state_->options.group_instance_id});
  auto error_of = [](const protocol::LeaveGroupResponse& r) { return r.error_code; };
  auto left = co_await groups_.to_coordinator(state_->options.group_id, std::move(request),
                                              error_of, &state_->link);
  state_->member_id.clear();
  if (state_->link.connection) {
    state_->link.connection->close();
  }
  if (!left) {
    co_return left.error();
  }
  if (left->error_code != ErrorCode::kNone && left->error_code != ErrorCode::kUnknownMemberId) {
    co_return kafka_error(left->error_code);
  }
  co_return Result<void>{};
}

}  // namespace meridian::client
