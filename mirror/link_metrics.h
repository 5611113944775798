#pragma once
// LinkMetrics: the Prometheus series of one mirror link (CONVENTIONS.md §1 rows 25-29, names in
// common/admin/metric_names.h), fed two ways:
//
// - hooks from the link's own loops: on_copied() after each MirrorAppend the target accepted
//   (records / bytes counters per topic, replication latency = destination append time minus
//   the newest source record timestamp), on_checkpoint() after a group's offsets were written to
//   the target;
// - a sampler (run()) that reads Link::status() every `interval` and sets the gauges: link state
//   (one series per state, 1 = current), lag in records, bytes and seconds per partition,
//   checkpoint lag per group. Series of partitions or groups that disappeared are removed.
//
// Errors (meridian_mirror_errors_total{kind}, meridian_mirror_last_error_timestamp_seconds{kind}
// and last_error() for the admin API): the copy loop reports each failed step through
// on_copy_error(message), classified by the message it logs (source_fetch, source_truncated,
// misaligned, target_append); the sampler counts what the status shows and the loops do not
// report: a partition entering "error" (fenced), and each new link-level message (source
// unreachable = source_metadata, mirror set-up, group sync, config sync). Every kind's counter
// exists from the start at 0, so rate() and increase() see the first error.
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
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/admin/metrics.h"

namespace meridian::mirror {

class Link;
struct LinkStatus;

enum class ErrorKind {
  kSourceFetch,      // a fetch from the source failed (unreachable, leader moved, ...)
  kSourceTruncated,  // the source's log starts after the mirror's position
  kMisaligned,       // source batches do not line up with the target's log end
  kTargetAppend,     // MirrorAppend (or the log-end probe) failed or was refused
  kFenced,           // a partition stopped: its link epoch was fenced
  kSourceMetadata,   // the source's metadata is unreachable (the link cannot discover)
  kMirrorSetup,      // creating / claiming a mirror topic in the target failed
  kGroupSync,        // consumer-group offset sync failed
  kConfigSync,       // topic-config sync failed
  kOther,
};
inline constexpr int kErrorKinds = static_cast<int>(ErrorKind::kOther) + 1;
std::string_view to_string(ErrorKind kind) noexcept;
// The kind of a copy-loop failure from the message it logs (link_partition.cc).
ErrorKind classify_copy_error(std::string_view message) noexcept;

// The most recent error of a link, any kind.
struct LastError {
  ErrorKind kind = ErrorKind::kOther;
  std::string message;
  int64_t unix_ms = 0;  // when it was reported
};

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
  // A step of the copy loop failed with `message` (it backs off and retries).
  void on_copy_error(std::string_view message);
  // An error of `kind`; counted, and the newest becomes last_error().
  void on_error(ErrorKind kind, std::string_view message);

  // The newest error reported (nullopt: none yet) and the count per kind; any thread.
  std::optional<LastError> last_error() const;
  std::map<std::string, int64_t> error_counts() const;

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
  void record_error(ErrorKind kind, std::string_view message);  // mutex_ held
  void sample_errors(const LinkStatus& status);                  // mutex_ held
  void set_gauge(const admin::GaugeFamily& family, const prometheus::Labels& labels,
                 double value, std::set<std::pair<const admin::GaugeFamily*,
                                                  prometheus::Labels>>& seen);

  std::string link_;
  admin::MirrorMetrics metrics_;
  std::atomic<bool> stopping_{false};
  std::atomic<admin::LinkState> state_{admin::LinkState::kConnecting};

  mutable std::mutex mutex_;  // guards everything below
  std::vector<prometheus::Counter*> errors_;  // by ErrorKind
  std::vector<int64_t> error_counts_;
  std::optional<LastError> last_error_;
  // What the sampler saw last: partitions in "error", link / group / config sync messages.
  std::set<std::pair<std::string, int32_t>> errored_partitions_;
  std::string seen_link_error_, seen_group_error_, seen_config_error_;
  std::map<std::string, TopicSeries> topics_;
  std::map<std::string, Clock::time_point> checkpoints_;  // group -> last sync
  std::set<std::pair<const admin::GaugeFamily*, prometheus::Labels>> gauges_;
};

}  // namespace meridian::mirror
