#pragma once
// PartitionLog: the segmented on-disk log of one partition (DESIGN.md §2). It stores Kafka
// RecordBatch v2 bytes exactly as received and never decodes records on the append or read path.
//
// Threading: one PartitionLog is used from one strand (thread) at a time; there is no internal
// locking. ReadResult slices may be read (pread/sendfile) from any thread afterwards: they hold
// their file open, and appends never rewrite bytes already written. Only truncate_to() and
// truncate_fully_and_start_at() change bytes under an outstanding slice.
//
// Offsets, worked example: three appends of 2, 3 and 1 records to an empty log give batches
// [0..1], [2..4], [5..5]; log_end_offset() = 6. read(Offset(3), ...) returns the batch [2..4]
// (the consumer skips record 2) and [5..5]. truncate_to(Offset(4)) removes [2..4] as well (a
// batch is never split), so log_end_offset() = 2.

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "cluster/log/errc.h"
#include "cluster/log/log_types.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::log {

namespace detail {
class Segment;
class LeaderEpochCache;
class OffsetMap;
struct SealTicket;
}  // namespace detail

// "<root>/<topic>-<partition>".
std::filesystem::path partition_dir(const std::filesystem::path& root, std::string_view topic,
                                    PartitionId partition);

class PartitionLog {
 public:
  // Opens or creates the partition directory `dir`. After an unclean shutdown every batch from
  // the recovery point on is validated (length, magic, CRC, offsets) and the log is cut at the
  // first invalid byte; open_stats() and one log line say what was dropped. Unknown files are
  // reported, never deleted. Errors: invalid_config, bad_directory, I/O.
  static Result<std::unique_ptr<PartitionLog>> open(const std::filesystem::path& dir,
                                                    LogConfig config, Clock clock = system_clock());
  ~PartitionLog();  // close()s if the caller did not; errors are logged
  PartitionLog(const PartitionLog&) = delete;
  PartitionLog& operator=(const PartitionLog&) = delete;

  // Leader path: `batches` holds one or more whole RecordBatch v2 batches. Each is validated
  // (parse + CRC), then its base offset and leader epoch are written into its header (outside
  // the CRC, so records are untouched) and the whole span goes to disk in one write.
  // Errors: invalid_batch, crc_mismatch, epoch_regression, batch_too_large, closed, I/O.
  Result<AppendInfo> append(std::span<uint8_t> batches, LeaderEpoch epoch);
  // Follower/mirror path: keeps each batch's base offset and leader epoch. Base offsets must be
  // >= log_end_offset() and increasing (gaps are allowed: compacted sources).
  // Errors: as append() plus non_monotonic_offset.
  Result<AppendInfo> append_with_offsets(std::span<const uint8_t> batches);

  // Whole batches from the one holding `from`, up to `max_bytes` in total, none reaching
  // `max_offset` (exclusive, e.g. the high watermark). from == log_end_offset() gives an empty
  // result. Errors: offset_out_of_range (from < log start or > log end), closed, I/O.
  Result<ReadResult> read(Offset from, uint64_t max_bytes, Offset max_offset,
                          FirstBatch first = FirstBatch::kAlwaysInclude) const;
  // Same batches, pread straight into `out` (max_bytes = out.size()); returns the bytes written.
  // Errors: as read() plus buffer_too_small when the first batch alone does not fit.
  Result<size_t> read_into(Offset from, std::span<uint8_t> out, Offset max_offset) const;

  Offset log_start_offset() const noexcept { return log_start_; }
  Offset log_end_offset() const noexcept;
  // Everything below this offset has been fsynced. A roll moves it only once the background
  // seal of the old segment has finished (see pending_seals()).
  Offset recovery_point() const noexcept { return recovery_point_; }
  // Rolled segments whose fsync runs on the background sync thread (detail/background_sync.h)
  // and has not been reaped yet. Appends, flush_if_due() and roll_if_due() reap finished ones:
  // the recovery point moves to the end of each and its checkpoint is written.
  size_t pending_seals() const noexcept { return pending_seals_.size(); }
  uint64_t size_bytes() const noexcept;
  size_t segment_count() const noexcept { return segments_.size(); }
  // Base offsets of the segments, oldest first (tests, tools, metrics).
  std::vector<Offset> segment_base_offsets() const;

  // Suffix truncation for replication: removes every batch whose last offset >= `end` (a batch
  // holding `end` goes entirely), then the epoch entries starting at or after the new end.
  // Below the log start it behaves as truncate_fully_and_start_at(end).
  Result<void> truncate_to(Offset end);
  // Deletes everything; the log restarts empty at `start` (follower out of range, mirror reset).
  Result<void> truncate_fully_and_start_at(Offset start);
  // DeleteRecords / prefix truncation: offsets below `start` become unreadable and whole segments
  // below it are deleted. Errors: offset_out_of_range (start > log end), I/O.
  Result<void> advance_log_start(Offset start);

  // Kafka ListOffsets: format::kEarliestTimestamp -> log start, kLatestTimestamp -> log end,
  // otherwise the first offset whose record timestamp >= ts (nullopt if none).
  Result<std::optional<TimestampOffset>> offset_for_timestamp(int64_t ts) const;

  // OffsetsForLeaderEpoch (KIP-101/279).
  EpochEndOffset end_offset_for_epoch(LeaderEpoch requested) const;
  std::optional<LeaderEpoch> latest_epoch() const;
  const std::vector<EpochEntry>& epoch_entries() const;

  // Deletes whole non-active segments beyond retention.ms (by their largest timestamp) or
  // retention.bytes, oldest first, and moves the log start offset past them.
  Result<RetentionResult> enforce_retention();
  // Starts a new segment if the active one is older than segment.ms (appends also check).
  Result<bool> roll_if_due();

  // Producer-state snapshots (partition_log_snapshots.cc): opaque blobs named by the offset they
  // describe (the state of every batch below it), written atomically. The log deletes those
  // below the log start (retention, DeleteRecords), above a truncation point, above the log end
  // at open, and all but the newest kMaxStateSnapshots. Errors: I/O.
  static constexpr size_t kMaxStateSnapshots = 3;
  Result<void> write_state_snapshot(Offset at, std::span<const uint8_t> bytes);
  Result<std::vector<uint8_t>> read_state_snapshot(Offset at) const;
  // Offsets of the snapshots on disk, oldest first.
  const std::vector<Offset>& state_snapshot_offsets() const noexcept { return snapshots_; }
  // Called at every segment roll with the new segment's base offset (nothing lies between the
  // old log end and it); returns the producer-state snapshot to store at that offset, or nullopt
  // for none. Kafka writes the producer snapshot at the roll, so a restart replays at most the
  // active segment. Runs inside append() on the log's strand; set by the owner (Partition).
  using RollSnapshotFn = std::function<std::optional<std::vector<uint8_t>>(Offset)>;
  void set_roll_snapshot(RollSnapshotFn fn) { roll_snapshot_ = std::move(fn); }

  // Log compaction (cleanup.policy=compact; partition_log_clean.cc, detail/cleaner.h): when the
  // dirty share of the closed segments reaches min.cleanable.dirty.ratio, keeps the latest record
  // per key in every closed segment (offsets kept, gaps allowed), drops tombstones older than
  // delete.retention.ms, and swaps each rewritten segment in with a rename (crash-safe). The
  // active segment is never touched. `now_ms` defaults to the log's clock. `max_offset` (the
  // high watermark, or the last stable offset) bounds it too, as Kafka's cleaner never cleans at
  // or above it: only closed segments wholly below it are mapped or rewritten.
  Result<CleanResult> clean_if_due(std::optional<int64_t> now_ms = std::nullopt,
                                   std::optional<Offset> max_offset = std::nullopt);
  // The first offset the cleaner has not compacted yet (the cleaner checkpoint).
  Offset cleaned_to() const noexcept { return cleaned_to_; }

  // fsyncs everything written so far; returns the new recovery point (= log end offset).
  Result<Offset> flush();
  // Flushes when flush.ms has passed since the last flush (appends also check).
  Result<void> flush_if_due();
  // Flushes, seals the active segment and writes the clean-shutdown marker. Idempotent.
  Result<void> close();

  const OpenStats& open_stats() const noexcept { return open_stats_; }
  const LogConfig& config() const noexcept { return config_; }
  // Topic config change (partition_log_config.cc): later rolls, retention passes and flushes use
  // `config`; existing segments stay as they are. Errors: invalid_config.
  Result<void> set_config(LogConfig config);
  const std::filesystem::path& dir() const noexcept { return dir_; }

  // Drops the log like a killed process would: nothing more is flushed or marked clean.
  void simulate_crash_for_test();

 private:
  PartitionLog(std::filesystem::path dir, LogConfig config, Clock clock);
  Result<void> load();
  Result<void> load_segments(const std::vector<Offset>& bases, Offset recovery_point,
                             std::vector<EpochEntry>& recovered_epochs);
  Result<void> load_checkpoints(bool have_data, const std::vector<EpochEntry>& recovered_epochs);
  Result<std::vector<Offset>> scan_directory();
  Result<AppendInfo> append_validated(std::span<const uint8_t> batches, AppendInfo info);
  Result<bool> maybe_roll(uint64_t incoming_bytes, Offset first_base, Offset last_offset);
  Result<void> roll(Offset new_base);
  // Takes the finished background seals in roll order; errors: the seal's I/O error.
  Result<void> reap_seals();
  // Forgets pending seals of segments that reach beyond `end` (truncation).
  void drop_seals_beyond(Offset end);
  Result<void> delete_segment(std::map<int64_t, std::unique_ptr<detail::Segment>>::iterator it);
  Result<void> write_recovery_point();
  Result<void> write_log_start();
  Result<void> persist_epochs_if(bool changed);
  Result<void> check_open() const;
  // Deletes the state snapshots outside [from, to] (partition_log_snapshots.cc).
  Result<void> prune_state_snapshots(Offset from, Offset to);
  void load_cleaner_checkpoint();
  Result<void> clean_segment(int64_t base, const detail::OffsetMap& latest, int64_t horizon_ms,
                             CleanResult& result);
  detail::Segment& active() const;

  std::filesystem::path dir_;
  LogConfig config_;
  Clock clock_;
  std::map<int64_t, std::unique_ptr<detail::Segment>> segments_;  // by base offset
  std::unique_ptr<detail::LeaderEpochCache> epochs_;
  Offset log_start_;
  Offset recovery_point_;
  int64_t last_flush_ms_ = 0;
  int64_t last_checkpoint_ms_ = 0;
  OpenStats open_stats_;
  bool closed_ = false;
  std::vector<Offset> snapshots_;  // state snapshots on disk, oldest first
  RollSnapshotFn roll_snapshot_;   // see set_roll_snapshot()
  void snapshot_at_roll(Offset base);  // partition_log_snapshots.cc
  Offset cleaned_to_{0};
  struct PendingSeal {
    Offset end;  // the log end when the sealed segment was rolled
    std::shared_ptr<detail::SealTicket> ticket;
  };
  std::deque<PendingSeal> pending_seals_;  // oldest first
};

}  // namespace meridian::log
