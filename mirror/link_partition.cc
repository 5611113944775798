// The copy loop of one mirrored partition (detail/link_state.h):
//   1. learn the target's log end (an empty MirrorAppend, which also checks the link epoch);
//   2. fetch from the source at exactly that offset;
//   3. MirrorAppend the whole batches that start there; the response carries the new log end.
// Any failure (source or target unreachable, leader moved, overlap after a lost response) goes
// back to step 1 after a backoff, so the position always comes from the target itself: no gap,
// no duplicate, whatever failed in between.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <optional>

#include "cluster/record/batch_view.h"
#include "common/log.h"
#include "mirror/detail/link_state.h"
#include "mirror/link_metrics.h"
#include "mirror/target_rpc.h"

namespace meridian::mirror::detail {

namespace asio = boost::asio;
using protocol::ErrorCode;

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

namespace {

constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
constexpr int32_t kAppendTimeoutMs = 30000;
// Source fetches go through the link's SourceFetcher: one multi-partition Fetch per source
// broker, long-polling while all its partitions are caught up (detail/source_fetcher.h).
// The constants below are the previous per-partition mode (MERIDIAN_MIRROR_FETCH=partition,
// for bench/mirror.sh's comparison only): there, fetches of one broker shared a connection
// whose answers come back in order, so a long poll of an idle partition delayed the busy ones
// queued behind it; a fetch waited at most kMaxSourceWait at the source and a caught-up
// partition paused kIdleFetchPause on the link's side before asking again.
constexpr std::chrono::milliseconds kMaxSourceWait{10};
constexpr std::chrono::milliseconds kIdleFetchPause{50};
constexpr int32_t kPerPartitionMaxBytes = 4 * 1024 * 1024;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Slice whole_batches(const std::vector<uint8_t>& records, int64_t offset) {
  Slice s;
  s.next = offset;
  std::span<const uint8_t> all(records);
  size_t pos = 0;
  while (pos < all.size()) {
    auto view = record::BatchView::parse(all.subspan(pos));
    if (!view) {
      break;  // the partial batch a fetch may end with
    }
    if (view->next_offset().value <= s.next && s.end == 0) {
      pos += view->size_bytes();
      s.begin = pos;
      continue;
    }
    if (view->base_offset().value != s.next) {
      s.misaligned = s.end == 0;
      break;
    }
    s.next = view->next_offset().value;
    s.records += view->last_offset_delta() + 1;
    s.max_timestamp = std::max(s.max_timestamp, view->max_timestamp());
    pos += view->size_bytes();
    s.end = pos;
  }
  if (s.end == 0) {
    s.end = s.begin;
  }
  return s;
}

namespace {

protocol::MirrorAppendRequest base_request(const PartitionTask& task) {
  protocol::MirrorAppendRequest r;
  r.link_name = task.link_name;
  r.link_epoch = task.link_epoch;
  r.topic = task.mirror_topic;
  r.partition = task.partition;
  r.timeout_ms = kAppendTimeoutMs;
  return r;
}

void update_lag(PartitionTask& task) {
  auto& s = task.status;
  s.lag_records = std::max<int64_t>(0, s.source_high_watermark - s.mirrored_offset);
  s.lag_bytes = static_cast<int64_t>(static_cast<double>(s.lag_records) * task.bytes_per_record);
  s.lag_seconds = std::chrono::duration<double>(Clock::now() - task.caught_up_at).count();
}

}  // namespace

namespace {

// One fetch in flight: started while the previous MirrorAppend is still in flight, so a round
// trip to the source overlaps the append to the target (the WAN hop is the slow one).
struct Prefetch {
  explicit Prefetch(const asio::any_io_executor& ex) : wake(ex) {}
  int64_t offset = -1;
  Clock::time_point sent;
  std::optional<Result<client::FetchResult>> result;
  asio::steady_timer wake;  // cancelled when `result` is set
};

asio::awaitable<void> run_fetch(std::shared_ptr<LinkState> link,
                                std::shared_ptr<PartitionTask> task,
                                std::shared_ptr<Prefetch> pf, bool idle) {
  const bool per_partition = link->per_partition_fetch;
  if (idle && per_partition) {
    co_await sleep_for(kIdleFetchPause);
  }
  co_await link->throttle.acquire(task->stop);
  pf->sent = Clock::now();
  std::string topic = task->source_topic;
  PartitionId partition(task->partition);
  Offset offset(pf->offset);
  Result<client::FetchResult> fetched = make_error_code(client::errc::closed);
  if (per_partition) {
    fetched = co_await task->source->fetch(
        topic, partition, offset, link->throttle.fetch_limit(kPerPartitionMaxBytes),
        std::min(link->options.fetch_max_wait, kMaxSourceWait));
  } else {
    // Asked before this partition's MirrorAppend (see run_partition), so it joins the next
    // request to its broker together with the other partitions answered in the same round.
    fetched = co_await link->fetcher_for(task->source).fetch(
        topic, partition, offset, link->throttle.fetch_limit(link->options.fetch_max_bytes));
  }
  if (fetched) {
    link->throttle.consume(fetched->records.size());
  }
  pf->result = std::move(fetched);
  pf->wake.cancel();
}

std::shared_ptr<Prefetch> start_fetch(const std::shared_ptr<LinkState>& link,
                                      const std::shared_ptr<PartitionTask>& task, int64_t offset,
                                      bool idle) {
  auto pf = std::make_shared<Prefetch>(link->executor);
  pf->offset = offset;
  pf->wake.expires_at(asio::steady_timer::time_point::max());
  asio::co_spawn(link->executor, run_fetch(link, task, pf, idle), asio::detached);
  return pf;
}

asio::awaitable<void> await_fetch(Prefetch& pf) {
  while (!pf.result) {
    co_await pf.wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// Per-partition copy statistics, logged at debug level every kStatsInterval (how big fetches
// are and where a cycle's time goes: the figures bench/mirror.sh's analysis rests on).
constexpr auto kStatsInterval = std::chrono::seconds(10);
struct CopyStats {
  Clock::time_point since = Clock::now();
  int64_t fetches = 0;
  int64_t fetch_bytes = 0;
  double fetch_wait_s = 0;   // waiting for a fetch's answer after the append was done
  double append_s = 0;
  void maybe_log(const PartitionTask& task) {
    auto now = Clock::now();
    if (now - since < kStatsInterval || fetches == 0) {
      return;
    }
    logger("mirror")->debug(
        "[link={} tp={}-{}] {} fetches, mean {:.0f} KiB, fetch wait {:.1f} ms, append {:.1f} ms",
        task.link_name, task.mirror_topic, task.partition, fetches,
        static_cast<double>(fetch_bytes) / 1024.0 / static_cast<double>(fetches),
        1000.0 * fetch_wait_s / static_cast<double>(fetches),
        1000.0 * append_s / static_cast<double>(fetches));
    *this = CopyStats{};
  }
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

// The copy loop. Pipelined: while the MirrorAppend of [offset, next) is in flight, the fetch
// of next.. is already on its way. The target's log end stays the only progress: the prefetch
// is used only if the append succeeded and the target's log end is exactly `next`; any failure
// drops it and goes back to asking the target (no gap, no duplicate).
asio::awaitable<void> run_partition(std::shared_ptr<LinkState> link,
                                    std::shared_ptr<PartitionTask> task) {
  task->running = true;
  auto backoff = kMinBackoff;
  int64_t offset = -1;      // the target's log end, as last reported by the target
  int64_t reset_start = -1; // the source's log start, when an empty target must start there
  std::shared_ptr<Prefetch> next;  // the fetch at `offset`, if one was started
  bool idle = false;                // the last fetch found nothing new
  CopyStats stats;
  auto fail = [&](const std::string& message) -> asio::awaitable<void> {
    if (task->status.last_error != message) {
      logger("mirror")->warn("[link={} tp={}-{}] {}", task->link_name, task->mirror_topic,
                             task->partition, message);
    }
    task->status.last_error = message;
    if (link->options.metrics) {
      link->options.metrics->on_copy_error(message);  // errors_total{kind}, last error
    }
    task->status.state = "backoff";
    offset = -1;
    next.reset();  // a fetch still in flight finishes on its own; its answer is dropped
    update_lag(*task);
    for (auto waited = std::chrono::milliseconds(0); waited < backoff && !task->stop;
         waited += std::chrono::milliseconds(50)) {
      co_await sleep_for(std::chrono::milliseconds(50));
    }
    backoff = std::min(backoff * 2, kMaxBackoff);
  };
  while (!task->stop && !link->stopping) {
    if (offset < 0) {
      auto request = base_request(*task);
      request.reset_log_start = reset_start;
      auto r = co_await mirror_append(*task->target, request);
      if (!r) {
        std::string why = "target unreachable: " + r.error().message();
        co_await fail(why);
        continue;
      }
      if (r->error_code != ErrorCode::kNone) {
        if (r->error_code == ErrorCode::kFencedLeaderEpoch) {
          task->stop = true;
          task->status.state = "error";
          task->status.last_error = r->error_message.value_or("fenced");
          break;
        }
        std::string why = "target refused: " + r->error_message.value_or(std::string(protocol::error_code_name(r->error_code)));
        co_await fail(why);
        continue;
      }
      offset = r->log_end_offset;
      reset_start = -1;
      task->status.mirrored_offset = offset;
    }
    if (!next || next->offset != offset) {
      next = start_fetch(link, task, offset, idle);
    }
    auto waited = Clock::now();
    co_await await_fetch(*next);
    stats.fetch_wait_s += seconds_since(waited);
    auto current = std::move(next);
    auto& fetched = *current->result;
    std::string topic = task->source_topic;
    if (!fetched) {
      if (fetched.error() == client::kafka_error(ErrorCode::kOffsetOutOfRange)) {
        auto earliest = co_await task->source->list_offsets(topic, PartitionId(task->partition),
                                                            client::kEarliestTimestamp);
        if (earliest && earliest->offset.value > offset) {
          // An empty target starts where the source starts; a non-empty one has lost records.
          reset_start = earliest->offset.value;
          std::string why = "source log starts at " + std::to_string(reset_start) +
                        ", after the mirror's position " + std::to_string(offset) +
                        " (source truncated; an empty mirror restarts there)";
          co_await fail(why);
          continue;
        }
      }
      std::string why = "source fetch failed: " + fetched.error().message();
      co_await fail(why);
      continue;
    }
    task->status.source_high_watermark = fetched->high_watermark.value;
    task->status.source_log_start = fetched->log_start_offset.value;
    Slice slice = whole_batches(fetched->records, offset);
    if (slice.misaligned) {
      std::string why = "source batch does not start at the mirror's log end " +
                    std::to_string(offset);
      co_await fail(why);
      continue;
    }
    ++stats.fetches;
    idle = slice.end == slice.begin;
    stats.fetch_bytes += static_cast<int64_t>(fetched->records.size());
    if (slice.end > slice.begin) {
      auto request = base_request(*task);
      request.records = std::vector<uint8_t>(fetched->records.begin() + slice.begin,
                                             fetched->records.begin() + slice.end);
      if (link->codec != record::Compression::kNone) {
        // Unchanged offsets and records; on a codec failure the batches go as they came.
        if (auto packed = recompress(*request.records, link->codec)) {
          request.records = std::move(*packed);
        }
      }
      link->bytes_sent += static_cast<int64_t>(request.records->size());
      size_t bytes = slice.end - slice.begin;
      next = start_fetch(link, task, slice.next, false);  // overlaps the append below
      auto appending = Clock::now();
      auto appended = co_await mirror_append(*task->target, request);
      stats.append_s += seconds_since(appending);
      if (!appended) {
        // The append may or may not have happened: step 1 asks the target.
        std::string why = "mirror append failed: " + appended.error().message();
        co_await fail(why);
        continue;
      }
      if (appended->error_code != ErrorCode::kNone) {
        std::string why = "mirror append refused at " + std::to_string(offset) + ": " +
                      appended->error_message.value_or(std::string(protocol::error_code_name(appended->error_code)));
        co_await fail(why);
        continue;
      }
      // Normally == slice.next; anything else: the prefetch is at the wrong offset and is
      // replaced by a fetch at the target's log end on the next round.
      offset = appended->log_end_offset;
      link->records_mirrored += slice.records;
      link->bytes_mirrored += static_cast<int64_t>(bytes);
      task->bytes_per_record = static_cast<double>(bytes) / static_cast<double>(slice.records);
      if (slice.max_timestamp > 0) {
        link->record_latency(static_cast<double>(now_ms() - slice.max_timestamp) / 1000.0);
      }
      if (link->options.metrics) {
        link->options.metrics->on_copied(
            task->mirror_topic, slice.records, static_cast<int64_t>(bytes),
            slice.max_timestamp > 0 ? static_cast<double>(now_ms() - slice.max_timestamp) / 1000.0
                                    : -1.0);
      }
    }
    task->status.mirrored_offset = offset;
    if (offset >= fetched->high_watermark.value) {
      task->caught_up_at = current->sent;  // everything committed before the fetch is here now
    }
    task->status.state = "mirroring";
    task->status.last_error.clear();
    backoff = kMinBackoff;
    update_lag(*task);
    stats.maybe_log(*task);
  }
  if (task->status.state != "error") {
    task->status.state = "stopped";
  }
  task->running = false;
}

}  // namespace meridian::mirror::detail
