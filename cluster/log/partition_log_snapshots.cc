// PartitionLog: producer-state snapshot files ("<20-digit offset>.snapshot"). The log treats
// them as opaque blobs (their CRC and layout belong to cluster/replication, see
// docs/formats/producer_snapshot.md); it only names, stores and deletes them, so a snapshot never
// outlives the offsets it describes.
#include <algorithm>

#include "cluster/log/detail/file.h"
#include "cluster/log/detail/segment.h"
#include "cluster/log/partition_log.h"
#include "common/log.h"

namespace meridian::log {
namespace fs = std::filesystem;

Result<void> PartitionLog::write_state_snapshot(Offset at, std::span<const uint8_t> bytes) {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  auto path = detail::segment_path(dir_, at, format::kSnapshotSuffix);
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (auto r = detail::write_file_atomic(path, text); !r) {
    return r.error();
  }
  auto it = std::lower_bound(snapshots_.begin(), snapshots_.end(), at);
  if (it == snapshots_.end() || *it != at) {
    snapshots_.insert(it, at);
  }
  // Keep the newest few: an older one only helps after a truncation below the newest.
  if (snapshots_.size() > kMaxStateSnapshots) {
    return prune_state_snapshots(snapshots_[snapshots_.size() - kMaxStateSnapshots],
                                 Offset(INT64_MAX));
  }
  return {};
}

// A failed snapshot write does not fail the append that rolled: the next maintenance pass (or a
// log replay at open) covers it.
void PartitionLog::snapshot_at_roll(Offset base) {
  if (!roll_snapshot_) {
    return;
  }
  auto bytes = roll_snapshot_(base);
  if (!bytes) {
    return;
  }
  if (auto r = write_state_snapshot(base, *bytes); !r) {
    logger("log")->warn("{}: writing the producer snapshot at the roll to {} failed: {}",
                        dir_.filename().string(), base.value, r.error().message());
  }
}

Result<std::vector<uint8_t>> PartitionLog::read_state_snapshot(Offset at) const {
  auto text = detail::read_small_file(detail::segment_path(dir_, at, format::kSnapshotSuffix));
  if (!text) {
    return text.error();
  }
  return std::vector<uint8_t>(text->begin(), text->end());
}

Result<void> PartitionLog::prune_state_snapshots(Offset from, Offset to) {
  std::error_code first_error;
  std::vector<Offset> kept;
  for (Offset at : snapshots_) {
    if (at >= from && at <= to) {
      kept.push_back(at);
      continue;
    }
    std::error_code ec;
    fs::remove(detail::segment_path(dir_, at, format::kSnapshotSuffix), ec);
    if (ec && !first_error) {
      first_error = ec;
    }
  }
  snapshots_ = std::move(kept);
  if (first_error) {
    logger("log")->warn("{}: deleting a producer snapshot failed: {}", dir_.filename().string(),
                        first_error.message());
    return first_error;
  }
  return {};
}

}  // namespace meridian::log
