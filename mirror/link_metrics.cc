#include "mirror/link_metrics.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "mirror/link.h"

namespace meridian::mirror {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::milliseconds kStopPoll{100};

bool all_partitions_in(const LinkStatus& status, std::string_view state) {
  size_t n = 0;
  for (const auto& m : status.mirrors) {
    if (m.direction != "forward" || m.state != "active") {
      continue;
    }
    for (const auto& p : m.partitions) {
      if (p.state != state) {
        return false;
      }
      ++n;
    }
  }
  return n > 0;
}

constexpr std::string_view kErrorKindNames[kErrorKinds] = {
    "source_fetch", "source_truncated", "misaligned", "target_append", "fenced",
    "source_metadata", "mirror_setup",  "group_sync", "config_sync",   "other"};

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

admin::LinkState link_state(const LinkStatus& status) {
  if (status.state != "active" || all_partitions_in(status, "backoff")) {
    return admin::LinkState::kConnecting;  // retrying: source metadata or every copy failing
  }
  if (all_partitions_in(status, "error")) {
    return admin::LinkState::kFailed;
  }
  bool any = false, all_paused = true;
  for (const auto& m : status.mirrors) {
    if (m.direction == "forward" && (m.state == "active" || m.state == "paused")) {
      any = true;
      all_paused = all_paused && m.state == "paused";
    }
  }
  return any && all_paused ? admin::LinkState::kPaused : admin::LinkState::kActive;
}

}  // namespace

std::string_view to_string(ErrorKind kind) noexcept {
  return kErrorKindNames[static_cast<int>(kind)];
}

ErrorKind classify_copy_error(std::string_view message) noexcept {
  // The prefixes link_partition.cc's copy loop logs; anything new counts as "other".
  if (message.starts_with("source fetch failed")) {
    return ErrorKind::kSourceFetch;
  }
  if (message.starts_with("source log starts at")) {
    return ErrorKind::kSourceTruncated;
  }
  if (message.starts_with("source batch does not start")) {
    return ErrorKind::kMisaligned;
  }
  if (message.starts_with("target ") || message.starts_with("mirror append")) {
    return ErrorKind::kTargetAppend;
  }
  if (message.starts_with("source")) {
    return ErrorKind::kSourceFetch;
  }
  return ErrorKind::kOther;
}

LinkMetrics::LinkMetrics(std::string link, prometheus::Labels base, prometheus::Registry& registry)
    : link_(std::move(link)), metrics_(admin::mirror_metrics(std::move(base), registry)) {
  // Until the first sample the link is connecting: a series exists from the start, so
  // "state != active" alerts see a link that never came up.
  metrics_.set_link_state(link_, admin::LinkState::kConnecting);
  for (int k = 0; k < kErrorKinds; ++k) {
    errors_.push_back(&metrics_.errors.add(
        {{"link", link_}, {"kind", std::string(kErrorKindNames[k])}}));
  }
  error_counts_.assign(kErrorKinds, 0);
}

LinkMetrics::TopicSeries& LinkMetrics::topic_series(const std::string& topic) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) {
    const prometheus::Labels labels{{"link", link_}, {"topic", topic}};
    TopicSeries s{&metrics_.records.add(labels), &metrics_.bytes.add(labels),
                  &metrics_.replication_latency.add(labels)};
    it = topics_.emplace(topic, s).first;
  }
  return it->second;
}

void LinkMetrics::on_copied(const std::string& topic, int64_t records, int64_t bytes,
                            double latency_seconds) {
  std::lock_guard lock(mutex_);
  TopicSeries& s = topic_series(topic);
  s.records->Increment(static_cast<double>(std::max<int64_t>(0, records)));
  s.bytes->Increment(static_cast<double>(std::max<int64_t>(0, bytes)));
  if (latency_seconds >= 0) {
    s.latency->Observe(latency_seconds);
  } else if (latency_seconds > -1) {
    s.latency->Observe(0);  // source clock slightly ahead of ours: as good as instant
  }
}

void LinkMetrics::on_checkpoint(const std::string& group) {
  std::lock_guard lock(mutex_);
  checkpoints_[group] = Clock::now();
}

void LinkMetrics::on_copy_error(std::string_view message) {
  on_error(classify_copy_error(message), message);
}

void LinkMetrics::on_error(ErrorKind kind, std::string_view message) {
  std::lock_guard lock(mutex_);
  record_error(kind, message);
}

void LinkMetrics::record_error(ErrorKind kind, std::string_view message) {
  const auto k = static_cast<size_t>(kind);
  errors_[k]->Increment();
  ++error_counts_[k];
  int64_t now = unix_ms_now();
  metrics_.last_error.add({{"link", link_}, {"kind", std::string(kErrorKindNames[k])}})
      .Set(static_cast<double>(now) / 1000.0);
  last_error_ = LastError{kind, std::string(message), now};
}

std::optional<LastError> LinkMetrics::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

std::map<std::string, int64_t> LinkMetrics::error_counts() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, int64_t> out;
  for (int k = 0; k < kErrorKinds; ++k) {
    out.emplace(kErrorKindNames[k], error_counts_[static_cast<size_t>(k)]);
  }
  return out;
}

void LinkMetrics::sample_errors(const LinkStatus& status) {
  // Link-level messages stay until replaced: each new one is one error.
  auto changed = [this](std::string& seen, const std::string& now, ErrorKind kind) {
    if (!now.empty() && now != seen) {
      record_error(kind, now);
    }
    seen = now;
  };
  changed(seen_link_error_, status.last_error,
          status.last_error.starts_with("source ") ? ErrorKind::kSourceMetadata
                                                   : ErrorKind::kMirrorSetup);
  changed(seen_group_error_, status.group_sync_error, ErrorKind::kGroupSync);
  changed(seen_config_error_, status.config_sync_error, ErrorKind::kConfigSync);
  std::set<std::pair<std::string, int32_t>> errored;
  for (const auto& m : status.mirrors) {
    for (const auto& p : m.partitions) {
      if (p.state != "error") {
        continue;
      }
      std::pair<std::string, int32_t> key{m.mirror_topic + "/" + m.direction, p.partition};
      if (!errored_partitions_.contains(key)) {
        record_error(ErrorKind::kFenced, p.last_error);
      }
      errored.insert(std::move(key));
    }
  }
  errored_partitions_ = std::move(errored);
}

void LinkMetrics::set_gauge(
    const admin::GaugeFamily& family, const prometheus::Labels& labels, double value,
    std::set<std::pair<const admin::GaugeFamily*, prometheus::Labels>>& seen) {
  family.add(labels).Set(value);
  seen.emplace(&family, labels);
}

void LinkMetrics::update(const LinkStatus& status) {
  if (stopping_) {
    return;
  }
  state_ = link_state(status);
  metrics_.set_link_state(link_, state_);
  std::lock_guard lock(mutex_);
  sample_errors(status);
  std::set<std::pair<const admin::GaugeFamily*, prometheus::Labels>> seen;
  for (const auto& m : status.mirrors) {
    // Promoted / failed-over topics are no longer mirrored: they have no lag. A reverse mirror
    // (after failback) shares its topic name with the forward one it replaced.
    if (m.direction != "forward" || (m.state != "active" && m.state != "paused")) {
      continue;
    }
    for (const auto& p : m.partitions) {
      prometheus::Labels labels{
          {"link", link_}, {"topic", m.mirror_topic}, {"partition", std::to_string(p.partition)}};
      set_gauge(metrics_.lag_records, labels, static_cast<double>(p.lag_records), seen);
      set_gauge(metrics_.lag_seconds, labels, p.lag_seconds, seen);
      set_gauge(metrics_.lag_bytes, labels, static_cast<double>(p.lag_bytes), seen);
    }
  }
  auto now = Clock::now();
  for (const auto& [group, at] : checkpoints_) {
    set_gauge(metrics_.checkpoint_lag, {{"link", link_}, {"group", group}},
              std::chrono::duration<double>(now - at).count(), seen);
  }
  for (const auto& [family, labels] : gauges_) {
    if (!seen.contains({family, labels})) {
      family->remove(labels);
    }
  }
  gauges_ = std::move(seen);
}

asio::awaitable<void> LinkMetrics::run(Link& link, std::chrono::milliseconds interval) {
  auto executor = co_await asio::this_coro::executor;
  while (!stopping_) {
    auto status = co_await link.status();
    update(status);
    for (auto waited = std::chrono::milliseconds(0); waited < interval && !stopping_;
         waited += kStopPoll) {
      asio::steady_timer timer(executor, kStopPoll);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
}

void LinkMetrics::stop() {
  stopping_ = true;
  state_ = admin::LinkState::kStopped;
  metrics_.set_link_state(link_, admin::LinkState::kStopped);
}

}  // namespace meridian::mirror
