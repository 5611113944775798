#pragma once
// Link: one cross-DC mirror link (DESIGN.md §6, docs/mirror.md). It pulls topics from a source
// cluster over the Kafka protocol (cluster/client) and appends them, offset-preserving, to
// mirror topics of the target cluster (MirrorAppend, fenced by the topic's link epoch).
//
// Durable progress: the target partition's log end IS the mirror's position, so a restarted
// link resumes exactly there (no gap, no duplicate). On link loss each partition task backs off
// (100 ms doubling to 2 s) and resumes from the target's log end.
//
// Strand model: everything runs on the executor given to the constructor, which must be
// single-threaded (one io_context thread). Public awaitables may be awaited from any executor;
// they hop onto the link's executor. The Link must outlive every awaitable it returned; stop()
// ends all tasks.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "mirror/errc.h"

namespace meridian::mirror {

namespace detail {
struct LinkState;
}  // namespace detail

class LinkMetrics;  // link_metrics.h

struct LinkOptions {
  std::string name = "link";
  std::string source_bootstrap;  // host:port[,host:port]
  std::string target_bootstrap;
  std::string source_cluster = "source";  // the source DC's name (prefix mode, status)
  std::string target_cluster = "target";
  std::vector<std::string> topics;  // explicit names (mirrored whatever the filters say)
  std::string include;              // ECMAScript regex; empty and no topics: every topic
  std::string exclude = "^__.*|.*\\.recovered$";
  bool prefix = false;  // active/active: mirror topic is "<source_cluster>.<topic>"
  std::chrono::milliseconds discovery_interval{1000};
  // Source fetches: one multi-partition Fetch per source broker (detail/source_fetcher.h).
  // A partition's copy loop has one fetch in flight, so it moves at most fetch_max_bytes per
  // WAN round trip: 16 MiB keeps ~120 MB/s of 3 partitions flowing at 100 ms one-way delay.
  int32_t fetch_max_bytes = 16 * 1024 * 1024;           // per partition
  int32_t fetch_request_max_bytes = 64 * 1024 * 1024;   // per request (one source broker)
  // Longest wait at the source while every partition of a broker is caught up (it answers as
  // soon as one has data); a loop that joins meanwhile waits at most this long. Short: with
  // 100 ms, half-load lag p50 was 0.22 s at 0 ms delay (bench/RESULTS.md, session 5).
  std::chrono::milliseconds fetch_max_wait{10};
  int16_t replication_factor = -1;  // of created mirror topics; -1: the target's default
  // Consumer groups whose committed offsets are copied to the target (ECMAScript regex; empty:
  // none). Offsets mean the same records there; groups active in the target are left alone.
  std::string groups_include;
  std::chrono::milliseconds group_sync_interval{2000};
  // Bandwidth throttle of the whole link, in bytes fetched from the source per second (a token
  // bucket, detail/throttle.h); 0: unlimited.
  int64_t throttle_bytes_per_second = 0;
  // Codec the link compresses uncompressed source batches with before MirrorAppend (same
  // offsets and records; mirror/recompress.h says when that saves WAN bytes): none, gzip,
  // snappy, lz4, zstd.
  std::string compression = "none";
  // Topic-config sync: the source topic's own settings (retention.ms, retention.bytes,
  // segment.bytes, cleanup.policy, ...) are copied to the mirror topic every interval; names
  // in `config_sync_exclude` are neither copied nor removed (the target's own choice).
  bool config_sync = true;
  std::chrono::milliseconds config_sync_interval{5000};
  std::vector<std::string> config_sync_exclude{"min.insync.replicas"};
  // Prometheus series of the link (link_metrics.h), fed by the copy and group-sync loops; null:
  // none. The process that runs the link also runs its sampler (LinkMetrics::run).
  std::shared_ptr<LinkMetrics> metrics;
};

struct PartitionStatus {
  int32_t partition = 0;
  std::string state = "starting";  // starting, mirroring, backoff, error, stopped
  int64_t source_high_watermark = -1;
  int64_t source_log_start = -1;
  int64_t mirrored_offset = -1;  // the target's log end
  int64_t lag_records = 0;
  int64_t lag_bytes = 0;  // estimate: lag_records * mean record size seen
  double lag_seconds = 0;  // now - last moment everything committed in the source was mirrored
  std::string last_error;
};

struct MirrorTopicStatus {
  std::string source_topic;
  std::string mirror_topic;
  std::string direction = "forward";  // forward (source->target), reverse (after failback)
  std::string state;                  // active, paused, promoted, failed-over
  int32_t link_epoch = 0;
  int32_t dc_epoch = 0;
  std::vector<PartitionStatus> partitions;
};

struct LinkStatus {
  std::string name;
  std::string source_cluster;
  std::string target_cluster;
  std::string state = "active";  // active, unreachable (source metadata failing)
  std::string last_error;
  int64_t records_mirrored = 0;
  int64_t bytes_mirrored = 0;
  int64_t bytes_sent = 0;  // MirrorAppend payload bytes (< bytes_mirrored when compressing)
  double latency_p50_seconds = 0;  // source timestamp -> appended in the target
  double latency_p99_seconds = 0;
  int64_t group_offsets_synced = 0;  // offset commits written to the target
  std::string group_sync_error;
  int64_t configs_synced = 0;  // topic-config changes written to the target
  std::string config_sync_error;
  std::vector<MirrorTopicStatus> mirrors;
};

// One topic's outcome of an operation (promote, failover, ...).
struct OperationResult {
  std::string mirror_topic;
  std::string error;  // empty on success
  // failover: per partition [target log end, last known source HW) was not copied.
  std::vector<std::pair<int64_t, int64_t>> not_copied;
  double seconds = 0;  // how long the operation took (RTO of failover/promote)
};

class Link {
 public:
  Link(boost::asio::any_io_executor executor, LinkOptions options);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Starts topic discovery and the partition tasks.
  void start();
  boost::asio::awaitable<void> stop();

  boost::asio::awaitable<LinkStatus> status();
  // Operations on mirror topics (names as in the target). Errors are per topic.
  boost::asio::awaitable<std::vector<OperationResult>> pause(std::vector<std::string> topics);
  boost::asio::awaitable<std::vector<OperationResult>> resume(std::vector<std::string> topics);
  // Waits (up to `timeout`) until the target has every record the source has, then makes the
  // topic writable in the target and stops mirroring it.
  boost::asio::awaitable<std::vector<OperationResult>> promote(std::vector<std::string> topics,
                                                               std::chrono::milliseconds timeout);
  // Makes the topic writable now; reports the offsets not copied.
  boost::asio::awaitable<std::vector<OperationResult>> failover(std::vector<std::string> topics);
  // After a failover, once the old primary (the source) is back: fences its topic (read-only),
  // moves its divergent suffix (records after the failover point) to "<topic>.recovered",
  // truncates it there and mirrors target -> source from that point.
  boost::asio::awaitable<std::vector<OperationResult>> failback(std::vector<std::string> topics);

  const LinkOptions& options() const noexcept;

 private:
  std::shared_ptr<detail::LinkState> state_;
};

}  // namespace meridian::mirror
