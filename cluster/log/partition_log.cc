#include "cluster/log/partition_log.h"

#include <chrono>

#include "cluster/log/detail/background_sync.h"
#include "cluster/log/detail/checkpoint.h"
#include "cluster/log/detail/file.h"
#include "cluster/log/detail/leader_epoch_cache.h"
#include "cluster/log/detail/segment.h"
#include "cluster/record/batch_view.h"
#include "common/log.h"

namespace meridian::log {

Result<void> LogConfig::validate() const {
  bool ok = segment_bytes >= 128 && segment_bytes <= format::kMaxSegmentBytes && segment_ms >= 1 &&
            retention_ms >= -1 && retention_bytes >= -1 && flush_messages >= 1 && flush_ms >= 0 &&
            index_interval_bytes >= 0 && recovery_checkpoint_interval_ms >= 0 &&
            delete_retention_ms >= 0 && min_cleanable_dirty_ratio >= 0.0 && writeback_bytes >= 0 &&
            min_cleanable_dirty_ratio <= 1.0;
  if (!ok) {
    return make_error_code(errc::invalid_config);
  }
  return {};
}

Clock system_clock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

int FileSlice::fd() const noexcept { return file ? file->fd() : -1; }

Result<void> ReadResult::copy_to(std::span<uint8_t> out) const {
  if (out.size() < total_bytes) {
    return make_error_code(errc::buffer_too_small);
  }
  size_t at = 0;
  for (const auto& s : slices) {
    auto n = s.file->pread(out.subspan(at, s.length), s.position);
    if (!n) {
      return n.error();
    }
    if (*n != s.length) {
      return std::make_error_code(std::errc::io_error);  // file shrank under the slice
    }
    at += s.length;
  }
  return {};
}

Result<std::vector<uint8_t>> ReadResult::to_bytes() const {
  std::vector<uint8_t> out(total_bytes);
  if (auto r = copy_to(out); !r) {
    return r.error();
  }
  return out;
}

std::filesystem::path partition_dir(const std::filesystem::path& root, std::string_view topic,
                                    PartitionId partition) {
  return root / (std::string(topic) + "-" + std::to_string(partition.value));
}

PartitionLog::PartitionLog(std::filesystem::path dir, LogConfig config, Clock clock)
    : dir_(std::move(dir)), config_(config), clock_(std::move(clock)) {
  epochs_ = std::make_unique<detail::LeaderEpochCache>(dir_ / format::kLeaderEpochCheckpoint);
}

PartitionLog::~PartitionLog() {
  if (!closed_) {
    if (auto r = close(); !r) {
      logger("log")->error("{}: close failed: {}", dir_.string(), r.error().message());
    }
  }
}

detail::Segment& PartitionLog::active() const { return *segments_.rbegin()->second; }

Offset PartitionLog::log_end_offset() const noexcept {
  return segments_.empty() ? log_start_ : active().next_offset();
}

uint64_t PartitionLog::size_bytes() const noexcept {
  uint64_t total = 0;
  for (const auto& [base, seg] : segments_) {
    total += seg->size_bytes();
  }
  return total;
}

std::vector<Offset> PartitionLog::segment_base_offsets() const {
  std::vector<Offset> out;
  for (const auto& [base, seg] : segments_) {
    out.emplace_back(base);
  }
  return out;
}

Result<void> PartitionLog::check_open() const {
  if (closed_) {
    return make_error_code(errc::closed);
  }
  return {};
}

namespace {
// Result<bool> cannot be built from an error_code implicitly (bool is constructible from it).
Result<bool> fail_bool(std::error_code ec) { return {boost::system::in_place_error, ec}; }

// Parses and CRC-checks one batch at the front of `bytes`.
Result<record::BatchView> validate_batch(std::span<const uint8_t> bytes) {
  auto view = record::BatchView::parse(bytes);
  if (!view || view->last_offset_delta() < 0) {
    return make_error_code(errc::invalid_batch);
  }
  if (!view->crc_valid()) {
    return make_error_code(errc::crc_mismatch);
  }
  return view;
}
}  // namespace

Result<AppendInfo> PartitionLog::append(std::span<uint8_t> batches, LeaderEpoch epoch) {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  if (batches.empty()) {
    return make_error_code(errc::invalid_batch);
  }
  if (auto latest = epochs_->latest_epoch(); latest && epoch < *latest) {
    return make_error_code(errc::epoch_regression);
  }
  // Validate everything before touching any header, so a rejected append leaves `batches` as is.
  for (size_t pos = 0; pos < batches.size();) {
    auto view = validate_batch(batches.subspan(pos));
    if (!view) {
      return view.error();
    }
    pos += view->size_bytes();
  }
  AppendInfo info;
  Offset next = log_end_offset();
  info.first_offset = next;
  for (size_t pos = 0; pos < batches.size();) {
    auto batch = batches.subspan(pos);
    auto view = record::BatchView::parse(batch);
    record::set_base_offset(batch, next);
    record::set_leader_epoch(batch, epoch);
    next = next + view->last_offset_delta() + 1;
    info.max_timestamp = std::max(info.max_timestamp, view->max_timestamp());
    ++info.batches;
    pos += view->size_bytes();
  }
  info.last_offset = next - 1;
  info.bytes = batches.size();
  auto appended = append_validated(batches, info);
  if (!appended) {
    return appended;
  }
  if (auto r = persist_epochs_if(epochs_->assign(epoch, info.first_offset)); !r) {
    return r.error();
  }
  return appended;
}

Result<AppendInfo> PartitionLog::append_with_offsets(std::span<const uint8_t> batches) {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  if (batches.empty()) {
    return make_error_code(errc::invalid_batch);
  }
  AppendInfo info;
  Offset next = log_end_offset();
  std::optional<LeaderEpoch> latest = epochs_->latest_epoch();
  for (size_t pos = 0; pos < batches.size();) {
    auto view = validate_batch(batches.subspan(pos));
    if (!view) {
      return view.error();
    }
    if (view->base_offset() < next) {
      return make_error_code(errc::non_monotonic_offset);
    }
    if (view->leader_epoch().value >= 0) {
      if (latest && view->leader_epoch() < *latest) {
        return make_error_code(errc::epoch_regression);
      }
      latest = view->leader_epoch();
    }
    if (info.batches == 0) {
      info.first_offset = view->base_offset();
    }
    next = view->next_offset();
    info.max_timestamp = std::max(info.max_timestamp, view->max_timestamp());
    ++info.batches;
    pos += view->size_bytes();
  }
  info.last_offset = next - 1;
  info.bytes = batches.size();
  auto appended = append_validated(batches, info);
  if (!appended) {
    return appended;
  }
  bool changed = false;
  for (size_t pos = 0; pos < batches.size();) {
    auto header = detail::decode_header(batches.subspan(pos), nullptr);
    changed |= epochs_->assign(header->leader_epoch, header->base_offset);
    pos += header->size_bytes();
  }
  if (auto r = persist_epochs_if(changed); !r) {
    return r.error();
  }
  return appended;
}

Result<AppendInfo> PartitionLog::append_validated(std::span<const uint8_t> batches,
                                                  AppendInfo info) {
  if (batches.size() > static_cast<size_t>(format::kMaxSegmentBytes)) {
    return make_error_code(errc::batch_too_large);
  }
  if (auto r = reap_seals(); !r) {
    return r.error();
  }
  auto rolled = maybe_roll(batches.size(), info.first_offset, info.last_offset);
  if (!rolled) {
    return rolled.error();
  }
  info.rolled = *rolled;
  if (auto r = active().append(batches); !r) {
    return r.error();
  }
  if (log_end_offset() - recovery_point_ >= config_.flush_messages) {
    if (auto r = flush(); !r) {
      return r.error();
    }
  } else if (auto r = flush_if_due(); !r) {
    return r.error();
  }
  return info;
}

Result<bool> PartitionLog::maybe_roll(uint64_t incoming, Offset first_base, Offset last_offset) {
  auto& seg = active();
  bool overflow = last_offset - seg.base_offset() > format::kMaxRelativeOffset;
  bool full =
      !seg.empty() && seg.size_bytes() + incoming > static_cast<uint64_t>(config_.segment_bytes);
  bool old = !seg.empty() && clock_() - seg.roll_base_ms() >= config_.segment_ms;
  if (!overflow && !full && !old) {
    return false;
  }
  if (seg.empty()) {
    // Only an offset jump gets here: replace the empty segment by one at the new base.
    auto it = std::prev(segments_.end());
    if (auto r = delete_segment(it); !r) {
      return fail_bool(r.error());
    }
    auto created =
        detail::Segment::create(dir_, first_base, detail::segment_options(config_), clock_());
    if (!created) {
      return fail_bool(created.error());
    }
    segments_.emplace(first_base.value, std::move(*created));
    return true;
  }
  if (auto r = roll(first_base); !r) {
    return fail_bool(r.error());
  }
  return true;
}

// Starts a new segment. The old one is sealed (its indexes written here; its files and the
// directory synced on the background sync thread), so appends to the new segment never wait
// for the fdatasync of up to segment.bytes of dirty pages, which used to block the partition's
// strand for up to seconds. Until reap_seals() sees that sync finished, the recovery point
// stays where it was: nothing is claimed durable before it is (DESIGN.md §2, fsync on roll).
Result<void> PartitionLog::roll(Offset new_base) {
  Offset end = log_end_offset();
  auto job = active().prepare_seal();
  if (!job) {
    return job.error();
  }
  auto created =
      detail::Segment::create(dir_, new_base, detail::segment_options(config_), clock_());
  if (!created) {
    return created.error();
  }
  segments_.emplace(new_base.value, std::move(*created));
  pending_seals_.push_back({end, detail::BackgroundSync::instance().seal(std::move(*job))});
  logger("log")->info("{}: rolled segment at offset {}", dir_.filename().string(), new_base.value);
  snapshot_at_roll(new_base);
  return {};
}

Result<void> PartitionLog::reap_seals() {
  bool advanced = false;
  while (!pending_seals_.empty() &&
         pending_seals_.front().ticket->done.load(std::memory_order_acquire)) {
    PendingSeal seal = std::move(pending_seals_.front());
    pending_seals_.pop_front();
    if (seal.ticket->error) {
      // Later seals must not move the recovery point past this unsynced segment; a flush()
      // syncs everything from the recovery point on again.
      pending_seals_.clear();
      logger("log")->error("{}: syncing the segment rolled at offset {} failed: {}",
                           dir_.filename().string(), seal.end.value, seal.ticket->error.message());
      return seal.ticket->error;
    }
    if (seal.end > recovery_point_) {
      recovery_point_ = seal.end;
      advanced = true;
    }
  }
  if (advanced) {
    last_flush_ms_ = clock_();
    return write_recovery_point();
  }
  return {};
}

void PartitionLog::drop_seals_beyond(Offset end) {
  while (!pending_seals_.empty() && pending_seals_.back().end > end) {
    pending_seals_.pop_back();
  }
}

Result<void> PartitionLog::delete_segment(
    std::map<int64_t, std::unique_ptr<detail::Segment>>::iterator it) {
  auto r = it->second->remove();
  segments_.erase(it);
  return r;
}

Result<void> PartitionLog::write_recovery_point() {
  last_checkpoint_ms_ = clock_();
  return detail::write_checkpoint(dir_ / format::kRecoveryPointCheckpoint,
                                  {{recovery_point_.value}});
}

Result<void> PartitionLog::write_log_start() {
  return detail::write_checkpoint(dir_ / format::kLogStartOffsetCheckpoint, {{log_start_.value}});
}

Result<void> PartitionLog::persist_epochs_if(bool changed) {
  if (!changed) {
    return {};
  }
  return epochs_->persist();
}

Result<Offset> PartitionLog::flush() {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  Offset end = log_end_offset();
  // Segments before the one holding the recovery point were synced when they were sealed.
  auto it = segments_.upper_bound(recovery_point_.value);
  if (it != segments_.begin()) {
    --it;
  }
  for (; it != segments_.end(); ++it) {
    if (auto r = it->second->flush(); !r) {
      return r.error();
    }
  }
  recovery_point_ = end;
  int64_t now = clock_();
  last_flush_ms_ = now;
  if (now - last_checkpoint_ms_ >= config_.recovery_checkpoint_interval_ms) {
    if (auto r = write_recovery_point(); !r) {
      return r.error();
    }
  }
  return end;
}

Result<void> PartitionLog::flush_if_due() {
  if (auto r = reap_seals(); !r) {
    return r.error();
  }
  if (recovery_point_ < log_end_offset() && clock_() - last_flush_ms_ >= config_.flush_ms) {
    if (auto r = flush(); !r) {
      return r.error();
    }
  }
  return {};
}

Result<bool> PartitionLog::roll_if_due() {
  if (auto r = check_open(); !r) {
    return fail_bool(r.error());
  }
  if (auto r = reap_seals(); !r) {
    return fail_bool(r.error());
  }
  if (active().empty() || clock_() - active().roll_base_ms() < config_.segment_ms) {
    return false;
  }
  if (auto r = roll(log_end_offset()); !r) {
    return fail_bool(r.error());
  }
  return true;
}

Result<void> PartitionLog::close() {
  if (closed_) {
    return {};
  }
  auto flushed = flush();
  if (!flushed) {
    return flushed.error();
  }
  if (auto r = active().seal(); !r) {
    return r.error();
  }
  if (auto r = write_recovery_point(); !r) {
    return r.error();
  }
  if (auto r = write_log_start(); !r) {
    return r.error();
  }
  if (auto r = detail::write_file_atomic(dir_ / format::kCleanShutdownMarker, ""); !r) {
    return r.error();
  }
  closed_ = true;
  return {};
}

void PartitionLog::simulate_crash_for_test() { closed_ = true; }

}  // namespace meridian::log
