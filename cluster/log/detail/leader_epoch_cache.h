#pragma once
// The leader-epoch checkpoint (KIP-101): for each epoch, the first offset written in it.
// Kept in memory and rewritten atomically on every change (changes are rare: one per leader
// election, truncation or retention).

#include <filesystem>
#include <optional>
#include <vector>

#include "cluster/log/log_types.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::log::detail {

class LeaderEpochCache {
 public:
  explicit LeaderEpochCache(std::filesystem::path path) : path_(std::move(path)) {}

  // Missing file: empty cache. Errors: corrupt_checkpoint, I/O.
  Result<void> load();
  Result<void> persist() const;

  const std::vector<EpochEntry>& entries() const noexcept { return entries_; }
  std::optional<LeaderEpoch> latest_epoch() const noexcept;

  // Records that `epoch` starts at `start` if it is newer than the latest. Returns whether the
  // cache changed. Epochs below zero (unknown) are ignored.
  bool assign(LeaderEpoch epoch, Offset start);
  // Suffix truncation: drops entries starting at or after `end`.
  bool truncate_from_end(Offset end);
  // Prefix truncation: the epoch covering `start` now starts there; older entries go.
  bool truncate_from_start(Offset start);
  void clear() { entries_.clear(); }

  // Kafka's OffsetsForLeaderEpoch: the largest epoch <= requested and where it ends (the start
  // of the next higher epoch, or `log_end` for the latest epoch).
  EpochEndOffset end_offset_for(LeaderEpoch requested, Offset log_end) const;

 private:
  std::filesystem::path path_;
  std::vector<EpochEntry> entries_;
};

}  // namespace meridian::log::detail
