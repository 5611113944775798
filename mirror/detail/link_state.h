#pragma once
// Internal state of a Link (link.h), shared by link.cc (discovery, operations) and
// link_partition.cc (the per-partition copy loop). Everything here is touched only on the
// link's single-threaded executor.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cluster/client/client.h"
#include "cluster/client/group_client.h"
#include "mirror/detail/source_fetcher.h"
#include "mirror/detail/throttle.h"
#include "mirror/link.h"
#include "mirror/recompress.h"

namespace meridian::mirror::detail {

using Clock = std::chrono::steady_clock;

// One partition's copy task: source -> target at the same offsets.
struct PartitionTask {
  std::string source_topic;
  std::string mirror_topic;
  int32_t partition = 0;
  int32_t link_epoch = 0;
  std::string link_name;  // the name the target's mirror state carries
  client::Client* source = nullptr;
  client::Client* target = nullptr;
  bool stop = false;     // set by operations; the loop ends after its current step
  bool running = false;  // the loop is alive
  PartitionStatus status;
  Clock::time_point caught_up_at = Clock::now();
  double bytes_per_record = 100;
};

struct MirrorTopic {
  std::string source_topic;
  std::string mirror_topic;
  bool reverse = false;  // after failback: target -> source
  std::string state;     // active, paused, promoted, failed-over
  int32_t link_epoch = 0;
  int32_t dc_epoch = 0;
  std::vector<std::shared_ptr<PartitionTask>> tasks;
  std::vector<int64_t> partition_offsets;  // failed-over: where the copy stopped, per partition
};

struct LinkState {
  LinkState(boost::asio::any_io_executor ex, LinkOptions o);

  boost::asio::any_io_executor executor;
  LinkOptions options;
  client::Client source;
  client::Client target;
  std::optional<std::regex> include;
  std::optional<std::regex> exclude;
  std::map<std::string, MirrorTopic> mirrors;  // by mirror topic name
  // After failback: the old primary mirrors the new one, by the same topic name.
  std::map<std::string, MirrorTopic> reverse;
  std::set<std::string> loop_skipped;  // source topics skipped as loops (logged once)
  bool stopping = false;
  bool discovery_running = false;
  std::string state = "active";
  std::string last_error;
  int64_t records_mirrored = 0;
  int64_t bytes_mirrored = 0;
  std::deque<double> latencies;  // seconds, the most recent samples
  client::GroupClient source_groups{source};
  client::GroupClient target_groups{target};
  int64_t group_offsets_synced = 0;
  std::string group_sync_error;
  Throttle throttle{options.throttle_bytes_per_second};
  record::Compression codec = parse_codec(options.compression).value_or(record::Compression::kNone);
  int64_t bytes_sent = 0;
  int64_t configs_synced = 0;
  std::string config_sync_error;
  // One multi-partition Fetch per broker of the cluster a copy loop reads from: `source`, or
  // `target` for the reverse mirrors of a failback.
  SourceFetcher source_fetcher{source, {options.fetch_request_max_bytes, options.fetch_max_wait}};
  SourceFetcher target_fetcher{target, {options.fetch_request_max_bytes, options.fetch_max_wait}};
  // Env MERIDIAN_MIRROR_FETCH=partition: the previous one-Fetch-per-partition copy (4 MiB,
  // 10 ms source wait, 50 ms idle pause), kept only so bench/mirror.sh can compare both in
  // one binary.
  bool per_partition_fetch = false;

  SourceFetcher& fetcher_for(const client::Client* from) {
    return from == &target ? target_fetcher : source_fetcher;
  }

  void record_latency(double seconds);
};

// The whole batches of `records` from `offset` on: [begin, end) byte range, next offset, count
// and newest timestamp. Batches wholly below `offset` are skipped (a fetch returns the batch
// holding the offset); one straddling it cannot be mirrored at the same offsets (misaligned).
struct Slice {
  size_t begin = 0;
  size_t end = 0;
  int64_t next = 0;
  int64_t records = 0;
  int64_t max_timestamp = -1;
  bool misaligned = false;
};
Slice whole_batches(const std::vector<uint8_t>& records, int64_t offset);

// The copy loop of one partition (link_partition.cc). Ends when task->stop is set.
boost::asio::awaitable<void> run_partition(std::shared_ptr<LinkState> link,
                                           std::shared_ptr<PartitionTask> task);

// Copies committed offsets of the selected groups to the target, forever (group_sync.cc).
boost::asio::awaitable<void> group_sync_loop(std::shared_ptr<LinkState> link);

// Copies the source topics' own configs to the mirror topics, forever (config_sync.cc).
boost::asio::awaitable<void> config_sync_loop(std::shared_ptr<LinkState> link);

// Sleeps on the link's executor.
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d);

}  // namespace meridian::mirror::detail
