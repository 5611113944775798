#pragma once
// The sparse offset and time indexes of one segment (format.h). Entries live in memory; the
// file is brought up to date on flush, roll and close (persist()), so appends cost no syscall.
// An index lost in a crash is rebuilt by recovery, which scans the segment anyway.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace meridian::log::detail {

struct OffsetIndexEntry {
  uint32_t relative_offset;  // batch base offset - segment base offset
  uint32_t position;         // byte position of the batch in the .log file
  bool operator==(const OffsetIndexEntry&) const = default;
};

struct TimeIndexEntry {
  int64_t timestamp;         // largest timestamp in the segment up to this batch
  uint32_t relative_offset;  // base offset of the batch where it first appeared
  bool operator==(const TimeIndexEntry&) const = default;
};

template <class Entry>
class SparseIndex {
 public:
  explicit SparseIndex(std::filesystem::path path) : path_(std::move(path)) {}

  // Reads and validates the file: size a multiple of the entry size, entries monotonic, positions
  // below `log_size` (offset index) and offsets below `max_relative_offset`. On failure the index
  // is left empty and the reason is returned (the caller rebuilds it).
  std::optional<std::string> load(uint64_t log_size, uint64_t max_relative_offset);

  const std::vector<Entry>& entries() const noexcept { return entries_; }
  const std::filesystem::path& path() const noexcept { return path_; }
  bool empty() const noexcept { return entries_.empty(); }
  const Entry& back() const noexcept { return entries_.back(); }

  void append(const Entry& e) { entries_.push_back(e); }
  // Keeps the first `n` entries (in memory now, in the file at the next persist()).
  void truncate_entries(size_t n);
  void clear() { truncate_entries(0); }
  void set_path(std::filesystem::path path) { path_ = std::move(path); }

  // Writes entries not yet in the file (and cuts a longer file); fsyncs when `sync`.
  enum class Sync { kNo, kYes };
  Result<void> persist(Sync sync);

 private:
  std::filesystem::path path_;
  std::vector<Entry> entries_;
  size_t persisted_ = 0;       // entries_[0, persisted_) are in the file
  bool file_too_long_ = true;  // the file may hold entries past persisted_ (rewrite its tail)
};

using OffsetIndex = SparseIndex<OffsetIndexEntry>;
using TimeIndex = SparseIndex<TimeIndexEntry>;

// Index of the largest entry with relative_offset <= rel, or nullopt.
std::optional<size_t> lookup_offset(const OffsetIndex& index, uint32_t rel) noexcept;
// Largest entry with timestamp <= ts, or nullopt.
std::optional<size_t> lookup_time(const TimeIndex& index, int64_t ts) noexcept;

}  // namespace meridian::log::detail
