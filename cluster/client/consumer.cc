#include "cluster/client/consumer.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "cluster/client/group_client.h"
#include "cluster/record/batch_view.h"

namespace meridian::client {

namespace asio = boost::asio;

Consumer::Consumer(Client& client, ConsumerOptions options)
    : client_(client), options_(options) {}

void Consumer::assign(std::vector<TopicPartition> partitions) {
  std::map<TopicPartition, Offset> kept;
  for (const auto& tp : partitions) {
    auto it = positions_.find(tp);
    if (it != positions_.end()) {
      kept.emplace(tp, it->second);
    }
  }
  positions_ = std::move(kept);
  assignment_ = std::move(partitions);
  next_ = 0;
}

std::vector<TopicPartition> Consumer::assignment() const { return assignment_; }

std::optional<Offset> Consumer::position(const TopicPartition& tp) const {
  auto it = positions_.find(tp);
  if (it == positions_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void Consumer::seek(const TopicPartition& tp, Offset offset) { positions_[tp] = offset; }

asio::awaitable<Result<void>> Consumer::seek_to(TopicPartition tp, OffsetReset where) {
  const int64_t timestamp = where == OffsetReset::kEarliest ? kEarliestTimestamp : kLatestTimestamp;
  auto found = co_await client_.list_offsets(tp.topic, tp.partition, timestamp);
  if (!found) {
    co_return found.error();
  }
  positions_[tp] = found->offset;
  co_return Result<void>{};
}

// Fetches one partition from its position and appends the records at or above it to `out`.
// Returns how many were appended.
asio::awaitable<Result<size_t>> Consumer::fetch_one(TopicPartition tp,
                                                    std::chrono::milliseconds max_wait,
                                                    std::vector<ConsumerRecord>& out) {
  if (!positions_.contains(tp)) {
    auto resolved = co_await seek_to(tp, options_.auto_offset_reset);
    if (!resolved) {
      co_return resolved.error();
    }
  }
  Offset position = positions_[tp];
  auto fetched = co_await client_.fetch(tp.topic, tp.partition, position,
                                        options_.max_partition_bytes, max_wait);
  if (!fetched) {
    if (as_kafka_error(fetched.error()) == protocol::ErrorCode::kOffsetOutOfRange) {
      positions_.erase(tp);  // reset by auto_offset_reset on the next poll, as Kafka does
    }
    co_return fetched.error();
  }
  size_t added = 0;
  std::span<const uint8_t> rest(fetched->records);
  while (!rest.empty()) {
    auto batch = record::BatchView::parse(rest);
    if (!batch) {
      break;  // a partial batch at the end of the fetch: read it next time
    }
    rest = rest.subspan(batch->size_bytes());
    if (batch->next_offset() <= position) {
      continue;
    }
    if (!batch->is_control()) {
      auto records = record::decode_records(*batch);
      if (!records) {
        co_return make_error_code(errc::corrupt_records);
      }
      for (auto& r : *records) {
        if (r.offset >= position) {
          out.push_back({tp, std::move(r)});
          ++added;
        }
      }
    }
    position = batch->next_offset();
  }
  positions_[tp] = position;
  co_return added;
}

asio::awaitable<Result<std::vector<ConsumerRecord>>> Consumer::poll(
    std::chrono::milliseconds timeout) {
  std::vector<ConsumerRecord> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (member_) {
    co_await auto_commit_if_due(false);  // what the previous polls returned
    auto active = co_await rebalance_if_needed();
    if (!active) {
      co_return active.error();
    }
  }
  if (assignment_.empty()) {
    if (member_) {  // a member without partitions still waits, as a poll does in Kafka
      asio::steady_timer idle(client_.executor());
      idle.expires_after(std::min(timeout, options_.fetch_max_wait));
      [[maybe_unused]] auto [ec] = co_await idle.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return out;
  }
  std::error_code last_error;
  for (;;) {
    for (size_t i = 0; i < assignment_.size(); ++i) {
      TopicPartition tp = assignment_[(next_ + i) % assignment_.size()];
      const auto no_wait = std::chrono::milliseconds(0);
      auto got = co_await fetch_one(tp, no_wait, out);
      if (!got) {
        last_error = got.error();
      }
    }
    next_ = (next_ + 1) % assignment_.size();
    const auto now = std::chrono::steady_clock::now();
    if (!out.empty() || now >= deadline || rejoin_pending()) {
      break;
    }
    // Nothing yet: long-poll one partition for the rest of the time (bounded so the others
    // are looked at again soon).
    auto wait = std::min(options_.fetch_max_wait,
                         std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    TopicPartition tp = assignment_[next_];
    auto got = co_await fetch_one(tp, wait, out);
    if (!got) {
      last_error = got.error();
      asio::steady_timer pause(client_.executor());
      pause.expires_after(wait);
      [[maybe_unused]] auto [ec] = co_await pause.async_wait(
          asio::as_tuple(asio::use_awaitable));
    }
    if (!out.empty()) {
      break;
    }
  }
  if (out.empty() && last_error && !is_retriable(last_error) &&
      last_error != errc::request_timeout) {
    co_return last_error;
  }
  co_return out;
}

}  // namespace meridian::client
