// GroupCoordinator: membership requests (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), the
// deadline timer and group metadata stores. Offsets: group_coordinator_offsets.cc; loading and
// leadership: group_coordinator_load.cc.
#include "cluster/broker/group_coordinator.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/broker/detail/group_append.h"
#include "cluster/broker/group_records.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Parked requests give up this long after the longest wait the group itself allows.
constexpr std::chrono::milliseconds kWaitSlack{10000};

template <class T>
struct Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<T> result;
};

template <class T>
asio::awaitable<void> wait_for(std::shared_ptr<Waiter<T>> waiter, std::chrono::milliseconds bound) {
  if (waiter->result) {
    co_return;
  }
  waiter->timer.expires_after(bound);
  co_await waiter->timer.async_wait(kUseTuple);
}

}  // namespace

GroupCoordinator::GroupCoordinator(asio::any_io_executor io, asio::any_io_executor blocking,
                                   GroupCoordinatorOptions options, ReplicaManager& replicas,
                                   MetadataCache& metadata, TopicAdmin* admin)
    : strand_(asio::make_strand(io)),
      blocking_(std::move(blocking)),
      options_(options),
      replicas_(replicas),
      metadata_(metadata),
      admin_(admin),
      timer_(strand_) {}

GroupCoordinator::~GroupCoordinator() = default;

void GroupCoordinator::start() {
  asio::post(strand_, [this] {
    if (!timer_running_ && !stopped_) {
      timer_running_ = true;
      asio::co_spawn(strand_, timer_loop(), asio::detached);
    }
  });
}

asio::awaitable<void> GroupCoordinator::stop() {
  auto body = [this]() -> asio::awaitable<void> {
    stopped_ = true;
    for (auto& [id, g] : groups_) {
      g->membership->shutdown(ErrorCode::kNotCoordinator);
    }
    groups_.clear();
    owned_.clear();
    timer_.cancel();
    co_return;
  };
  co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

GroupCoordinator::Group* GroupCoordinator::find_group(const std::string& group) {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : it->second.get();
}

GroupCoordinator::Group& GroupCoordinator::get_or_create(const std::string& group,
                                                         int32_t partition) {
  auto& slot = groups_[group];
  if (!slot) {
    slot = std::make_unique<Group>();
    slot->membership = std::make_unique<GroupMembership>(group, options_.group);
    slot->partition = partition;
  }
  return *slot;
}

void GroupCoordinator::after_change(const std::string& group) {
  Group* g = find_group(group);
  if (g == nullptr) {
    return;
  }
  auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  if (auto md = g->membership->take_pending_store(wall_ms)) {
    asio::co_spawn(strand_, store_group(group, std::move(*md)), asio::detached);
  }
  if (g->membership->idle() && g->membership->generation() == 0 && g->offsets.empty()) {
    groups_.erase(group);  // a group that never formed and committed nothing leaves no trace
  }
  wake_timer();
}

void GroupCoordinator::wake_timer() { timer_.cancel(); }

void GroupCoordinator::tick_all() {
  auto now = GroupClock::now();
  std::vector<std::string> due;
  for (auto& [id, g] : groups_) {
    auto next = g->membership->next_deadline();
    if (next && *next <= now) {
      due.push_back(id);
    }
  }
  for (const auto& id : due) {
    if (Group* g = find_group(id)) {
      g->membership->tick(now);
      after_change(id);
    }
  }
}

asio::awaitable<void> GroupCoordinator::timer_loop() {
  while (!stopped_) {
    tick_all();
    auto next = GroupClock::now() + std::chrono::seconds(1);
    for (auto& [id, g] : groups_) {
      if (auto d = g->membership->next_deadline(); d && *d < next) {
        next = *d;
      }
    }
    timer_.expires_at(next);
    co_await timer_.async_wait(kUseTuple);
  }
  timer_running_ = false;
}

asio::awaitable<void> GroupCoordinator::store_group(std::string group, GroupMetadata metadata) {
  Group* g = find_group(group);
  if (g == nullptr) {
    co_return;
  }
  GroupMembership* identity = g->membership.get();
  int32_t partition = g->partition;
  int32_t generation = metadata.generation;
  std::vector<std::pair<GroupBytes, std::optional<GroupBytes>>> records;
  records.emplace_back(encode_group_key(GroupKey{group}), encode_group_value(metadata));
  ErrorCode ec = co_await append(partition, std::move(records));
  ec = detail::group_store_error(ec);
  g = find_group(group);
  if (g == nullptr || g->membership.get() != identity) {
    co_return;  // unloaded or deleted meanwhile
  }
  if (ec != ErrorCode::kNone) {
    logger("groups")->warn("group {}: storing generation {} failed: {}", group, generation,
                           protocol::error_code_name(ec));
  }
  g->membership->complete_store(generation, ec, GroupClock::now());
  after_change(group);
}

asio::awaitable<ErrorCode> GroupCoordinator::append(
    int32_t partition, std::vector<std::pair<GroupBytes, std::optional<GroupBytes>>> records) {
  TopicPartition tp{kConsumerOffsetsTopic, PartitionId(partition)};
  auto p = replicas_.get(tp);
  if (!p) {
    co_return ErrorCode::kNotCoordinator;
  }
  auto built = detail::build_offsets_batch(records);
  if (!built) {
    co_return ErrorCode::kUnknownServerError;
  }
  std::vector<uint8_t> bytes = std::move(*built);
  std::span<uint8_t> batch(bytes);
  auto appended =
      co_await p->append_as_leader(batch, replication::Acks::kAll, options_.commit_timeout);
  if (appended) {
    co_return ErrorCode::kNone;
  }
  co_return detail::append_error(appended.error());
}

asio::awaitable<JoinResult> GroupCoordinator::join(std::string group, JoinParams params) {
  auto body = [this, group = std::move(group),
               params = std::move(params)]() mutable -> asio::awaitable<JoinResult> {
    JoinResult r;
    r.member_id = params.member_id;
    int32_t partition = -1;
    r.error = group.empty() ? ErrorCode::kInvalidGroupId : check_owner(group, partition);
    if (r.error != ErrorCode::kNone) {
      co_return r;
    }
    Group* g = find_group(group);
    if (g == nullptr && !params.member_id.empty()) {
      r.error = ErrorCode::kUnknownMemberId;
      co_return r;
    }
    Group& target = g != nullptr ? *g : get_or_create(group, partition);
    auto waiter = std::make_shared<Waiter<JoinResult>>(strand_);
    std::chrono::milliseconds bound =
        params.rebalance_timeout + params.session_timeout + kWaitSlack;
    target.membership->join(std::move(params), GroupClock::now(), [waiter](JoinResult result) {
      waiter->result = std::move(result);
      waiter->timer.cancel();
    });
    after_change(group);
    co_await wait_for(waiter, bound);
    if (!waiter->result) {
      r.error = ErrorCode::kRebalanceInProgress;
      co_return r;
    }
    co_return std::move(*waiter->result);
  };
  JoinResult out = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return out;
}

asio::awaitable<SyncResult> GroupCoordinator::sync(std::string group, SyncParams params) {
  auto body = [this, group = std::move(group),
               params = std::move(params)]() mutable -> asio::awaitable<SyncResult> {
    SyncResult r;
    int32_t partition = -1;
    r.error = group.empty() ? ErrorCode::kInvalidGroupId : check_owner(group, partition);
    if (r.error != ErrorCode::kNone) {
      co_return r;
    }
    Group* g = find_group(group);
    if (g == nullptr) {
      r.error = ErrorCode::kUnknownMemberId;
      co_return r;
    }
    auto waiter = std::make_shared<Waiter<SyncResult>>(strand_);
    std::chrono::milliseconds bound = options_.group.max_session_timeout + kWaitSlack;
    g->membership->sync(std::move(params), GroupClock::now(), [waiter](SyncResult result) {
      waiter->result = std::move(result);
      waiter->timer.cancel();
    });
    after_change(group);
    co_await wait_for(waiter, bound);
    if (!waiter->result) {
      r.error = ErrorCode::kRebalanceInProgress;
      co_return r;
    }
    co_return std::move(*waiter->result);
  };
  SyncResult out = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return out;
}

asio::awaitable<ErrorCode> GroupCoordinator::heartbeat(std::string group, std::string member_id,
                                                       int32_t generation) {
  auto body = [this, group = std::move(group), member_id = std::move(member_id),
               generation]() -> asio::awaitable<ErrorCode> {
    int32_t partition = -1;
    ErrorCode ec = group.empty() ? ErrorCode::kInvalidGroupId : check_owner(group, partition);
    if (ec != ErrorCode::kNone) {
      co_return ec;
    }
    Group* g = find_group(group);
    if (g == nullptr) {
      co_return ErrorCode::kUnknownMemberId;
    }
    ec = g->membership->heartbeat(member_id, generation, GroupClock::now());
    after_change(group);
    co_return ec;
  };
  ErrorCode out = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return out;
}

asio::awaitable<LeaveOutcome> GroupCoordinator::leave(std::string group,
                                                      std::vector<std::string> members) {
  auto body = [this, group = std::move(group),
               members = std::move(members)]() -> asio::awaitable<LeaveOutcome> {
    LeaveOutcome out;
    int32_t partition = -1;
    out.error = group.empty() ? ErrorCode::kInvalidGroupId : check_owner(group, partition);
    Group* g = out.error == ErrorCode::kNone ? find_group(group) : nullptr;
    if (out.error == ErrorCode::kNone && g == nullptr) {
      out.error = ErrorCode::kUnknownMemberId;
    }
    for (const auto& member : members) {
      out.members.push_back(out.error != ErrorCode::kNone
                                ? out.error
                                : g->membership->leave(member, GroupClock::now()));
    }
    if (g != nullptr) {
      after_change(group);
    }
    co_return out;
  };
  LeaveOutcome out = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return out;
}

}  // namespace meridian::broker
