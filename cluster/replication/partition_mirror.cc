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
    if (options.truncate_to.value >= 0 && options.truncate_to < leo()) {
      // A follower holding the dropped suffix would keep it: new records would arrive under the
      // same leader epoch, so its KIP-101 truncation could not tell them apart. Until the
      // controller can bump the epoch for us, truncation needs a partition without followers.
      // TODO(mirror): truncate through a controller epoch bump for replicated partitions.
      if (state_.replicas.size() > 1) {
        co_return make_error_code(errc::stale_state);
      }
      logger("replication")->warn("[tp={}-{} epoch={}] mirror truncation from {} to {}", topic_,
                                  id_.value, state_.leader_epoch.value, leo().value,
                                  options.truncate_to.value);
      if (auto cut = log_->truncate_to(options.truncate_to); !cut) {
        co_return cut.error();
      }
      truncate_producers(options.truncate_to);
      hw_ = std::min(hw_, leo());
      publish_snapshot();
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
    maybe_advance_hw();
    publish_snapshot();
    notify_data();
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

}  // namespace meridian::replication
