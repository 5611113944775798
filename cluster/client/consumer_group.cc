// Consumer, group mode: the Consumer drives its GroupMember from poll() (Rejoin::kOnDemand), so
// that before every rejoin it can commit what it consumed (Kafka's onJoinPrepare with
// auto-commit) and after every new generation it restarts each partition from the group's
// committed offset (Kafka's eager protocol: every partition is revoked at a rebalance, so a
// position kept from an older generation could be stale).
#include <boost/asio/use_awaitable.hpp>

#include "cluster/client/consumer.h"
#include "cluster/client/group_client.h"
#include "common/log.h"

namespace meridian::client {

namespace asio = boost::asio;

Consumer::~Consumer() { abandon(); }

void Consumer::subscribe(std::vector<std::string> topics, ConsumerGroupOptions group) {
  if (!member_ || group.group_id != group_.group_id) {
    groups_ = std::make_shared<GroupClient>(client_);
    GroupMemberOptions mo;
    mo.group_id = group.group_id;
    mo.session_timeout = group.session_timeout;
    mo.rebalance_timeout = group.rebalance_timeout;
    mo.heartbeat_interval = group.heartbeat_interval;
    mo.assignors = group.assignors;
    mo.rejoin = GroupMemberOptions::Rejoin::kOnDemand;
    member_ = std::make_unique<GroupMember>(*groups_, std::move(mo));
    member_->keep_alive(groups_);
    generation_ = -1;
    committed_.clear();
  }
  group_ = std::move(group);
  member_->subscribe(std::move(topics));
}

void Consumer::abandon() {
  member_.reset();  // stops heartbeats and closes the coordinator connection; no LeaveGroup
  groups_.reset();
  generation_ = -1;
}

bool Consumer::rejoin_pending() const noexcept { return member_ && member_->needs_rejoin(); }

asio::awaitable<Result<void>> Consumer::commit() {
  std::map<TopicPartition, Offset> offsets;
  for (const auto& tp : assignment_) {
    auto it = positions_.find(tp);
    if (it != positions_.end()) {
      offsets.emplace(tp, it->second);
    }
  }
  co_return co_await commit(std::move(offsets));
}

asio::awaitable<Result<void>> Consumer::commit(std::map<TopicPartition, Offset> offsets) {
  if (!member_) {
    co_return kafka_error(protocol::ErrorCode::kInvalidGroupId);  // not subscribed to a group
  }
  std::vector<OffsetToCommit> todo;
  for (const auto& [tp, offset] : offsets) {
    todo.push_back({tp, offset, ""});
  }
  if (todo.empty()) {
    co_return Result<void>{};
  }
  auto done = co_await member_->commit(std::move(todo));
  if (!done) {
    co_return done.error();
  }
  for (const auto& [tp, offset] : offsets) {
    committed_[tp] = offset;
  }
  last_commit_ = std::chrono::steady_clock::now();
  co_return Result<void>{};
}

asio::awaitable<void> Consumer::auto_commit_if_due(bool force) {
  if (!member_ || !group_.enable_auto_commit || generation_ < 0) {
    co_return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_commit_ < group_.auto_commit_interval) {
    co_return;
  }
  std::map<TopicPartition, Offset> changed;
  for (const auto& tp : assignment_) {
    auto pos = positions_.find(tp);
    auto done = committed_.find(tp);
    if (pos != positions_.end() && (done == committed_.end() || done->second != pos->second)) {
      changed.emplace(tp, pos->second);
    }
  }
  last_commit_ = now;
  auto committed = co_await commit(std::move(changed));
  if (!committed) {  // a fenced member's commit fails; the records come again elsewhere
    logger("client")->debug("group {}: auto-commit failed: {}", group_.group_id,
                            committed.error().message());
  }
}

// Leader only: a subscribed topic whose partition count changed since the assignment needs a
// new one (Kafka's leader compares its metadata snapshot the same way).
asio::awaitable<void> Consumer::check_partition_counts() {
  const auto& current = member_->assignment();
  const auto now = std::chrono::steady_clock::now();
  if (!current.leader || now - last_metadata_check_ < group_.metadata_max_age) {
    co_return;
  }
  last_metadata_check_ = now;
  std::vector<std::string> topics;
  for (const auto& [topic, count] : current.partition_counts) {
    topics.push_back(topic);
  }
  for (const auto& topic : member_->subscription()) {
    if (!current.partition_counts.contains(topic)) {
      topics.push_back(topic);  // subscribed but unknown at the last assignment
    }
  }
  if (topics.empty()) {
    co_return;
  }
  auto wanted = topics;
  auto meta = co_await client_.metadata(std::move(wanted));
  if (!meta || !member_) {
    co_return;
  }
  for (const auto& topic : topics) {
    auto it = (*meta)->topics.find(topic);
    const int32_t now_count =
        it == (*meta)->topics.end() ? 0 : static_cast<int32_t>(it->second.partitions.size());
    auto was = current.partition_counts.find(topic);
    const int32_t was_count = was == current.partition_counts.end() ? 0 : was->second;
    if (now_count != was_count) {
      logger("client")->info("group {}: {} has {} partitions (assigned {}): rebalancing",
                             group_.group_id, topic, now_count, was_count);
      member_->request_rejoin();
      co_return;
    }
  }
}

asio::awaitable<Result<void>> Consumer::rebalance_if_needed() {
  if (generation_ >= 0) {
    co_await check_partition_counts();
  }
  if (generation_ >= 0 && !member_->needs_rejoin()) {
    co_return Result<void>{};
  }
  if (generation_ >= 0) {
    co_await auto_commit_if_due(true);  // before our partitions are revoked
  }
  auto active = co_await member_->ensure_active();
  if (!active) {
    co_return active.error();
  }
  if (active->generation_id != generation_) {
    co_return co_await adopt_assignment();
  }
  co_return Result<void>{};
}

// Takes the member's new assignment: every partition restarts at the group's committed offset,
// or at auto_offset_reset when the group has none.
asio::awaitable<Result<void>> Consumer::adopt_assignment() {
  const GroupAssignment& a = member_->assignment();
  auto partitions = a.partitions;
  positions_.clear();
  committed_.clear();
  assignment_ = partitions;
  next_ = 0;
  generation_ = a.generation_id;
  last_commit_ = std::chrono::steady_clock::now();
  last_metadata_check_ = last_commit_;
  if (partitions.empty()) {
    co_return Result<void>{};
  }
  auto fetched = co_await groups_->fetch_offsets(group_.group_id, partitions);
  if (!fetched) {
    generation_ = -1;  // try again on the next poll
    co_return fetched.error();
  }
  for (const auto& [tp, c] : *fetched) {
    if (!c.error && c.offset.value >= 0) {
      positions_[tp] = c.offset;
      committed_[tp] = c.offset;
    }
  }
  co_return Result<void>{};
}

asio::awaitable<Result<void>> Consumer::close() {
  if (!member_) {
    co_return Result<void>{};
  }
  co_await auto_commit_if_due(true);
  auto left = co_await member_->leave();
  abandon();
  co_return left;
}

}  // namespace meridian::client
