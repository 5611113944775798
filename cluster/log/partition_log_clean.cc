// PartitionLog: log compaction (cleanup.policy=compact), Kafka's LogCleaner reduced to one pass
// per call on the log's own strand.
//
// A pass: (1) the closed segments at or after the cleaner checkpoint are "dirty"; when
// dirty / (clean + dirty) >= min.cleanable.dirty.ratio, (2) an OffsetMap of key -> newest offset
// is built over the dirty segments (at most kMaxDirtyBytesPerPass), (3) every closed segment
// below the mapped end is filtered against it (detail/cleaner.h) and, when something went,
// swapped in, (4) the checkpoint moves to the mapped end. The active segment is never read, nor
// a segment reaching the caller's bound (the high watermark): records a follower may still
// truncate, or a consumer has not been allowed to see, are not compacted (Kafka's
// firstUncleanableOffset).
//
// Crash safety of a swap: write "<base>.log.cleaned" and fsync it; unlink the segment's indexes;
// rename the .cleaned file over the .log (atomic); fsync the directory. A crash before the
// rename leaves the old .log (open() deletes the .cleaned file and rebuilds missing indexes), a
// crash after it leaves the new one; either is a whole, readable segment.
#include <algorithm>

#include "cluster/log/detail/checkpoint.h"
#include "cluster/log/detail/cleaner.h"
#include "cluster/log/detail/file.h"
#include "cluster/log/detail/segment.h"
#include "cluster/log/partition_log.h"
#include "cluster/record/batch_view.h"
#include "common/byte_order.h"
#include "common/log.h"

namespace meridian::log {
namespace fs = std::filesystem;

namespace {

// Bounds the memory and the strand time of one pass; the rest is cleaned by the next ones.
constexpr uint64_t kMaxDirtyBytesPerPass = 256ull << 20;
constexpr size_t kReadChunkBytes = 4u << 20;

// Calls on_batch(bytes) for each whole batch of `seg`, reading in chunks.
template <class F>
Result<void> for_each_batch(const detail::Segment& seg, F&& on_batch) {
  std::vector<uint8_t> buffer;
  uint64_t pos = 0;
  size_t want = kReadChunkBytes;
  while (pos < seg.size_bytes()) {
    buffer.resize(std::min<uint64_t>(want, seg.size_bytes() - pos));
    auto n = seg.file()->pread(buffer, pos);
    if (!n) {
      return n.error();
    }
    std::span<const uint8_t> rest(buffer.data(), *n);
    size_t used = 0;
    while (!rest.empty()) {
      auto batch = record::BatchView::parse(rest);
      if (!batch) {
        break;  // cut by the chunk (the segment itself was validated at open or append)
      }
      if (auto r = on_batch(batch->bytes()); !r) {
        return r.error();
      }
      used += batch->size_bytes();
      rest = rest.subspan(batch->size_bytes());
    }
    if (used == 0) {
      // A batch larger than the chunk: read it whole.
      if (*n < record::format::kHeaderSize) {
        return make_error_code(errc::invalid_batch);
      }
      int64_t size = static_cast<int64_t>(load_be<int32_t>(
                         buffer.data() + record::format::kBatchLengthPos)) +
                     static_cast<int64_t>(record::format::kLogOverhead);
      if (size <= static_cast<int64_t>(*n) || size > record::format::kMaxBatchSize + 12LL) {
        return make_error_code(errc::invalid_batch);
      }
      want = static_cast<size_t>(size);
      continue;
    }
    pos += used;
    want = kReadChunkBytes;
  }
  return {};
}

}  // namespace

void PartitionLog::load_cleaner_checkpoint() {
  cleaned_to_ = log_start_;
  if (auto rows = detail::read_checkpoint(dir_ / format::kCleanerCheckpoint, 1);
      rows && !rows->empty()) {
    cleaned_to_ = std::clamp(Offset((*rows)[0][0]), log_start_, log_end_offset());
  }
}

Result<CleanResult> PartitionLog::clean_if_due(std::optional<int64_t> now_ms,
                                               std::optional<Offset> max_offset) {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  CleanResult result;
  result.cleaned_to = cleaned_to_;
  if (!config_.cleanup_compact || segments_.size() < 2) {
    return result;
  }
  // The first uncleanable offset: the active segment's base, or the bound if lower.
  const Offset limit = std::min(active().base_offset(), max_offset.value_or(Offset(INT64_MAX)));
  auto cleanable = [&](const detail::Segment& seg) { return seg.next_offset() <= limit; };
  uint64_t clean_bytes = 0;
  uint64_t dirty_bytes = 0;
  for (auto it = segments_.begin(); it != std::prev(segments_.end()); ++it) {
    if (it->second->next_offset() <= cleaned_to_) {
      clean_bytes += it->second->size_bytes();
    } else if (cleanable(*it->second)) {
      dirty_bytes += it->second->size_bytes();
    }
  }
  double ratio = static_cast<double>(dirty_bytes) /
                 static_cast<double>(std::max<uint64_t>(1, clean_bytes + dirty_bytes));
  if (dirty_bytes == 0 || ratio < config_.min_cleanable_dirty_ratio) {
    return result;
  }
  detail::OffsetMap latest;
  uint64_t mapped = 0;
  Offset end = cleaned_to_;
  for (auto it = segments_.begin(); it != std::prev(segments_.end()); ++it) {
    const auto& seg = *it->second;
    if (seg.next_offset() <= cleaned_to_) {
      continue;
    }
    if (!cleanable(seg)) {
      break;  // at or above the high watermark: later passes map it
    }
    if (mapped > 0 && mapped + seg.size_bytes() > kMaxDirtyBytesPerPass) {
      break;
    }
    auto added = for_each_batch(seg, [&](std::span<const uint8_t> b) {
      return latest.add_batches(b);
    });
    if (!added) {
      return added.error();
    }
    mapped += seg.size_bytes();
    end = std::next(it)->second->base_offset();
  }
  int64_t horizon = now_ms.value_or(clock_()) - config_.delete_retention_ms;
  std::vector<int64_t> bases;
  for (const auto& [base, seg] : segments_) {
    if (base < end.value && seg.get() != &active()) {
      bases.push_back(base);
    }
  }
  for (int64_t base : bases) {
    if (auto r = clean_segment(base, latest, horizon, result); !r) {
      return r.error();
    }
  }
  cleaned_to_ = end;
  result.cleaned_to = end;
  if (auto r = detail::write_checkpoint(dir_ / format::kCleanerCheckpoint, {{end.value}}); !r) {
    return r.error();
  }
  logger("log")->info("{}: compacted {} segment(s) below offset {}: {} -> {} bytes, {} record(s) "
                      "removed, {} key(s)",
                      dir_.filename().string(), result.segments_cleaned, end.value,
                      result.bytes_before, result.bytes_after, result.records_removed,
                      latest.size());
  return result;
}

// Filters one closed segment and swaps the result in (see the top of the file).
Result<void> PartitionLog::clean_segment(int64_t base, const detail::OffsetMap& latest,
                                         int64_t horizon_ms, CleanResult& result) {
  auto it = segments_.find(base);
  const detail::Segment& seg = *it->second;
  fs::path cleaned = detail::segment_path(dir_, Offset(base), format::kLogSuffix);
  cleaned += format::kCleanedSuffix;
  auto out = detail::File::open(cleaned, detail::File::Mode::kCreateTruncate);
  if (!out) {
    return out.error();
  }
  uint64_t written = 0;
  uint64_t removed = 0;
  auto filtered = for_each_batch(seg, [&](std::span<const uint8_t> b) -> Result<void> {
    auto f = detail::filter_batch(b, latest, horizon_ms);
    if (!f) {
      return f.error();
    }
    removed += f->records_removed;
    if (f->action == detail::FilteredBatch::Action::kDrop) {
      return {};
    }
    auto bytes = f->action == detail::FilteredBatch::Action::kKeep ? b : f->bytes;
    if (auto r = (*out)->pwrite(bytes, written); !r) {
      return r.error();
    }
    written += bytes.size();
    return {};
  });
  std::error_code ec;
  if (!filtered || removed == 0) {
    out->reset();
    fs::remove(cleaned, ec);
    return filtered;
  }
  ++result.segments_cleaned;
  result.records_removed += removed;
  result.bytes_before += seg.size_bytes();
  result.bytes_after += written;
  if (written == 0) {
    out->reset();
    fs::remove(cleaned, ec);
    return delete_segment(it);  // nothing left: readers skip to the next segment
  }
  if (auto r = (*out)->sync(); !r) {
    return r.error();
  }
  out->reset();
  for (auto suffix : {format::kIndexSuffix, format::kTimeIndexSuffix}) {
    fs::remove(detail::segment_path(dir_, Offset(base), suffix), ec);
  }
  fs::path target = detail::segment_path(dir_, Offset(base), format::kLogSuffix);
  if (::rename(cleaned.c_str(), target.c_str()) != 0) {
    return detail::last_errno();
  }
  if (auto r = detail::fsync_dir(dir_); !r) {
    return r.error();
  }
  detail::Segment::LoadReport report;
  auto fresh =
      detail::Segment::open(dir_, Offset(base), detail::segment_options(config_),
                            detail::Segment::LoadMode::kRecover, Offset(base), clock_(), report);
  if (!fresh) {
    return fresh.error();
  }
  if (auto r = (*fresh)->seal(); !r) {
    return r.error();
  }
  it->second = std::move(*fresh);
  return {};
}

}  // namespace meridian::log
