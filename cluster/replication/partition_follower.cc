// Partition, follower side (partition.h): appending what the leader's fetch answers carry, and
// the truncation of KIP-101/279 decided by the replica fetcher (and the leader's OffsetsForLeader-
// Epoch answer it asks for). Same strand model as partition.cc.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "cluster/replication/partition.h"

namespace meridian::replication {

namespace asio = boost::asio;

asio::awaitable<Result<Offset>> Partition::append_as_follower(std::span<const uint8_t> batches,
                                                              Offset leader_high_watermark,
                                                              LeaderEpoch epoch) {
  auto body = [this, batches, leader_high_watermark,
               epoch]() -> asio::awaitable<Result<Offset>> {
    if (role_ != Role::kFollower || stopped_) {
      co_return make_error_code(errc::not_follower);
    }
    if (epoch != state_.leader_epoch) {
      co_return make_error_code(errc::fenced_leader_epoch);
    }
    if (!batches.empty()) {
      auto appended = log_->append_with_offsets(batches);
      if (!appended) {
        co_return appended.error();
      }
      record_producers(batches);
    }
    Offset new_hw = std::min(leader_high_watermark, leo());
    if (new_hw > hw_) {
      hw_ = new_hw;
    }
    publish_snapshot();
    notify_data(DataEvent::kHighWatermark);  // nobody fetches from a follower: consumers only
    co_return leo();
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<Result<void>> Partition::truncate_to(Offset end) {
  auto body = [this, end]() -> asio::awaitable<Result<void>> {
    auto r = log_->truncate_to(end);
    if (r) {
      truncate_producers(end);
      hw_ = std::min(hw_, leo());
      publish_snapshot();
    }
    co_return r;
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<Result<void>> Partition::reset_to(Offset start) {
  auto body = [this, start]() -> asio::awaitable<Result<void>> {
    auto r = log_->truncate_fully_and_start_at(start);
    if (r) {
      truncate_producers(Offset(-1));  // nothing left: the table is empty
      hw_ = start;
      publish_snapshot();
    }
    co_return r;
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<std::optional<LeaderEpoch>> Partition::latest_local_epoch() {
  auto body = [this]() -> asio::awaitable<std::optional<LeaderEpoch>> {
    co_return log_->latest_epoch();
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<log::EpochEndOffset> Partition::local_end_offset_for_epoch(LeaderEpoch requested) {
  auto body = [this, requested]() -> asio::awaitable<log::EpochEndOffset> {
    co_return log_->end_offset_for_epoch(requested);
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<Result<log::EpochEndOffset>> Partition::end_offset_for_epoch(
    LeaderEpoch requested, std::optional<LeaderEpoch> current_epoch) {
  auto body = [this, requested, current_epoch]() -> asio::awaitable<Result<log::EpochEndOffset>> {
    if (auto ok = check_leader(current_epoch); !ok) {
      co_return ok.error();
    }
    co_return leader_end_offset_for_epoch(requested);
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

}  // namespace meridian::replication
