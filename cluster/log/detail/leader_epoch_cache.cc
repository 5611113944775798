#include "cluster/log/detail/leader_epoch_cache.h"

#include <algorithm>

#include "cluster/log/detail/checkpoint.h"
#include "cluster/log/errc.h"

namespace meridian::log::detail {

Result<void> LeaderEpochCache::load() {
  entries_.clear();
  auto rows = read_checkpoint(path_, 2);
  if (!rows) {
    if (rows.error() == std::errc::no_such_file_or_directory) {
      return {};
    }
    return rows.error();
  }
  for (const auto& row : *rows) {
    EpochEntry e{LeaderEpoch(static_cast<int32_t>(row[0])), Offset(row[1])};
    if (row[0] < 0 || row[0] > INT32_MAX || row[1] < 0 ||
        (!entries_.empty() &&
         (e.epoch <= entries_.back().epoch || e.start_offset < entries_.back().start_offset))) {
      entries_.clear();
      return make_error_code(errc::corrupt_checkpoint);
    }
    entries_.push_back(e);
  }
  return {};
}

Result<void> LeaderEpochCache::persist() const {
  CheckpointRows rows;
  rows.reserve(entries_.size());
  for (const auto& e : entries_) {
    rows.push_back({e.epoch.value, e.start_offset.value});
  }
  return write_checkpoint(path_, rows);
}

std::optional<LeaderEpoch> LeaderEpochCache::latest_epoch() const noexcept {
  if (entries_.empty()) {
    return std::nullopt;
  }
  return entries_.back().epoch;
}

bool LeaderEpochCache::assign(LeaderEpoch epoch, Offset start) {
  if (epoch.value < 0 || (!entries_.empty() && epoch <= entries_.back().epoch)) {
    return false;
  }
  // A newer epoch starting before existing entries replaces them (they were never committed).
  while (!entries_.empty() && entries_.back().start_offset >= start) {
    entries_.pop_back();
  }
  entries_.push_back({epoch, start});
  return true;
}

bool LeaderEpochCache::truncate_from_end(Offset end) {
  size_t before = entries_.size();
  while (!entries_.empty() && entries_.back().start_offset >= end) {
    entries_.pop_back();
  }
  return entries_.size() != before;
}

bool LeaderEpochCache::truncate_from_start(Offset start) {
  // Index of the last entry starting at or before `start`: it covers `start`.
  size_t covering = 0;
  bool found = false;
  for (size_t i = 0; i < entries_.size() && entries_[i].start_offset <= start; ++i) {
    covering = i;
    found = true;
  }
  if (!found || (covering == 0 && entries_[0].start_offset == start)) {
    return false;
  }
  entries_[covering].start_offset = start;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(covering));
  return true;
}

EpochEndOffset LeaderEpochCache::end_offset_for(LeaderEpoch requested, Offset log_end) const {
  if (requested.value < 0 || entries_.empty()) {
    return {};
  }
  if (requested == entries_.back().epoch) {
    return {requested, log_end};
  }
  auto higher = std::upper_bound(entries_.begin(), entries_.end(), requested,
                                 [](LeaderEpoch r, const EpochEntry& e) { return r < e.epoch; });
  if (higher == entries_.end()) {
    return {};  // newer than anything this log has seen
  }
  if (higher == entries_.begin()) {
    return {requested, higher->start_offset};  // older than the oldest epoch we know
  }
  return {std::prev(higher)->epoch, higher->start_offset};
}

}  // namespace meridian::log::detail
