#pragma once
// The record-level half of log compaction (cleanup.policy=compact): which key was last written
// where, and rewriting one batch without its superseded records. Pure functions over bytes; the
// segment swap lives in partition_log_clean.cc.
//
// Worked example: keys a@0 b@1 a@2 (a@2 a tombstone written at t=100). The map says a->2, b->1.
// Cleaning with a horizon <= 100 keeps b@1 and a@2 in a batch still spanning offsets 0..2 (the
// consumer sees offsets 1 and 2); with a horizon > 100 the tombstone goes too and only b@1 stays.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace meridian::log::detail {

// key -> offset of its newest record in the scanned range (Kafka's SkimpyOffsetMap, with whole
// keys instead of MD5 digests: exact, at the cost of memory for long keys).
class OffsetMap {
 public:
  // Adds every keyed record of the whole v2 batches in `batches` (control batches are skipped).
  // Errors: record errors for a batch that does not decode (the caller stops cleaning).
  Result<void> add_batches(std::span<const uint8_t> batches);
  std::optional<Offset> latest(std::string_view key) const;
  size_t size() const noexcept { return latest_.size(); }

 private:
  std::unordered_map<std::string, int64_t> latest_;
};

// What filter_batch() decided for one batch.
struct FilteredBatch {
  enum class Action { kKeep, kDrop, kRewrite };
  Action action = Action::kKeep;
  std::vector<uint8_t> bytes;  // the rewritten batch (kRewrite only)
  uint32_t records_removed = 0;
};

// Keeps a record when it has no key, when no later record of its key is in `map`, and, for a
// tombstone (null value), while its batch's max timestamp >= `tombstone_horizon_ms`. A rewritten
// batch keeps its base offset, lastOffsetDelta, epochs, producer fields, timestamps and codec, so
// offsets and producer sequences are unchanged (Kafka's MemoryRecords.filterTo for magic 2).
// Control and transactional batches are kept whole.
Result<FilteredBatch> filter_batch(std::span<const uint8_t> batch, const OffsetMap& map,
                                   int64_t tombstone_horizon_ms);

}  // namespace meridian::log::detail
