#include "cluster/client/consumer.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "cluster/client/group_client.h"
#include "cluster/record/batch_view.h"

namespace meridian::client {

namespace asio = boost::asio;

namespace {
// fetch.max.bytes of one multi-partition Fetch (Kafka's default, 50 MiB).
constexpr int32_t kMaxFetchBytes = 50 * 1024 * 1024;
constexpr std::chrono::milliseconds kErrorBackoff{100};  // retry.backoff.ms
}  // namespace

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

// Appends the records of `records` at or above `tp`'s position to `out` and moves the position
// past them. Returns how many were appended.
Result<size_t> Consumer::take_records(const TopicPartition& tp, std::span<const uint8_t> records,
                                      std::vector<ConsumerRecord>& out) {
  Offset position = positions_[tp];
  size_t added = 0;
  std::span<const uint8_t> rest(records);
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
      auto decoded = record::decode_records(*batch);
      if (!decoded) {
        return make_error_code(errc::corrupt_records);
      }
      for (auto& r : *decoded) {
        if (r.offset >= position) {
          out.push_back({tp, std::move(r)});
          ++added;
        }
      }
    }
    position = batch->next_offset();
  }
  positions_[tp] = position;
  return added;
}

// Resolves missing positions, then groups the assigned partitions by their leader in the cached
// metadata (refreshed once for topics whose leader is unknown). Partitions that cannot be
// placed are left out and their error kept in `last_error`.
asio::awaitable<std::vector<Consumer::LeaderFetch>> Consumer::plan_fetches(
    std::error_code& last_error) {
  std::vector<TopicPartition> ready;
  std::vector<std::string> unknown_topics;
  for (size_t i = 0; i < assignment_.size(); ++i) {
    TopicPartition tp = assignment_[(next_ + i) % assignment_.size()];  // rotated: fairness
    if (!positions_.contains(tp)) {
      auto resolved = co_await seek_to(tp, options_.auto_offset_reset);
      if (!resolved) {
        last_error = resolved.error();
        continue;
      }
    }
    const PartitionMetadata* p = client_.cached_metadata()->partition(tp.topic, tp.partition);
    if (p == nullptr || p->leader.value < 0) {
      unknown_topics.push_back(tp.topic);
    }
    ready.push_back(std::move(tp));
  }
  if (!unknown_topics.empty()) {
    auto refreshed = co_await client_.metadata(std::move(unknown_topics));
    if (!refreshed) {
      last_error = refreshed.error();
    }
  }
  auto metadata = client_.cached_metadata();
  std::map<BrokerId, LeaderFetch> by_leader;
  for (auto& tp : ready) {
    const PartitionMetadata* p = metadata->partition(tp.topic, tp.partition);
    if (p == nullptr || p->leader.value < 0) {
      last_error = make_error_code(p != nullptr                           ? errc::leader_not_available
                                   : metadata->topics.contains(tp.topic) ? errc::unknown_partition
                                                                         : errc::unknown_topic);
      continue;
    }
    auto& fetch = by_leader[p->leader];
    fetch.broker = p->leader;
    fetch.partitions.push_back({tp.topic, tp.partition, positions_[tp],
                                options_.max_partition_bytes});
  }
  std::vector<LeaderFetch> fetches;
  for (auto& [broker, fetch] : by_leader) {
    fetches.push_back(std::move(fetch));
  }
  co_return fetches;
}

// Sends every leader's Fetch at once and returns when all have answered (or failed).
asio::awaitable<void> Consumer::send_fetches(std::vector<LeaderFetch>& fetches,
                                             std::chrono::milliseconds max_wait) {
  if (fetches.size() == 1) {
    fetches[0].answer = co_await client_.fetch_partitions(
        fetches[0].broker, fetches[0].partitions, kMaxFetchBytes, max_wait);
    co_return;
  }
  auto pending = std::make_shared<size_t>(fetches.size());
  auto all_done = std::make_shared<asio::steady_timer>(client_.executor(),
                                                       asio::steady_timer::time_point::max());
  for (auto& fetch : fetches) {
    auto one = [this, &fetch, max_wait, pending, all_done]() -> asio::awaitable<void> {
      fetch.answer = co_await client_.fetch_partitions(fetch.broker, fetch.partitions,
                                                       kMaxFetchBytes, max_wait);
      if (--*pending == 0) {
        all_done->cancel();
      }
    };
    asio::co_spawn(client_.executor(), std::move(one), asio::detached);
  }
  while (*pending > 0) {
    [[maybe_unused]] auto [ec] = co_await all_done->async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// One round over every assigned partition: ONE Fetch per leader broker, concurrently, as Kafka's
// Fetcher does (a Fetch per partition cost the brokers ~3,000 requests/s in bench/e2e.sh's
// half-rate consumer). Appends what came to `out`; returns the last error seen.
asio::awaitable<std::error_code> Consumer::fetch_round(std::chrono::milliseconds max_wait,
                                                       std::vector<ConsumerRecord>& out) {
  std::error_code last_error;
  auto fetches = co_await plan_fetches(last_error);
  co_await send_fetches(fetches, max_wait);
  std::vector<std::string> stale_topics;  // a leader moved: refresh before the next round
  for (auto& fetch : fetches) {
    for (size_t i = 0; i < fetch.partitions.size(); ++i) {
      const auto& wanted = fetch.partitions[i];
      TopicPartition tp{wanted.topic, wanted.partition};
      Result<FetchResult> got = !fetch.answer ? Result<FetchResult>(fetch.answer.error())
                                              : std::move((*fetch.answer)[i].result);
      if (got && positions_[tp] == wanted.offset) {
        auto taken = take_records(tp, got->records, out);
        if (taken) {
          continue;
        }
        got = taken.error();
      }
      if (got) {
        continue;  // the position moved meanwhile (seek): the answer is stale
      }
      last_error = got.error();
      if (as_kafka_error(last_error) == protocol::ErrorCode::kOffsetOutOfRange) {
        positions_.erase(tp);  // reset by auto_offset_reset on the next poll, as Kafka does
      } else if (is_retriable(last_error)) {
        stale_topics.push_back(tp.topic);
      }
    }
  }
  if (!stale_topics.empty()) {
    auto refreshed = co_await client_.metadata(std::move(stale_topics));
    (void)refreshed;  // the next round reports what still fails
  }
  co_return last_error;
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
  // A round without waiting first (whatever any partition has now), then long-poll rounds: a
  // broker with data answers at once, an idle one after its max wait.
  auto wait = std::chrono::milliseconds(0);
  for (;;) {
    auto error = co_await fetch_round(wait, out);
    if (error) {
      last_error = error;
    }
    next_ = (next_ + 1) % assignment_.size();
    const auto now = std::chrono::steady_clock::now();
    if (!out.empty() || now >= deadline || rejoin_pending()) {
      break;
    }
    wait = std::min(options_.fetch_max_wait,
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    if (error) {  // back off before the long poll instead of spinning on a failing broker
      asio::steady_timer pause(client_.executor());
      pause.expires_after(std::min(wait, kErrorBackoff));
      [[maybe_unused]] auto [ec] = co_await pause.async_wait(
          asio::as_tuple(asio::use_awaitable));
    }
  }
  if (out.empty() && last_error && !is_retriable(last_error) &&
      last_error != errc::request_timeout) {
    co_return last_error;
  }
  co_return out;
}

}  // namespace meridian::client
