#pragma once
// Value types of the partition log's public API (partition_log.h).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cluster/log/format.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::log {

namespace detail {
class File;
}

// Kafka topic-level keys in parentheses. -1 means "unlimited" for the retention fields.
struct LogConfig {
  int64_t segment_bytes = format::kDefaultSegmentBytes;  // segment.bytes
  int64_t segment_ms = format::kDefaultSegmentMs;        // segment.ms
  int64_t retention_ms = format::kDefaultRetentionMs;    // retention.ms
  int64_t retention_bytes = -1;                          // retention.bytes
  int64_t flush_messages = INT64_MAX;                    // flush.messages (offsets, not batches)
  int64_t flush_ms = INT64_MAX;                          // flush.ms
  int64_t index_interval_bytes = format::kDefaultIndexIntervalBytes;  // index.interval.bytes
  // How often flush() also rewrites the recovery-point checkpoint (Kafka's
  // log.flush.offset.checkpoint.interval.ms). Roll, truncation and close always write it.
  int64_t recovery_checkpoint_interval_ms = 60'000;
  // cleanup.policy: "delete" (the default), "compact" or "compact,delete". Without delete,
  // enforce_retention() keeps every segment; with compact, clean_if_due() compacts (log_cleaner.h).
  bool cleanup_delete = true;
  bool cleanup_compact = false;
  int64_t delete_retention_ms = 86'400'000;  // delete.retention.ms: how long tombstones stay
  double min_cleanable_dirty_ratio = 0.5;    // min.cleanable.dirty.ratio
  // Every this many appended bytes a segment asks the background sync thread to start writeback
  // (sync_file_range), so dirty pages never pile up to the kernel's throttling point; 0 leaves
  // writeback to the kernel. Not a Kafka key (log.writeback.bytes on the broker).
  int64_t writeback_bytes = format::kDefaultWritebackBytes;

  // Errors: invalid_config.
  Result<void> validate() const;
};

// Sets the cleaner fields of `config` from Kafka topic keys: cleanup.policy ("delete",
// "compact", "compact,delete"), delete.retention.ms, min.cleanable.dirty.ratio. A missing or
// invalid value leaves its field as it is (AlterConfigs validated them already).
void apply_cleanup_overrides(const std::map<std::string, std::string>& overrides,
                             LogConfig& config);
// Whether the cleaner fields of `a` and `b` agree (the broker re-applies configs when not).
bool same_cleanup(const LogConfig& a, const LogConfig& b);

// Milliseconds since the Unix epoch. Injected so tests control segment.ms, retention and flush.ms.
using Clock = std::function<int64_t()>;
Clock system_clock();

struct AppendInfo {
  Offset first_offset;  // base offset of the first batch
  Offset last_offset;   // last offset of the last batch
  int64_t max_timestamp = -1;
  uint32_t batches = 0;
  uint64_t bytes = 0;
  bool rolled = false;  // a new segment was started for this append
};

// Whole batches inside one file, ready for pread or sendfile. The File stays open (even if the
// segment is deleted by retention) while a slice refers to it; its bytes are stable until the
// log is truncated below them.
struct FileSlice {
  std::shared_ptr<const detail::File> file;
  uint64_t position = 0;
  uint64_t length = 0;
  Offset first_offset;  // base offset of the first batch in the slice
  Offset next_offset;   // offset after the last batch in the slice
  int fd() const noexcept;
};

struct ReadResult {
  std::vector<FileSlice> slices;  // in offset order; empty when nothing is readable
  uint64_t total_bytes = 0;
  Offset next_offset;       // where the next read should start
  Offset log_start_offset;  // at the time of the read
  Offset log_end_offset;

  // Copies the slices into `out` (at least total_bytes long) with pread.
  Result<void> copy_to(std::span<uint8_t> out) const;
  Result<std::vector<uint8_t>> to_bytes() const;
};

// Whether read() returns the first batch even when it exceeds max_bytes (KIP-74: a consumer
// must always make progress).
enum class FirstBatch { kAlwaysInclude, kRespectMaxBytes };

struct EpochEntry {
  LeaderEpoch epoch;
  Offset start_offset;
  bool operator==(const EpochEntry&) const = default;
};

// OffsetsForLeaderEpoch answer; both -1 when the epoch is unknown.
struct EpochEndOffset {
  LeaderEpoch epoch{-1};
  Offset end_offset{-1};
  bool operator==(const EpochEndOffset&) const = default;
};

// ListOffsets answer: an offset and the timestamp that selected it (-1 for earliest/latest).
struct TimestampOffset {
  Offset offset;
  int64_t timestamp = -1;
  bool operator==(const TimestampOffset&) const = default;
};

// What open() did; also logged as one line.
struct OpenStats {
  bool clean_shutdown = false;
  size_t segments = 0;
  size_t segments_recovered = 0;  // validated batch by batch (after the recovery point)
  size_t indexes_rebuilt = 0;
  uint64_t bytes_dropped = 0;         // invalid or torn bytes cut from the tail
  std::vector<std::string> warnings;  // one line each: foreign files, rebuilt indexes, drops
};

// What one clean_if_due() pass did (log_cleaner.h).
struct CleanResult {
  size_t segments_cleaned = 0;  // rewritten or removed
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  uint64_t records_removed = 0;
  Offset cleaned_to{0};  // first offset not yet cleaned after the pass
};

struct RetentionResult {
  size_t segments_deleted = 0;
  uint64_t bytes_deleted = 0;
};

}  // namespace meridian::log
