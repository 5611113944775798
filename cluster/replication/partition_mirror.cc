// Partition::append_mirror_as_leader: the target side of the cross-DC mirror (DESIGN.md §6).
//
// The source DC's batches land at the source's offsets, so a consumer offset means the same
// record in both DCs. Each batch gets OUR leader epoch in its header (outside the CRC, records
// untouched): the epoch cache then describes this DC's leadership history, which is what our
// own followers' KIP-101 truncation asks about; the source's epochs mean nothing here.
//
// Worked example: the target log ends at 120 (LEO). A request whose first batch starts at 120
// ([120..129], [130..131]) is appended; the LEO becomes 132 and the response says so. A retry
// of the same request (its response was lost) starts at 120 < 132: an overlap, answered with
// offset_out_of_range; the mirror reads LEO 132 from the response and fetches from there. A
// request starting at 140 is a gap (records 132..139 would be missing): also refused.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/record/batch_view.h"
#include "cluster/replication/partition.h"
#include "common/log.h"

namespace meridian::replication {

namespace asio = boost::asio;

asio::awaitable<Result<AppendResult>> Partition::append_mirror_as_leader(
    std::span<uint8_t> batches, MirrorAppendOptions options) {
  struct Appended {
    AppendResult result;
    uint64_t term = 0;
  };
  auto body = [this, batches, options]() -> asio::awaitable<Result<Appended>> {
    if (auto ok = check_leader(std::nullopt); !ok) {
      co_return ok.error();
    }
    const bool replicated = state_.replicas.size() > 1;
    if (options.truncate_to.value >= 0 && options.truncate_to < leo()) {
      logger("replication")->warn("[tp={}-{} epoch={}] mirror truncation from {} to {}", topic_,
                                  id_.value, state_.leader_epoch.value, leo().value,
                                  options.truncate_to.value);
      if (auto cut = log_->truncate_to(options.truncate_to); !cut) {
        co_return cut.error();
      }
      truncate_producers(options.truncate_to);
      hw_ = std::min(hw_, leo());
      if (replicated) {
        mirror_cut_epoch_ = state_.leader_epoch;  // nothing appends until the epoch moved on
      }
      publish_snapshot();
    }
    if (replicated && mirror_cut_epoch_ == state_.leader_epoch) {
      // A cut below what followers hold: only a new epoch makes them cut it too (KIP-101). A
      // retried cut request (truncate_to == LEO) lands here as well and retries the bump.
      if (options.truncate_to.value >= 0) {
        auto bumped = co_await bump_epoch_after_mirror_cut();
        if (!bumped) {
          co_return bumped.error();
        }
      } else if (!batches.empty()) {
        co_return make_error_code(errc::not_leader);
      }
    }
    if (options.reset_log_start.value >= 0 && leo() == log_->log_start_offset() &&
        options.reset_log_start > leo()) {
      if (auto reset = log_->truncate_fully_and_start_at(options.reset_log_start); !reset) {
        co_return reset.error();
      }
      truncate_producers(Offset(-1));
      hw_ = leo();
      publish_snapshot();
    }
    Appended out;
    out.term = leader_term_;
    out.result = AppendResult{leo(), Offset(leo().value - 1), log_->log_start_offset()};
    if (batches.empty()) {
      co_return out;
    }
    if (static_cast<int>(state_.isr.size()) < config_.min_insync_replicas) {
      co_return make_error_code(errc::not_enough_replicas);
    }
    Offset expected = leo();
    for (size_t pos = 0; pos < batches.size();) {
      auto view = record::BatchView::parse(batches.subspan(pos));
      if (!view) {
        co_return view.error();
      }
      if (view->base_offset() != expected) {
        co_return make_error_code(errc::offset_out_of_range);
      }
      expected = view->next_offset();
      record::set_leader_epoch(batches.subspan(pos, view->size_bytes()), state_.leader_epoch);
      pos += view->size_bytes();
    }
    auto appended = log_->append_with_offsets(batches);
    if (!appended) {
      co_return appended.error();
    }
    record_producers(batches);  // a promoted mirror then knows the source's producers
    out.result = AppendResult{appended->first_offset, appended->last_offset,
                              log_->log_start_offset()};
    bool hw_moved = maybe_advance_hw();
    publish_snapshot();
    notify_appended(hw_moved);
    co_return out;
  };
  auto appended = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  if (!appended) {
    co_return appended.error();
  }
  if (appended->result.last_offset < appended->result.base_offset) {
    co_return appended->result;  // nothing appended (truncation or reset only)
  }
  // acks=all through the same waiter list as a client produce: woken when the HW passes the
  // last mirrored offset, NOT_LEADER if leadership was lost meanwhile.
  PendingAppend pending{appended->result, appended->term};
  auto replicated = co_await wait_replicated(pending, options.timeout);
  co_return replicated;
}

// Runs on the strand. The same write as an ISR change (Kafka's ZooKeeper-mode AlterIsr): a
// compare-and-set on the state node's version, so a controller decision made meanwhile (a new
// leader) wins and this fails; then the ISR-change notification makes the controller re-read
// the state and send LeaderAndIsr to every replica. ISR = {self}: a follower still holding the
// cut suffix must not be electable; it rejoins after its KIP-101 truncation and catch-up.
asio::awaitable<Result<void>> Partition::bump_epoch_after_mirror_cut() {
  if (isr_write_in_flight_ || role_ != Role::kLeader) {
    co_return make_error_code(errc::not_leader);  // the mirror retries the cut request
  }
  isr_write_in_flight_ = true;
  PartitionState proposed = state_;
  proposed.isr = {self_};
  auto written = co_await isr_writer_.bump_leader_epoch(topic_, id_, proposed);
  co_await asio::post(strand_, asio::use_awaitable);
  isr_write_in_flight_ = false;
  if (!written) {
    logger("replication")->warn("[tp={}-{} epoch={}] epoch bump after a mirror cut rejected: {}",
                                topic_, id_.value, state_.leader_epoch.value,
                                written.error().message());
    co_return make_error_code(errc::not_leader);
  }
  if (role_ != Role::kLeader) {
    co_return make_error_code(errc::not_leader);
  }
  // Any state applied meanwhile was written after ours (the CAS succeeded), so its epoch is
  // at least the bumped one: followers of it truncate against our cut log either way.
  if (state_.leader_epoch == proposed.leader_epoch) {
    state_.leader_epoch = LeaderEpoch(proposed.leader_epoch.value + 1);
    state_.isr = proposed.isr;
    state_.partition_epoch = *written;
  }
  logger("replication")->info("[tp={}-{} epoch={}] new epoch after a mirror cut at {}", topic_,
                              id_.value, state_.leader_epoch.value, leo().value);
  maybe_advance_hw();
  publish_snapshot();
  notify_data(DataEvent::kBoth);  // a new epoch: followers re-fetch (and truncate by it)
  co_return Result<void>{};
}

// The leader's epoch starts at its log end when it has no batch of it yet (Kafka assigns it
// there at election; our cache learns epochs from appended batches). So a requested epoch
// newer than every cached one, and not newer than ours, ends at the log end. That is what a
// follower holding a suffix the leader cut (under an epoch the cut removed) must hear.
log::EpochEndOffset Partition::leader_end_offset_for_epoch(LeaderEpoch requested) const {
  auto answer = log_->end_offset_for_epoch(requested);
  if (answer.end_offset.value >= 0 || requested.value < 0 || requested > state_.leader_epoch) {
    return answer;
  }
  auto latest = log_->latest_epoch();
  if (latest && requested <= *latest) {
    return answer;
  }
  return {latest.value_or(LeaderEpoch(-1)), leo()};
}

asio::awaitable<Result<int32_t>> IsrWriter::bump_leader_epoch(const std::string&, PartitionId,
                                                              PartitionState) {
  co_return make_error_code(errc::stale_state);
}

}  // namespace meridian::replication
