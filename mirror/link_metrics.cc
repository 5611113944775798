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

LinkMetrics::LinkMetrics(std::string link, prometheus::Labels base, prometheus::Registry& registry)
    : link_(std::move(link)), metrics_(admin::mirror_metrics(std::move(base), registry)) {
  // Until the first sample the link is connecting: a series exists from the start, so
  // "state != active" alerts see a link that never came up.
  metrics_.set_link_state(link_, admin::LinkState::kConnecting);
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
