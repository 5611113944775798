// Link::promote and Link::failback (the role changes described in link_operations.cc).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log.h"
#include "mirror/detail/link_ops.h"
#include "mirror/detail/link_state.h"
#include "mirror/link.h"
#include "mirror/target_rpc.h"

namespace meridian::mirror {

namespace asio = boost::asio;
using detail::Clock;
using detail::LinkState;
using detail::MirrorTopic;
using protocol::ErrorCode;


namespace {

// Reverse promote: west read-only again, east catches up and is promoted, east -> west resumes.
asio::awaitable<Result<void>> switch_back(std::shared_ptr<LinkState> link, MirrorTopic& reverse,
                                          Clock::time_point deadline) {
  auto fwd = link->mirrors.find(reverse.source_topic);
  if (fwd == link->mirrors.end()) {
    co_return make_error_code(errc::bad_state);
  }
  MirrorTopic& forward = fwd->second;
  forward.link_epoch += 1;
  forward.dc_epoch = reverse.dc_epoch + 1;
  forward.partition_offsets.clear();
  auto fenced = co_await detail::write_topic_state(link, forward, "active");
  if (!fenced) {
    co_return fenced;
  }
  co_await detail::sleep_for(detail::kStatePropagation);  // no client write lands in west after this
  auto caught_up = co_await detail::wait_caught_up(reverse, deadline);
  if (!caught_up) {
    co_return caught_up;
  }
  co_await detail::stop_tasks(reverse);
  reverse.dc_epoch = forward.dc_epoch;
  auto promoted = co_await detail::write_topic_state(link, reverse, "promoted");
  if (!promoted) {
    co_return promoted;
  }
  auto partitions = static_cast<int32_t>(reverse.tasks.size());
  forward.tasks.clear();
  detail::spawn_tasks(link, forward, partitions);
  link->reverse.erase(reverse.source_topic);  // `reverse` is gone from here on
  co_return Result<void>{};
}

}  // namespace

asio::awaitable<std::vector<OperationResult>> Link::promote(std::vector<std::string> topics,
                                                            std::chrono::milliseconds timeout) {
  auto op = [timeout](std::shared_ptr<LinkState> link, MirrorTopic& m,
                      OperationResult&) -> asio::awaitable<Result<void>> {
    if (m.state != "active" && m.state != "paused") {
      co_return make_error_code(errc::bad_state);
    }
    auto deadline = Clock::now() + timeout;
    if (m.reverse) {
      auto r = co_await switch_back(link, m, deadline);
      co_return r;
    }
    auto caught_up = co_await detail::wait_caught_up(m, deadline);
    if (!caught_up) {
      co_return caught_up;
    }
    co_await detail::stop_tasks(m);
    m.partition_offsets.clear();
    for (auto& t : m.tasks) {
      m.partition_offsets.push_back(t->status.mirrored_offset);
    }
    auto r = co_await detail::write_topic_state(link, m, "promoted");
    co_return r;
  };
  detail::Operation fn = op;
  auto out = co_await detail::for_each_topic(state_, std::move(topics), std::move(fn));
  co_return out;
}

namespace {

// Failback of one partition: move east's divergent suffix aside and cut it (east T is already
// read-only, fenced by the reverse state). On a replicated partition the leader also bumps its
// leader epoch so that its followers cut the suffix too (partition_mirror.cc); a leader change
// in the middle fails the cut with a retriable error and we start over against the new leader,
// which may hold a different suffix (saved first as well, from where the last save stopped).
asio::awaitable<Result<void>> trim_partition(std::shared_ptr<LinkState> link, MirrorTopic& rev,
                                             int32_t partition, int64_t divergence) {
  constexpr int kAttempts = 100;  // x 200 ms: a leader election and more
  std::string link_name = link->options.name + ".reverse";
  auto partitions = static_cast<int32_t>(rev.partition_offsets.size());
  int64_t saved_to = divergence;
  std::error_code last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) {
      co_await detail::sleep_for(std::chrono::milliseconds(200));
    }
    auto end = co_await detail::log_end(link->source, link_name, rev.link_epoch, rev.mirror_topic,
                                        partition);
    if (!end) {
      last = end.error();
      continue;
    }
    if (*end < divergence) {
      co_return Result<void>{};  // nothing past the divergence point: mirroring fills it
    }
    if (*end > saved_to) {
      logger("mirror")->warn("[link={}] failback {}-{}: moving offsets [{}, {}) to {}.recovered",
                             link->options.name, rev.mirror_topic, partition, saved_to, *end,
                             rev.mirror_topic);
      auto saved = co_await detail::save_suffix(link->source, rev.mirror_topic, partition,
                                                partitions, saved_to, *end);
      if (!saved) {
        last = saved.error();
        continue;
      }
      saved_to = *end;
    }
    // Sent even when the log already ends at the divergence point: a replicated leader that
    // cut before but could not bump its epoch yet retries the bump (no-op otherwise).
    protocol::MirrorAppendRequest cut;
    cut.link_name = link_name;
    cut.link_epoch = rev.link_epoch;
    cut.topic = rev.mirror_topic;
    cut.partition = partition;
    cut.truncate_to = divergence;
    auto r = co_await mirror_append(link->source, cut);
    if (r && r->error_code == ErrorCode::kNone) {
      co_return Result<void>{};
    }
    last = r ? client::kafka_error(r->error_code) : r.error();
    if (r && r->error_code == ErrorCode::kFencedLeaderEpoch) {
      break;  // fenced: a newer link epoch owns the topic
    }
    logger("mirror")->info("[link={}] failback {}-{}: cut failed ({}), retrying",
                           link->options.name, rev.mirror_topic, partition, last.message());
  }
  co_return last;
}

}  // namespace

asio::awaitable<std::vector<OperationResult>> Link::failback(std::vector<std::string> topics) {
  auto op = [](std::shared_ptr<LinkState> link, MirrorTopic& m,
               OperationResult& result) -> asio::awaitable<Result<void>> {
    if (m.reverse || m.state != "failed-over" || m.partition_offsets.empty()) {
      co_return make_error_code(errc::bad_state);
    }
    MirrorTopic rev;
    rev.reverse = true;
    rev.source_topic = m.mirror_topic;
    rev.mirror_topic = m.source_topic;
    rev.dc_epoch = m.dc_epoch;
    rev.partition_offsets = m.partition_offsets;
    protocol::MirrorStateRequest read;
    read.topic = rev.mirror_topic;
    auto current = co_await mirror_state(link->source, read);
    if (!current) {
      co_return current.error();
    }
    rev.link_epoch = current->exists ? current->record.link_epoch + 1 : 1;
    // Fence the old primary first: from here on its clients cannot write T.
    auto fenced = co_await detail::write_topic_state(link, rev, "active");
    if (!fenced) {
      co_return fenced;
    }
    co_await detail::sleep_for(detail::kStatePropagation);
    for (size_t p = 0; p < rev.partition_offsets.size(); ++p) {
      auto trimmed = co_await trim_partition(link, rev, static_cast<int32_t>(p),
                                             rev.partition_offsets[p]);
      if (!trimmed) {
        co_return trimmed;
      }
      result.not_copied.emplace_back(rev.partition_offsets[p], rev.partition_offsets[p]);
    }
    auto& stored = link->reverse[m.mirror_topic] = std::move(rev);
    detail::spawn_tasks(link, stored, static_cast<int32_t>(stored.partition_offsets.size()));
    co_return Result<void>{};
  };
  detail::Operation fn = op;
  auto out = co_await detail::for_each_topic(state_, std::move(topics), std::move(fn));
  co_return out;
}

}  // namespace meridian::mirror
