#include "cluster/log/detail/segment.h"

#include <algorithm>
#include <cstdio>
#include <system_error>

#include "cluster/log/errc.h"
#include "cluster/log/format.h"
#include "cluster/record/format.h"
#include "common/assert.h"
#include "common/log.h"

namespace meridian::log::detail {
namespace rf = record::format;

std::filesystem::path segment_path(const std::filesystem::path& dir, Offset base,
                                   std::string_view suffix) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020lld", static_cast<long long>(base.value));
  return dir / (std::string(name) + std::string(suffix));
}

Segment::Segment(std::filesystem::path dir, Offset base, Options options)
    : dir_(std::move(dir)),
      base_(base),
      options_(options),
      offset_index_(segment_path(dir_, base, format::kIndexSuffix)),
      time_index_(segment_path(dir_, base, format::kTimeIndexSuffix)),
      next_offset_(base),
      offset_of_max_timestamp_(base) {}

Result<std::unique_ptr<Segment>> Segment::create(const std::filesystem::path& dir, Offset base,
                                                 Options options, int64_t now_ms) {
  std::unique_ptr<Segment> seg(new Segment(dir, base, options));
  auto log = File::open(segment_path(dir, base, format::kLogSuffix), File::Mode::kCreateTruncate);
  if (!log) {
    return log.error();
  }
  seg->log_ = std::move(*log);
  seg->roll_base_ms_ = now_ms;
  if (auto r = seg->offset_index_.persist(OffsetIndex::Sync::kNo); !r) {
    return r.error();
  }
  if (auto r = seg->time_index_.persist(TimeIndex::Sync::kNo); !r) {
    return r.error();
  }
  return seg;
}

Result<std::unique_ptr<Segment>> Segment::open(const std::filesystem::path& dir, Offset base,
                                               Options options, LoadMode mode, Offset min_base,
                                               int64_t now_ms, LoadReport& report) {
  std::unique_ptr<Segment> seg(new Segment(dir, base, options));
  auto log = File::open(segment_path(dir, base, format::kLogSuffix), File::Mode::kReadWrite);
  if (!log) {
    return log.error();
  }
  seg->log_ = std::move(*log);
  seg->roll_base_ms_ = now_ms;
  auto size = seg->log_->size();
  if (!size) {
    return size.error();
  }
  seg->size_ = *size;
  seg->writeback_from_ = seg->size_;  // what is on disk already needs no writeback from us
  min_base = std::max(min_base, base);
  if (mode == LoadMode::kRecover) {
    if (auto r = seg->rebuild(min_base, report); !r) {
      return r.error();
    }
    return seg;
  }
  auto off_problem = seg->offset_index_.load(seg->size_, format::kMaxRelativeOffset);
  auto time_problem = seg->time_index_.load(seg->size_, format::kMaxRelativeOffset);
  if (off_problem || time_problem) {
    report.index_problem = off_problem
                               ? seg->offset_index_.path().filename().string() + ": " + *off_problem
                               : seg->time_index_.path().filename().string() + ": " + *time_problem;
    if (auto r = seg->rebuild(min_base, report); !r) {
      return r.error();
    }
    return seg;
  }
  if (auto r = seg->scan_tail(min_base, report); !r) {
    return r.error();
  }
  return seg;
}

void Segment::index_batch(const BatchHeader& header, uint64_t position) {
  if (header.max_timestamp > max_timestamp_) {
    max_timestamp_ = header.max_timestamp;
    offset_of_max_timestamp_ = header.base_offset;
  }
  if (bytes_since_index_ >= options_.index_interval_bytes) {
    offset_index_.append(
        {static_cast<uint32_t>(header.base_offset - base_), static_cast<uint32_t>(position)});
    if (max_timestamp_ >= 0 &&
        (time_index_.empty() || max_timestamp_ > time_index_.back().timestamp)) {
      time_index_.append({max_timestamp_, static_cast<uint32_t>(offset_of_max_timestamp_ - base_)});
    }
    bytes_since_index_ = 0;
  }
  bytes_since_index_ += header.size_bytes();
}

// Full validation from byte 0: the indexes are rebuilt from what survives.
Result<void> Segment::rebuild(Offset min_base, LoadReport& report) {
  offset_index_.clear();
  time_index_.clear();
  max_timestamp_ = -1;
  offset_of_max_timestamp_ = base_;
  bytes_since_index_ = 0;
  report.epochs.clear();
  ScanOptions opts{ScanOptions::Verify::kFull, 0, min_base, base_};
  auto scanned = scan_batches(*log_, size_, opts, [&](const BatchHeader& h, uint64_t pos) {
    index_batch(h, pos);
    if (report.epochs.empty() || report.epochs.back().epoch != h.leader_epoch) {
      report.epochs.push_back({h.leader_epoch, h.base_offset});
    }
  });
  if (!scanned) {
    return scanned.error();
  }
  if (scanned->valid_bytes < size_) {
    report.dropped_bytes += size_ - scanned->valid_bytes;
    report.problem = scanned->problem;
    if (auto r = log_->truncate(scanned->valid_bytes); !r) {
      return r.error();
    }
    size_ = scanned->valid_bytes;
  }
  next_offset_ = scanned->next_offset.value_or(base_);
  if (auto r = offset_index_.persist(OffsetIndex::Sync::kNo); !r) {
    return r.error();
  }
  return time_index_.persist(TimeIndex::Sync::kNo);
}

// Trusted segment: only the batches after the last offset index entry are walked (headers only)
// to find the end offset and the maximum timestamp.
Result<void> Segment::scan_tail(Offset min_base, LoadReport& report) {
  uint64_t start = 0;
  Offset expected = min_base;
  if (!offset_index_.empty()) {
    start = offset_index_.back().position;
    expected = base_ + offset_index_.back().relative_offset;
  }
  if (!time_index_.empty()) {
    max_timestamp_ = time_index_.back().timestamp;
    offset_of_max_timestamp_ = base_ + time_index_.back().relative_offset;
  }
  if (start > 0) {
    auto first = header_at(start);
    if (!first || first->base_offset != expected) {
      report.index_problem =
          offset_index_.path().filename().string() + ": last entry does not point at its batch";
      return rebuild(min_base, report);
    }
  }
  bytes_since_index_ = 0;
  ScanOptions opts{ScanOptions::Verify::kHeaders, start, expected, base_};
  auto scanned = scan_batches(*log_, size_, opts,
                              [this](const BatchHeader& h, uint64_t pos) { index_batch(h, pos); });
  if (!scanned) {
    return scanned.error();
  }
  if (!scanned->problem.empty()) {
    // A trusted segment that does not parse: validate all of it rather than serve garbage.
    report.index_problem = "tail scan failed at " + scanned->problem;
    return rebuild(min_base, report);
  }
  next_offset_ = scanned->next_offset.value_or(base_);
  return {};
}

Result<void> Segment::append(std::span<const uint8_t> batches) {
  if (auto r = log_->pwrite(batches, size_); !r) {
    (void)log_->truncate(size_);
    return r.error();
  }
  size_t pos = 0;
  while (pos < batches.size()) {
    auto header = decode_header(batches.subspan(pos), nullptr);
    MERIDIAN_CHECK(header.has_value());  // validated by the caller
    index_batch(*header, size_ + pos);
    next_offset_ = header->next_offset();
    pos += header->size_bytes();
  }
  writeback_from_ = std::min(writeback_from_, size_);  // a recovery may have cut the file
  size_ += batches.size();
  if (options_.writeback_bytes > 0 && size_ - writeback_from_ >= options_.writeback_bytes) {
    BackgroundSync::instance().start_writeback(log_, writeback_from_, size_ - writeback_from_);
    writeback_from_ = size_;
  }
  return {};
}

Result<BatchHeader> Segment::header_at(uint64_t position) const {
  uint8_t buf[rf::kHeaderSize];
  auto n = log_->pread(buf, position);
  if (!n) {
    return n.error();
  }
  return decode_header(std::span<const uint8_t>(buf, *n), nullptr);
}

namespace {
constexpr size_t kReadWindow = 8192;

// Walks from `position` (a batch start) to the first batch whose last offset >= target.
Result<std::optional<Segment::Located>> walk_to(WindowReader& reader, uint64_t position,
                                                uint64_t size, Offset target) {
  while (position < size) {
    auto bytes = reader.read(position, rf::kHeaderSize);
    if (!bytes) {
      return bytes.error();
    }
    auto header = decode_header(*bytes, nullptr);
    if (!header) {
      return header.error();
    }
    if (header->last_offset() >= target) {
      return Segment::Located{position, *header};
    }
    position += header->size_bytes();
  }
  return std::optional<Segment::Located>();
}
}  // namespace

Result<std::optional<Segment::Located>> Segment::locate(Offset target) const {
  WindowReader reader(*log_, size_, kReadWindow);
  return locate_with(reader, target);
}

Result<std::optional<Segment::Located>> Segment::locate_with(WindowReader& reader,
                                                             Offset target) const {
  if (target >= next_offset_ || size_ == 0) {
    return std::optional<Located>();
  }
  if (target > base_) {
    if (auto idx = lookup_offset(offset_index_, static_cast<uint32_t>(target - base_))) {
      const auto& e = offset_index_.entries()[*idx];
      auto bytes = reader.read(e.position, rf::kHeaderSize);
      if (!bytes) {
        return bytes.error();
      }
      auto header = decode_header(*bytes, nullptr);
      if (header && header->base_offset == base_ + e.relative_offset) {
        return walk_to(reader, e.position, size_, target);
      }
      logger("log")->warn("{}: entry {} does not point at a batch; scanning the segment",
                          offset_index_.path().string(), *idx);
    }
  }
  return walk_to(reader, 0, size_, target);
}

Result<SegmentSlice> Segment::read(Offset from, uint64_t max_bytes, Offset max_offset,
                                   bool include_first) const {
  SegmentSlice slice;
  WindowReader reader(*log_, size_, kReadWindow);
  auto located = locate_with(reader, from);
  if (!located) {
    return located.error();
  }
  if (!*located) {
    slice.position = size_;
    slice.first_offset = slice.next_offset = next_offset_;
    slice.reached_end = true;
    return slice;
  }
  BatchHeader header = (*located)->header;
  slice.position = (*located)->position;
  slice.first_offset = header.base_offset;
  slice.next_offset = header.base_offset;
  while (true) {
    if (header.last_offset() >= max_offset) {
      break;
    }
    if (slice.length + header.size_bytes() > max_bytes && !(slice.length == 0 && include_first)) {
      break;
    }
    slice.length += header.size_bytes();
    slice.next_offset = header.next_offset();
    uint64_t pos = slice.position + slice.length;
    if (pos >= size_) {
      slice.reached_end = true;
      break;
    }
    auto bytes = reader.read(pos, rf::kHeaderSize);
    if (!bytes) {
      return bytes.error();
    }
    auto next = decode_header(*bytes, nullptr);
    if (!next) {
      return next.error();
    }
    header = *next;
  }
  return slice;
}

Result<std::optional<Segment::Located>> Segment::locate_timestamp(int64_t ts,
                                                                  Offset min_offset) const {
  if (max_timestamp_ < ts || size_ == 0) {
    return std::optional<Located>();
  }
  // Batches before a time index entry (T, o) all have timestamps below T, so with T <= ts the
  // answer is at or after o.
  Offset start = base_;
  if (auto idx = lookup_time(time_index_, ts)) {
    start = base_ + time_index_.entries()[*idx].relative_offset;
  }
  WindowReader reader(*log_, size_, kReadWindow);
  auto located = locate_with(reader, std::max(start, min_offset));
  if (!located || !*located) {
    return located;
  }
  uint64_t pos = (*located)->position;
  BatchHeader header = (*located)->header;
  while (header.max_timestamp < ts) {
    pos += header.size_bytes();
    if (pos >= size_) {
      return std::optional<Located>();
    }
    auto bytes = reader.read(pos, rf::kHeaderSize);
    if (!bytes) {
      return bytes.error();
    }
    auto next = decode_header(*bytes, nullptr);
    if (!next) {
      return next.error();
    }
    header = *next;
  }
  return Located{pos, header};
}

Result<void> Segment::truncate_to(Offset target) {
  if (target >= next_offset_) {
    return {};
  }
  // Start one index entry early: that batch ends before the entry at or below target, so it is
  // kept and tells us the new end offset.
  uint64_t start = 0;
  if (target > base_) {
    auto idx = lookup_offset(offset_index_, static_cast<uint32_t>(target - base_));
    if (idx && *idx > 0) {
      start = offset_index_.entries()[*idx - 1].position;
    }
  }
  WindowReader reader(*log_, size_, kReadWindow);
  Offset new_next = base_;
  uint64_t pos = start;
  while (pos < size_) {
    auto bytes = reader.read(pos, rf::kHeaderSize);
    if (!bytes) {
      return bytes.error();
    }
    auto header = decode_header(*bytes, nullptr);
    if (!header) {
      return header.error();
    }
    if (header->last_offset() >= target) {
      break;
    }
    new_next = header->next_offset();
    pos += header->size_bytes();
  }
  if (auto r = log_->truncate(pos); !r) {
    return r.error();
  }
  size_ = pos;
  writeback_from_ = std::min(writeback_from_, size_);
  next_offset_ = new_next;
  size_t keep = 0;
  while (keep < offset_index_.entries().size() && offset_index_.entries()[keep].position < pos) {
    ++keep;
  }
  offset_index_.truncate_entries(keep);
  keep = 0;
  while (keep < time_index_.entries().size() &&
         base_ + time_index_.entries()[keep].relative_offset < new_next) {
    ++keep;
  }
  time_index_.truncate_entries(keep);
  bytes_since_index_ = size_ - (offset_index_.empty() ? 0 : offset_index_.back().position);
  return recompute_max_timestamp();
}

Result<void> Segment::recompute_max_timestamp() {
  max_timestamp_ = -1;
  offset_of_max_timestamp_ = base_;
  uint64_t start = 0;
  if (!time_index_.empty()) {
    max_timestamp_ = time_index_.back().timestamp;
    offset_of_max_timestamp_ = base_ + time_index_.back().relative_offset;
    auto located = locate(offset_of_max_timestamp_);
    if (!located) {
      return located.error();
    }
    start = *located ? (*located)->position : size_;
  }
  ScanOptions opts{ScanOptions::Verify::kHeaders, start, base_, base_};
  auto scanned = scan_batches(*log_, size_, opts, [this](const BatchHeader& h, uint64_t) {
    if (h.max_timestamp > max_timestamp_) {
      max_timestamp_ = h.max_timestamp;
      offset_of_max_timestamp_ = h.base_offset;
    }
  });
  if (!scanned) {
    return scanned.error();
  }
  return {};
}

Result<void> Segment::flush() {
  if (auto r = offset_index_.persist(OffsetIndex::Sync::kNo); !r) {
    return r.error();
  }
  if (auto r = time_index_.persist(TimeIndex::Sync::kNo); !r) {
    return r.error();
  }
  return log_->sync();
}

Result<void> Segment::write_final_indexes(bool sync) {
  if (max_timestamp_ >= 0 &&
      (time_index_.empty() || max_timestamp_ > time_index_.back().timestamp)) {
    time_index_.append({max_timestamp_, static_cast<uint32_t>(offset_of_max_timestamp_ - base_)});
  }
  if (auto r = offset_index_.persist(sync ? OffsetIndex::Sync::kYes : OffsetIndex::Sync::kNo);
      !r) {
    return r.error();
  }
  return time_index_.persist(sync ? TimeIndex::Sync::kYes : TimeIndex::Sync::kNo);
}

Result<void> Segment::seal() {
  if (auto r = write_final_indexes(true); !r) {
    return r.error();
  }
  return log_->sync();
}

Segment::Options segment_options(const LogConfig& config) {
  return {static_cast<uint64_t>(config.index_interval_bytes),
          static_cast<uint64_t>(config.writeback_bytes)};
}

Result<SealJob> Segment::prepare_seal() {
  if (auto r = write_final_indexes(false); !r) {
    return r.error();
  }
  return SealJob{log_,
                 {segment_path(dir_, base_, format::kIndexSuffix),
                  segment_path(dir_, base_, format::kTimeIndexSuffix)},
                 dir_};
}

Result<void> Segment::remove() {
  std::error_code ec;
  for (auto suffix : {format::kLogSuffix, format::kIndexSuffix, format::kTimeIndexSuffix}) {
    std::filesystem::remove(segment_path(dir_, base_, suffix), ec);
    if (ec) {
      return ec;
    }
  }
  return {};
}

}  // namespace meridian::log::detail
