// PartitionLog: truncation (suffix and prefix) and retention.
#include "cluster/log/partition_log.h"

#include <sys/stat.h>

#include "cluster/log/detail/file.h"
#include "cluster/log/detail/leader_epoch_cache.h"
#include "cluster/log/detail/segment.h"
#include "common/log.h"

namespace meridian::log {

Result<void> PartitionLog::truncate_to(Offset end) {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  if (end >= log_end_offset()) {
    return {};
  }
  if (end < log_start_ || segments_.begin()->first >= end.value) {
    return truncate_fully_and_start_at(end);
  }
  while (std::prev(segments_.end())->first >= end.value) {
    if (auto r = delete_segment(std::prev(segments_.end())); !r) {
      return r.error();
    }
  }
  if (auto r = active().truncate_to(end); !r) {
    return r.error();
  }
  Offset new_end = log_end_offset();
  drop_seals_beyond(new_end);  // their syncs no longer cover what the log holds there
  logger("log")->info("{}: truncated to offset {} (log end {})", dir_.filename().string(),
                      end.value, new_end.value);
  if (auto r = persist_epochs_if(epochs_->truncate_from_end(new_end)); !r) {
    return r.error();
  }
  if (auto r = prune_state_snapshots(log_start_, new_end); !r) {
    return r.error();
  }
  cleaned_to_ = std::min(cleaned_to_, new_end);
  // The checkpoint must not claim that bytes appended after this point were flushed.
  if (recovery_point_ > new_end) {
    recovery_point_ = new_end;
    if (auto r = write_recovery_point(); !r) {
      return r.error();
    }
  }
  return {};
}

Result<void> PartitionLog::truncate_fully_and_start_at(Offset start) {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  if (start.value < 0) {
    return make_error_code(errc::offset_out_of_range);
  }
  while (!segments_.empty()) {
    if (auto r = delete_segment(segments_.begin()); !r) {
      return r.error();
    }
  }
  auto created = detail::Segment::create(dir_, start, detail::segment_options(config_), clock_());
  if (!created) {
    return created.error();
  }
  segments_.emplace(start.value, std::move(*created));
  if (auto r = detail::fsync_dir(dir_); !r) {
    return r.error();
  }
  logger("log")->info("{}: truncated fully, restarting at offset {}", dir_.filename().string(),
                      start.value);
  log_start_ = start;
  recovery_point_ = start;
  pending_seals_.clear();
  cleaned_to_ = start;
  if (auto r = prune_state_snapshots(Offset(INT64_MAX), Offset(INT64_MAX)); !r) {
    return r.error();
  }
  epochs_->clear();
  if (auto r = epochs_->persist(); !r) {
    return r.error();
  }
  if (auto r = write_log_start(); !r) {
    return r.error();
  }
  return write_recovery_point();
}

Result<void> PartitionLog::advance_log_start(Offset start) {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  if (start > log_end_offset()) {
    return make_error_code(errc::offset_out_of_range);
  }
  if (start <= log_start_) {
    return {};
  }
  log_start_ = start;
  // A segment goes when the next one starts at or below the new log start.
  while (segments_.size() > 1 && std::next(segments_.begin())->first <= start.value) {
    if (auto r = delete_segment(segments_.begin()); !r) {
      return r.error();
    }
  }
  if (auto r = persist_epochs_if(epochs_->truncate_from_start(start)); !r) {
    return r.error();
  }
  if (auto r = prune_state_snapshots(log_start_, Offset(INT64_MAX)); !r) {
    return r.error();
  }
  return write_log_start();
}

namespace {
int64_t mtime_ms(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return -1;
  }
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}
}  // namespace

Result<RetentionResult> PartitionLog::enforce_retention() {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  RetentionResult result;
  if (!config_.cleanup_delete) {
    return result;  // cleanup.policy=compact alone: the cleaner, not retention, bounds the log
  }
  int64_t now = clock_();
  uint64_t total = size_bytes();
  while (segments_.size() > 1) {
    const auto& seg = *segments_.begin()->second;
    int64_t newest = seg.max_timestamp() >= 0 ? seg.max_timestamp() : mtime_ms(seg.file()->path());
    bool by_time = config_.retention_ms >= 0 && now - newest > config_.retention_ms;
    bool by_size = config_.retention_bytes >= 0 &&
                   total - seg.size_bytes() >= static_cast<uint64_t>(config_.retention_bytes);
    if (!by_time && !by_size) {
      break;
    }
    total -= seg.size_bytes();
    result.bytes_deleted += seg.size_bytes();
    ++result.segments_deleted;
    if (auto r = delete_segment(segments_.begin()); !r) {
      return r.error();
    }
  }
  if (result.segments_deleted == 0) {
    return result;
  }
  logger("log")->info("{}: retention deleted {} segment(s), {} bytes", dir_.filename().string(),
                      result.segments_deleted, result.bytes_deleted);
  Offset first_base(segments_.begin()->first);
  if (first_base > log_start_) {
    log_start_ = first_base;
    if (auto r = persist_epochs_if(epochs_->truncate_from_start(first_base)); !r) {
      return r.error();
    }
    if (auto r = write_log_start(); !r) {
      return r.error();
    }
    if (auto r = prune_state_snapshots(log_start_, Offset(INT64_MAX)); !r) {
      return r.error();
    }
  }
  return result;
}

}  // namespace meridian::log
