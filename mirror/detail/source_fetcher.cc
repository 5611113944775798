// SourceFetcher (source_fetcher.h): per-partition asks combined into one Fetch per source
// broker. Single-threaded executor: `pending_`, `busy_` and the waiters change only between
// suspension points, so "check, then wait" needs no lock and no wake-up is lost (a waiter
// re-checks its state every time its timer is cancelled).
#include "mirror/detail/source_fetcher.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <optional>

#include "common/log.h"

namespace meridian::mirror::detail {

namespace asio = boost::asio;

namespace {

// The first partition of a round waits for the rest of the round for at most this many
// executor hops (one hop lets every ready handler run once; a copy loop needs ~5 from an answer
// to its next ask). It stops early once all partitions of the broker's last request are back,
// or when the queue did not grow for kStableHops hops (a partition went to backoff, or this
// is the broker's first request).
constexpr int kMaxGatherHops = 16;
constexpr int kStableHops = 3;
constexpr auto kStatsInterval = std::chrono::seconds(10);

BrokerId leader_of(const client::Client& source, const std::string& topic,
                   PartitionId partition) {
  const auto* p = source.cached_metadata()->partition(topic, partition);
  return p != nullptr ? p->leader : BrokerId(-1);
}

}  // namespace

struct SourceFetcher::Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : wake(ex) {
    wake.expires_at(asio::steady_timer::time_point::max());
  }
  client::FetchPartition wanted;
  BrokerId broker{-1};
  std::optional<Result<client::FetchResult>> result;
  asio::steady_timer wake;  // cancelled when `result` is set or `broker` became free
};

SourceFetcher::SourceFetcher(client::Client& source, SourceFetcherOptions options)
    : source_(source), options_(options) {}

size_t SourceFetcher::pending_for(BrokerId broker) const {
  return static_cast<size_t>(std::count_if(pending_.begin(), pending_.end(),
                                           [&](const auto& w) { return w->broker == broker; }));
}

asio::awaitable<void> SourceFetcher::refresh(const std::string& topic) {
  if (!refreshing_.insert(topic).second) {
    co_return;  // another copy loop is refreshing it; the caller's retry sees the result
  }
  std::vector<std::string> wanted{topic};
  auto refreshed = co_await source_.metadata(std::move(wanted));
  (void)refreshed;  // the next attempt reports what still fails
  refreshing_.erase(topic);
}

asio::awaitable<Result<client::FetchResult>> SourceFetcher::fetch(std::string topic,
                                                                   PartitionId partition,
                                                                   Offset offset,
                                                                   int32_t max_bytes) {
  BrokerId leader = leader_of(source_, topic, partition);
  if (leader.value < 0) {
    co_await refresh(topic);
    leader = leader_of(source_, topic, partition);
    if (leader.value < 0) {
      co_return make_error_code(client::errc::leader_not_available);
    }
  }
  auto w = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  w->wanted = client::FetchPartition{std::move(topic), partition, offset, max_bytes};
  w->broker = leader;
  pending_.push_back(w);
  while (!w->result) {
    if (!busy_.contains(w->broker)) {
      co_await send(w->broker);  // carries `w` and every other partition queued for the broker
      continue;
    }
    co_await w->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  Result<client::FetchResult> result = std::move(*w->result);
  if (!result && client::is_retriable(result.error())) {
    co_await refresh(w->wanted.topic);  // the leader moved or the connection broke
  }
  co_return result;
}

asio::awaitable<void> SourceFetcher::gather(BrokerId broker) {
  auto ex = co_await asio::this_coro::executor;
  const size_t expected = last_batch_[broker];
  size_t seen = pending_for(broker);
  int stable = 0;
  // expected == 0: the broker's first request, nothing known about the round yet.
  for (int hop = 0; hop < kMaxGatherHops && (expected == 0 || seen < expected) &&
                    stable < kStableHops;
       ++hop) {
    co_await asio::post(ex, asio::use_awaitable);
    size_t now = pending_for(broker);
    stable = now == seen ? stable + 1 : 0;
    seen = now;
  }
}

asio::awaitable<void> SourceFetcher::send(BrokerId broker) {
  busy_.insert(broker);
  co_await gather(broker);
  std::vector<std::shared_ptr<Waiter>> batch;
  std::erase_if(pending_, [&](const auto& w) {
    if (w->broker != broker) {
      return false;
    }
    batch.push_back(w);
    return true;
  });
  // The broker serves partitions in request order until max_bytes is spent: rotate the start
  // so that no partition is always last (Kafka's fetchers rotate the same way).
  size_t& start = rotation_[broker];
  std::rotate(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(start % batch.size()),
              batch.end());
  ++start;
  std::vector<client::FetchPartition> wanted;
  wanted.reserve(batch.size());
  for (const auto& w : batch) {
    wanted.push_back(w->wanted);
  }
  last_batch_[broker] = batch.size();
  ++requests_;
  partitions_fetched_ += static_cast<int64_t>(batch.size());
  auto answer = co_await source_.fetch_partitions(broker, std::move(wanted),
                                                  options_.request_max_bytes, options_.max_wait);
  ++stats_requests_;
  stats_partitions_ += static_cast<int64_t>(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!answer) {
      batch[i]->result = answer.error();
    } else {
      if ((*answer)[i].result) {
        stats_bytes_ += static_cast<int64_t>((*answer)[i].result->records.size());
      }
      batch[i]->result = std::move((*answer)[i].result);
    }
    batch[i]->wake.cancel();
  }
  busy_.erase(broker);
  // The broker is free: the first partition queued for it meanwhile sends the next request.
  auto next = std::find_if(pending_.begin(), pending_.end(),
                           [&](const auto& w) { return w->broker == broker; });
  if (next != pending_.end()) {
    (*next)->wake.cancel();
  }
  log_stats();
}

void SourceFetcher::log_stats() {
  auto now = std::chrono::steady_clock::now();
  if (now - stats_since_ < kStatsInterval || stats_requests_ == 0) {
    return;
  }
  auto requests = static_cast<double>(stats_requests_);
  logger("mirror")->debug(
      "source fetcher: {} requests in {:.1f} s, mean {:.1f} partitions and {:.0f} KiB each",
      stats_requests_, std::chrono::duration<double>(now - stats_since_).count(),
      static_cast<double>(stats_partitions_) / requests,
      static_cast<double>(stats_bytes_) / 1024.0 / requests);
  stats_since_ = now;
  stats_requests_ = stats_partitions_ = stats_bytes_ = 0;
}

}  // namespace meridian::mirror::detail
