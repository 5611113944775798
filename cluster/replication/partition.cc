#include "cluster/replication/partition.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "common/log.h"

// Lambdas handed to co_spawn are passed as function objects, never called first: co_spawn keeps
// the closure alive for the coroutine, whereas a called lambda coroutine outlives its captures.

namespace meridian::replication {

namespace asio = boost::asio;
using std::chrono::steady_clock;

namespace {

bool contains(const std::vector<BrokerId>& v, BrokerId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

}  // namespace

struct Partition::FollowerState {
  Offset leo{-1};  // unknown until the first fetch
  steady_clock::time_point last_caught_up;
  // Kafka's lastFetchLeaderLogEndOffset/lastFetchTimeMs: a follower that reaches the LEO the
  // leader had at its previous fetch was caught up at that time.
  Offset leo_at_last_fetch{-1};
  steady_clock::time_point last_fetch;
};

// One acks=all produce waiting for the HW to pass `required` (the batch's last offset + 1).
struct Partition::AckWaiter {
  Offset required;
  asio::steady_timer timer;
  AckWaiter(asio::any_io_executor ex, Offset r, std::chrono::milliseconds timeout)
      : required(r), timer(std::move(ex), timeout) {}
};

Partition::Partition(asio::any_io_executor executor, std::string topic, PartitionId id,
                     BrokerId self, std::unique_ptr<log::PartitionLog> log,
                     PartitionConfig config, IsrWriter& isr_writer,
                     std::function<void(DataEvent)> on_data)
    : strand_(asio::make_strand(executor)),
      topic_(std::move(topic)),
      id_(id),
      self_(self),
      log_(std::move(log)),
      config_(config),
      isr_writer_(isr_writer),
      on_data_(std::move(on_data)),
      clock_([] { return steady_clock::now(); }) {
  // Kafka writes the producer snapshot when a segment rolls (the roll runs on this strand, after
  // the previous batch was recorded); the maintenance pass stays the fallback.
  log_->set_roll_snapshot([this](Offset) -> std::optional<std::vector<uint8_t>> {
    if (!producers_loaded_) {
      return std::nullopt;
    }
    return producers_.encode_snapshot();
  });
  publish_snapshot();
}

Partition::~Partition() = default;

steady_clock::time_point Partition::now() const { return clock_(); }

void Partition::set_clock_for_test(std::function<steady_clock::time_point()> clock) {
  clock_ = std::move(clock);
}

asio::awaitable<Result<void>> Partition::apply_state(PartitionState state) {
  return asio::co_spawn(strand_, do_apply_state(std::move(state)), asio::use_awaitable);
}

asio::awaitable<Result<void>> Partition::do_apply_state(PartitionState state) {
  if (state.leader_epoch < state_.leader_epoch) {
    co_return make_error_code(errc::stale_state);
  }
  bool new_epoch = state.leader_epoch > state_.leader_epoch || role_ == Role::kNone;
  Role next = state.leader == self_ ? Role::kLeader : Role::kFollower;
  if (next == Role::kLeader) {
    auto t = now();
    if (role_ != Role::kLeader) {
      // A new term: followers in the ISR count as caught up now (Kafka does the same on
      // election), so a fresh leader does not shrink the ISR before they could fetch.
      ++leader_term_;
      followers_.clear();
      logger("replication")->info("[tp={}-{} epoch={}] became leader, ISR size {}, LEO {}",
                                  topic_, id_.value, state.leader_epoch.value, state.isr.size(),
                                  leo().value);
    }
    // Same leader, new epoch (the controller shrank the ISR): follower states carry over, as
    // in Kafka's makeLeader for an unchanged leader, and pending acks=all keep waiting.
    for (auto r : state.replicas) {
      if (r != self_ && !followers_.contains(r)) {
        followers_[r] = FollowerState{Offset(-1), t, Offset(-1), t};
      }
    }
  } else if (role_ != Role::kFollower || new_epoch) {
    followers_.clear();
    // Pending acks=all produces can no longer complete here.
    for (auto& w : ack_waiters_) {
      w->timer.cancel();
    }
    logger("replication")->info("[tp={}-{} epoch={}] became follower of broker {}", topic_,
                                id_.value, state.leader_epoch.value, state.leader.value);
  }
  role_ = next;
  state_ = std::move(state);
  if (role_ == Role::kLeader) {
    maybe_advance_hw();
  }
  publish_snapshot();
  co_return Result<void>();
}

Result<void> Partition::check_leader(std::optional<LeaderEpoch> current_epoch) const {
  if (current_epoch && current_epoch->value >= 0) {
    if (*current_epoch < state_.leader_epoch) {
      return make_error_code(errc::fenced_leader_epoch);
    }
    if (*current_epoch > state_.leader_epoch) {
      return make_error_code(errc::unknown_leader_epoch);
    }
  }
  if (stopped_) {
    return make_error_code(errc::shutting_down);
  }
  if (role_ != Role::kLeader) {
    return make_error_code(errc::not_leader);
  }
  return {};
}

asio::awaitable<Result<AppendResult>> Partition::append_as_leader(
    std::span<uint8_t> batches, Acks acks, std::chrono::milliseconds timeout) {
  return asio::co_spawn(strand_, do_append(batches, acks, timeout), asio::use_awaitable);
}

asio::awaitable<Result<Partition::PendingAppend>> Partition::append_only(std::span<uint8_t> batches,
                                                                        Acks acks) {
  auto body = [this, batches, acks]() -> asio::awaitable<Result<PendingAppend>> {
    co_return do_append_only(batches, acks);
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<Result<AppendResult>> Partition::wait_replicated(
    PendingAppend pending, std::chrono::milliseconds timeout) {
  return asio::co_spawn(strand_, do_wait_replicated(pending, timeout), asio::use_awaitable);
}

asio::awaitable<Result<AppendResult>> Partition::do_append(std::span<uint8_t> batches, Acks acks,
                                                           std::chrono::milliseconds timeout) {
  auto pending = do_append_only(batches, acks);
  if (!pending) {
    co_return pending.error();
  }
  if (acks != Acks::kAll) {
    co_return pending->result;
  }
  auto replicated = co_await do_wait_replicated(*pending, timeout);
  co_return replicated;
}

Result<Partition::PendingAppend> Partition::do_append_only(std::span<uint8_t> batches, Acks acks) {
  if (auto ok = check_leader(std::nullopt); !ok) {
    return ok.error();
  }
  if (acks == Acks::kAll &&
      static_cast<int>(state_.isr.size()) < config_.min_insync_replicas) {
    return make_error_code(errc::not_enough_replicas);
  }
  // An idempotent producer's retry of a batch we hold is acknowledged at its original
  // offsets (and, with acks=all, once the HW passes them) without a second append.
  auto duplicate = check_producers(batches);
  if (!duplicate) {
    return duplicate.error();
  }
  PendingAppend pending;
  pending.leader_term = leader_term_;
  if (*duplicate) {
    pending.result = **duplicate;
    return pending;
  }
  auto appended = log_->append(batches, state_.leader_epoch);
  if (!appended) {
    return appended.error();
  }
  record_producers(batches);
  pending.result = {appended->first_offset, appended->last_offset, log_->log_start_offset()};
  bool hw_moved = maybe_advance_hw();
  publish_snapshot();
  notify_appended(hw_moved);
  return pending;
}

asio::awaitable<Result<AppendResult>> Partition::do_wait_replicated(
    PendingAppend pending, std::chrono::milliseconds timeout) {
  auto required = pending.result.last_offset + 1;
  if (hw_ < required && !stopped_ && role_ == Role::kLeader && leader_term_ == pending.leader_term) {
    auto waiter = std::make_shared<AckWaiter>(strand_, required, timeout);
    ack_waiters_.push_back(waiter);
    co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    std::erase(ack_waiters_, waiter);
  }
  // Kafka's DelayedProduce: leadership lost (even if regained since: the log may have been
  // truncated meanwhile) -> NOT_LEADER; HW passed -> done, unless the ISR shrank below the
  // minimum meanwhile; else the wait timed out. An epoch bump alone keeps the wait valid.
  if (stopped_) {
    co_return make_error_code(errc::shutting_down);
  }
  if (role_ != Role::kLeader || leader_term_ != pending.leader_term) {
    co_return make_error_code(errc::not_leader);
  }
  if (hw_ >= required) {
    if (static_cast<int>(state_.isr.size()) < config_.min_insync_replicas) {
      co_return make_error_code(errc::not_enough_replicas_after_append);
    }
    co_return pending.result;
  }
  co_return make_error_code(errc::request_timed_out);
}

asio::awaitable<Result<PartitionRead>> Partition::read(Offset from, uint64_t max_bytes,
                                                       std::optional<LeaderEpoch> current_epoch,
                                                       std::optional<BrokerId> follower) {
  auto body = [this, from, max_bytes, current_epoch,
               follower]() -> asio::awaitable<Result<PartitionRead>> {
    co_return do_read(from, max_bytes, current_epoch, follower);
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

Result<PartitionRead> Partition::do_read(Offset from, uint64_t max_bytes,
                                         std::optional<LeaderEpoch> current_epoch,
                                         std::optional<BrokerId> follower) {
  if (auto ok = check_leader(current_epoch); !ok) {
    return ok.error();
  }
  if (follower) {
    if (!contains(state_.replicas, *follower)) {
      return make_error_code(errc::not_leader);  // not a replica of this partition
    }
    update_follower(*follower, from);
  }
  Offset bound = follower ? leo() : hw_;
  PartitionRead out;
  out.high_watermark = hw_;
  out.log_start_offset = log_->log_start_offset();
  out.log_end_offset = leo();
  if (from > bound && !follower) {
    // Between HW and LEO: nothing visible yet (not out of range; Kafka answers empty).
    if (from <= leo()) {
      out.data.next_offset = from;
      return out;
    }
  }
  auto data = log_->read(from, max_bytes, bound);
  if (!data) {
    if (data.error() == log::errc::offset_out_of_range) {
      return make_error_code(errc::offset_out_of_range);
    }
    return data.error();
  }
  out.data = std::move(*data);
  return out;
}

void Partition::update_follower(BrokerId follower, Offset fetch_offset) {
  auto& f = followers_[follower];
  auto t = now();
  Offset leader_leo = leo();
  if (fetch_offset >= leader_leo) {
    f.last_caught_up = t;
  } else if (f.leo_at_last_fetch.value >= 0 && fetch_offset >= f.leo_at_last_fetch) {
    f.last_caught_up = std::max(f.last_caught_up, f.last_fetch);
  }
  f.leo = fetch_offset;
  f.leo_at_last_fetch = leader_leo;
  f.last_fetch = t;
  if (maybe_advance_hw()) {
    publish_snapshot();
    notify_data(DataEvent::kHighWatermark);
  }
  maybe_expand_isr(follower, fetch_offset);
}

bool Partition::maybe_advance_hw() {
  Offset candidate = leo();
  for (auto r : state_.isr) {
    if (r == self_) {
      continue;
    }
    auto it = followers_.find(r);
    Offset follower_leo = it == followers_.end() ? Offset(-1) : it->second.leo;
    if (follower_leo.value < 0) {
      return false;  // an ISR member we have not heard from holds the HW where it is
    }
    candidate = std::min(candidate, follower_leo);
  }
  if (candidate <= hw_) {
    return false;
  }
  hw_ = candidate;
  for (auto& w : ack_waiters_) {
    if (w->required <= hw_) {
      w->timer.cancel();
    }
  }
  return true;
}

void Partition::maybe_expand_isr(BrokerId follower, Offset follower_leo) {
  if (contains(state_.isr, follower) || isr_write_in_flight_ || follower_leo < hw_) {
    return;
  }
  // A replica rejoins only once it holds everything of the current epoch (Kafka's
  // isFollowerAtHighwatermark plus the epoch start check), so an ISR member never misses
  // records the leader acknowledged.
  auto epochs = log_->epoch_entries();
  if (!epochs.empty() && epochs.back().epoch == state_.leader_epoch &&
      follower_leo < epochs.back().start_offset) {
    return;
  }
  auto isr = state_.isr;
  isr.push_back(follower);
  logger("replication")->info("[tp={}-{} epoch={}] expanding ISR with broker {} at offset {}",
                              topic_, id_.value, state_.leader_epoch.value, follower.value,
                              follower_leo.value);
  propose_isr(std::move(isr));
}

asio::awaitable<size_t> Partition::maybe_shrink_isr() {
  auto body = [this]() -> asio::awaitable<size_t> {
    if (role_ != Role::kLeader || isr_write_in_flight_ || stopped_) {
      co_return 0;
    }
    auto t = now();
    std::vector<BrokerId> keep;
    size_t removed = 0;
    for (auto r : state_.isr) {
      if (r == self_) {
        keep.push_back(r);
        continue;
      }
      auto it = followers_.find(r);
      auto behind = it == followers_.end() ? config_.replica_lag_time_max + std::chrono::milliseconds(1)
                                           : t - it->second.last_caught_up;
      bool caught_up = it != followers_.end() && it->second.leo >= leo();
      if (!caught_up && behind > config_.replica_lag_time_max) {
        ++removed;
        logger("replication")->info(
            "[tp={}-{} epoch={}] shrinking ISR: broker {} not caught up for {} ms", topic_,
            id_.value, state_.leader_epoch.value, r.value,
            std::chrono::duration_cast<std::chrono::milliseconds>(behind).count());
      } else {
        keep.push_back(r);
      }
    }
    if (removed > 0) {
      propose_isr(std::move(keep));
    }
    co_return removed;
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

void Partition::propose_isr(std::vector<BrokerId> isr) {
  isr_write_in_flight_ = true;
  PartitionState proposed = state_;
  proposed.isr = std::move(isr);
  auto write = [this, proposed]() mutable -> asio::awaitable<void> {
    auto written = co_await isr_writer_.write_isr(topic_, id_, proposed);
    // Back on the strand: apply only if nothing newer arrived meanwhile.
    co_await asio::post(strand_, asio::use_awaitable);
    isr_write_in_flight_ = false;
    if (!written) {
      logger("replication")->warn("[tp={}-{} epoch={}] ISR update rejected: {}", topic_,
                                  id_.value, state_.leader_epoch.value,
                                  written.error().message());
      co_return;
    }
    if (role_ == Role::kLeader && state_.leader_epoch == proposed.leader_epoch) {
      state_.isr = proposed.isr;
      state_.partition_epoch = *written;
      // A smaller ISR may let the HW move (and release acks=all waiters).
      if (maybe_advance_hw()) {
        notify_data(DataEvent::kHighWatermark);
      }
      publish_snapshot();
    }
  };
  asio::co_spawn(strand_, std::move(write), asio::detached);
}

asio::awaitable<Result<std::optional<log::TimestampOffset>>> Partition::offset_for_timestamp(
    int64_t timestamp, std::optional<LeaderEpoch> current_epoch) {
  auto body = [this, timestamp,
               current_epoch]() -> asio::awaitable<Result<std::optional<log::TimestampOffset>>> {
    if (auto ok = check_leader(current_epoch); !ok) {
      co_return ok.error();
    }
    if (timestamp == log::format::kLatestTimestamp) {
      // Consumers see the HW as the end (Kafka's ListOffsets for read_uncommitted).
      co_return std::optional<log::TimestampOffset>(log::TimestampOffset{hw_, -1});
    }
    if (timestamp == log::format::kEarliestTimestamp) {
      // The log start, even on an empty log or one whose HW has not moved yet.
      co_return std::optional<log::TimestampOffset>(
          log::TimestampOffset{log_->log_start_offset(), -1});
    }
    auto found = log_->offset_for_timestamp(timestamp);
    if (found && *found && (*found)->offset >= hw_) {
      co_return std::optional<log::TimestampOffset>();  // not visible yet
    }
    co_return found;
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<void> Partition::maintain() {
  auto body = [this]() -> asio::awaitable<void> {
    if (stopped_) {
      co_return;
    }
    if (auto r = log_->enforce_retention(); r && r->segments_deleted > 0) {
      publish_snapshot();
    }
    maintain_producers();
    (void)log_->roll_if_due();
    (void)log_->flush_if_due();
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<void> Partition::stop() {
  auto body = [this]() -> asio::awaitable<void> {
    stopped_ = true;
    for (auto& w : ack_waiters_) {
      w->timer.cancel();
    }
    if (auto r = log_->close(); !r) {
      logger("replication")->error("[tp={}-{}] closing the log failed: {}", topic_, id_.value,
                                   r.error().message());
    }
    co_return;
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

void Partition::notify_data(DataEvent event) {
  if (on_data_) {
    on_data_(event);
  }
}

void Partition::notify_appended(bool hw_moved) {
  notify_data(hw_moved ? DataEvent::kBoth : DataEvent::kAppended);
}

void Partition::publish_snapshot() {
  PartitionSnapshot s;
  s.role = role_;
  s.state = state_;
  s.high_watermark = hw_;
  s.log_end_offset = leo();
  s.log_start_offset = log_->log_start_offset();
  for (auto r : state_.replicas) {
    if (!contains(state_.isr, r)) {
      s.out_of_sync.push_back(r);
    }
  }
  std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(s);
}

PartitionSnapshot Partition::snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

}  // namespace meridian::replication
