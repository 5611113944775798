#pragma once
// LinkMetrics: the Prometheus series of one mirror link (CONVENTIONS.md §1 rows 25-29, names in
// common/admin/metric_names.h), fed two ways:
//
// - hooks from the link's own loops: on_copied() after each MirrorAppend the target accepted
//   (records / bytes counters per topic, replication latency = destination append time minus
//   the newest source record timestamp), on_checkpoint() after a group's offsets were written to
//   the target;
// - a sampler (run()) that reads Link::status() every `interval` and sets the gauges: link state
//   (one series per state, 1 = current), lag in records and seconds per partition, checkpoint
//   lag per group. Series of partitions or groups that disappeared are removed.
//
// Link state from the status: stopped after stop(); connecting while the source's metadata
// fails or every partition backs off (a cut link); failed when every partition stopped on an
// error (fenced); paused when every mirror topic is paused; active otherwise.
//
// Threading: hooks and the sampler run on the link's executor; prometheus-cpp series are
// thread-safe, the checkpoint table is guarded. Lifetime: shared by LinkOptions::metrics and
// the process that runs the sampler.

#include <prometheus/labels.h>
#include <prometheus/registry.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/admin/metrics.h"

namespace meridian::mirror {

class Link;
struct LinkStatus;

class LinkMetrics {
 public:
  // `base` labels go on every series (`datacenter` in `meridian dev`); `link` is the link label.
  explicit LinkMetrics(std::string link, prometheus::Labels base = {},
                       prometheus::Registry& registry = admin::registry());

  // A MirrorAppend of `records` records / `bytes` bytes of `topic` (the mirror topic) was
  // accepted; `latency_seconds` < 0 when the batches carried no timestamp.
  void on_copied(const std::string& topic, int64_t records, int64_t bytes,
                 double latency_seconds);
  // `group`'s committed offsets were written to the target.
  void on_checkpoint(const std::string& group);

  // Sets the gauges from one status snapshot (the sampler; tests).
  void update(const LinkStatus& status);
  // Samples `link` every `interval` until stop(); await on the link's executor.
  boost::asio::awaitable<void> run(Link& link, std::chrono::milliseconds interval);
  // Ends run() and reports the link as stopped.
  void stop();

  const std::string& link() const noexcept { return link_; }
  // The state of the last sample (connecting before the first); any thread. Readiness of the
  // process running the link: active or paused = both clusters reachable, tasks running.
  admin::LinkState state() const noexcept { return state_.load(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct TopicSeries {
    prometheus::Counter* records = nullptr;
    prometheus::Counter* bytes = nullptr;
    prometheus::Histogram* latency = nullptr;
  };

  TopicSeries& topic_series(const std::string& topic);
  void set_gauge(const admin::GaugeFamily& family, const prometheus::Labels& labels,
                 double value, std::set<std::pair<const admin::GaugeFamily*,
                                                  prometheus::Labels>>& seen);

  std::string link_;
  admin::MirrorMetrics metrics_;
  std::atomic<bool> stopping_{false};
  std::atomic<admin::LinkState> state_{admin::LinkState::kConnecting};

  std::mutex mutex_;  // guards everything below
  std::map<std::string, TopicSeries> topics_;
  std::map<std::string, Clock::time_point> checkpoints_;  // group -> last sync
  std::set<std::pair<const admin::GaugeFamily*, prometheus::Labels>> gauges_;
};

}  // namespace meridian::mirror
