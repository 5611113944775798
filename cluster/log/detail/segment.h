#pragma once
// One segment: a .log file of whole batches plus its sparse offset and time indexes.
// Single-threaded like PartitionLog; the .log File is shared with in-flight reads.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cluster/log/detail/background_sync.h"
#include "cluster/log/detail/file.h"
#include "cluster/log/detail/segment_scan.h"
#include "cluster/log/detail/sparse_index.h"
#include "cluster/log/log_types.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::log::detail {

std::filesystem::path segment_path(const std::filesystem::path& dir, Offset base,
                                   std::string_view suffix);

// A run of whole batches inside one segment.
struct SegmentSlice {
  uint64_t position = 0;
  uint64_t length = 0;
  Offset first_offset;       // base offset of the first batch
  Offset next_offset;        // offset after the last batch
  bool reached_end = false;  // stopped at the end of the segment, not at a limit
};

class Segment {
 public:
  struct Options {
    uint64_t index_interval_bytes = 4096;
    // Hand every this many appended bytes to BackgroundSync for writeback (0: never).
    uint64_t writeback_bytes = 0;
  };
  // What open() found, for OpenStats and the log line.
  struct LoadReport {
    uint64_t dropped_bytes = 0;
    std::string problem;             // why bytes were dropped
    std::string index_problem;       // why the indexes were rebuilt ("" if they were not)
    std::vector<EpochEntry> epochs;  // leader epoch changes seen while validating batches
  };
  enum class LoadMode { kTrust, kRecover };

  // Creates empty .log/.index/.timeindex files (replacing leftovers).
  static Result<std::unique_ptr<Segment>> create(const std::filesystem::path& dir, Offset base,
                                                 Options options, int64_t now_ms);
  // Opens an existing segment. kRecover validates every batch (CRC included), truncates at the
  // first invalid byte and rebuilds the indexes; kTrust loads the indexes (rebuilding them if
  // they fail validation) and only walks the headers after the last index entry.
  // `min_base`: the offset the first batch may not go below (the previous segment's end).
  static Result<std::unique_ptr<Segment>> open(const std::filesystem::path& dir, Offset base,
                                               Options options, LoadMode mode, Offset min_base,
                                               int64_t now_ms, LoadReport& report);

  Offset base_offset() const noexcept { return base_; }
  Offset next_offset() const noexcept { return next_offset_; }
  uint64_t size_bytes() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  int64_t max_timestamp() const noexcept { return max_timestamp_; }
  // segment.ms counts from here: the first batch's max timestamp, else the creation time.
  int64_t roll_base_ms() const noexcept { return roll_base_ms_; }
  const std::shared_ptr<File>& file() const noexcept { return log_; }
  const OffsetIndex& offset_index() const noexcept { return offset_index_; }
  const TimeIndex& time_index() const noexcept { return time_index_; }

  // Writes already-validated batches (offsets assigned) at the end with one pwrite, then indexes
  // them. On a write error the file is cut back to its previous size.
  Result<void> append(std::span<const uint8_t> batches);

  // The batch holding `target` or the first one after it; nullopt if none in this segment.
  struct Located {
    uint64_t position;
    BatchHeader header;
  };
  Result<std::optional<Located>> locate(Offset target) const;
  // Whole batches from the one holding `from`, stopping before max_bytes (the first batch is
  // always included when `include_first`) and before any batch reaching `max_offset`.
  Result<SegmentSlice> read(Offset from, uint64_t max_bytes, Offset max_offset,
                            bool include_first) const;
  // First batch whose max timestamp >= ts and that ends at or after `min_offset`.
  Result<std::optional<Located>> locate_timestamp(int64_t ts, Offset min_offset) const;

  // Removes every batch whose last offset is >= target.
  Result<void> truncate_to(Offset target);
  // Persists index entries and fdatasyncs the .log.
  Result<void> flush();
  // Roll/close: a final time index entry, then every file synced.
  Result<void> seal();
  // seal() without the syncs: the final time index entry and both indexes written; returns the
  // files for BackgroundSync to sync (the roll does not wait for them).
  Result<SealJob> prepare_seal();
  // Unlinks the files; open reads keep the .log readable.
  Result<void> remove();

 private:
  // The final time index entry (the segment's max timestamp), then both indexes written out
  // (and fsynced when `sync`): the shared first half of seal() and prepare_seal().
  Result<void> write_final_indexes(bool sync);
  Segment(std::filesystem::path dir, Offset base, Options options);
  void index_batch(const BatchHeader& header, uint64_t position);
  Result<void> rebuild(Offset min_base, LoadReport& report);
  Result<std::optional<Located>> locate_with(WindowReader& reader, Offset target) const;
  Result<void> scan_tail(Offset min_base, LoadReport& report);
  Result<void> recompute_max_timestamp();
  Result<BatchHeader> header_at(uint64_t position) const;

  std::filesystem::path dir_;
  Offset base_;
  Options options_;
  std::shared_ptr<File> log_;
  OffsetIndex offset_index_;
  TimeIndex time_index_;
  uint64_t size_ = 0;
  Offset next_offset_;
  int64_t max_timestamp_ = -1;
  Offset offset_of_max_timestamp_;
  uint64_t bytes_since_index_ = 0;
  uint64_t writeback_from_ = 0;  // bytes below this were handed to BackgroundSync
  int64_t roll_base_ms_ = 0;
};

// Segment options from a partition's LogConfig.
Segment::Options segment_options(const LogConfig& config);

}  // namespace meridian::log::detail
