// PartitionLog: reads, ListOffsets by timestamp and OffsetsForLeaderEpoch.
#include "cluster/log/partition_log.h"

#include <algorithm>

#include "cluster/log/detail/leader_epoch_cache.h"
#include "cluster/log/detail/segment.h"
#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"

namespace meridian::log {
namespace rf = record::format;

Result<ReadResult> PartitionLog::read(Offset from, uint64_t max_bytes, Offset max_offset,
                                      FirstBatch first) const {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  Offset end = log_end_offset();
  if (from < log_start_ || from > end) {
    return make_error_code(errc::offset_out_of_range);
  }
  ReadResult result;
  result.next_offset = from;
  result.log_start_offset = log_start_;
  result.log_end_offset = end;
  auto it = segments_.upper_bound(from.value);
  if (it != segments_.begin()) {
    --it;
  }
  uint64_t remaining = max_bytes;
  for (; it != segments_.end() && from < end; ++it) {
    bool include_first = first == FirstBatch::kAlwaysInclude && result.slices.empty();
    auto slice = it->second->read(from, remaining, max_offset, include_first);
    if (!slice) {
      return slice.error();
    }
    if (slice->length > 0) {
      result.slices.push_back({it->second->file(), slice->position, slice->length,
                               slice->first_offset, slice->next_offset});
      result.total_bytes += slice->length;
      result.next_offset = slice->next_offset;
      remaining = slice->length >= remaining ? 0 : remaining - slice->length;
    }
    if (!slice->reached_end || remaining == 0) {
      break;
    }
  }
  return result;
}

// Reads the bytes first and finds batch boundaries in the buffer: one pread per segment touched,
// no header-by-header syscalls (this is the path that must run near memcpy speed).
Result<size_t> PartitionLog::read_into(Offset from, std::span<uint8_t> out,
                                       Offset max_offset) const {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  if (from < log_start_ || from > log_end_offset()) {
    return make_error_code(errc::offset_out_of_range);
  }
  auto it = segments_.upper_bound(from.value);
  if (it != segments_.begin()) {
    --it;
  }
  size_t written = 0;
  for (; it != segments_.end(); ++it) {
    const auto& seg = *it->second;
    auto located = seg.locate(from);
    if (!located) {
      return located.error();
    }
    if (!*located) {
      continue;
    }
    uint64_t pos = (*located)->position;
    auto room = out.subspan(written);
    size_t want = static_cast<size_t>(std::min<uint64_t>(room.size(), seg.size_bytes() - pos));
    auto n = seg.file()->pread(room.first(want), pos);
    if (!n) {
      return n.error();
    }
    size_t used = 0;
    bool stopped = false;
    while (used + rf::kHeaderSize <= *n) {
      auto header = detail::decode_header(room.subspan(used, *n - used), nullptr);
      if (!header) {
        return header.error();
      }
      if (header->last_offset() >= max_offset) {
        stopped = true;
        break;
      }
      if (used + header->size_bytes() > *n) {
        if (written + used == 0 && header->size_bytes() > out.size()) {
          return make_error_code(errc::buffer_too_small);
        }
        stopped = true;
        break;
      }
      used += header->size_bytes();
      from = header->next_offset();
    }
    if (written + used == 0 && *n < rf::kHeaderSize && *n < seg.size_bytes() - pos) {
      return make_error_code(errc::buffer_too_small);
    }
    written += used;
    if (stopped || pos + used < seg.size_bytes() || written == out.size()) {
      break;
    }
  }
  return written;
}

namespace {
// The first record of `batch` at or after `min_offset` with timestamp >= ts.
std::optional<TimestampOffset> record_at_timestamp(const record::BatchView& batch, int64_t ts,
                                                   Offset min_offset) {
  if (batch.timestamp_type() == record::TimestampType::kLogAppendTime) {
    return TimestampOffset{std::max(batch.base_offset(), min_offset), batch.max_timestamp()};
  }
  auto records = record::decode_records(batch);
  if (!records) {
    // Cannot look inside (corrupt or unknown codec): answer with the batch, as Kafka's
    // shallow iteration would for a broken batch.
    return TimestampOffset{std::max(batch.base_offset(), min_offset), batch.max_timestamp()};
  }
  for (const auto& r : *records) {
    if (r.offset >= min_offset && r.timestamp >= ts) {
      return TimestampOffset{r.offset, r.timestamp};
    }
  }
  return std::nullopt;
}
}  // namespace

Result<std::optional<TimestampOffset>> PartitionLog::offset_for_timestamp(int64_t ts) const {
  if (auto r = check_open(); !r) {
    return r.error();
  }
  if (ts == format::kEarliestTimestamp) {
    return TimestampOffset{log_start_, -1};
  }
  if (ts == format::kLatestTimestamp) {
    return TimestampOffset{log_end_offset(), -1};
  }
  if (ts < 0) {
    return std::optional<TimestampOffset>();
  }
  Offset search_from = log_start_;
  auto it = segments_.upper_bound(search_from.value);
  if (it != segments_.begin()) {
    --it;
  }
  std::vector<uint8_t> buf;
  while (it != segments_.end()) {
    auto located = it->second->locate_timestamp(ts, search_from);
    if (!located) {
      return located.error();
    }
    if (!*located) {
      ++it;
      continue;
    }
    const auto& [position, header] = **located;
    buf.resize(header.size_bytes());
    auto n = it->second->file()->pread(buf, position);
    if (!n) {
      return n.error();
    }
    auto view = record::BatchView::parse(std::span<const uint8_t>(buf.data(), *n));
    if (!view) {
      return make_error_code(errc::invalid_batch);
    }
    if (auto found = record_at_timestamp(*view, ts, search_from)) {
      return found;
    }
    search_from = header.next_offset();
  }
  return std::optional<TimestampOffset>();
}

EpochEndOffset PartitionLog::end_offset_for_epoch(LeaderEpoch requested) const {
  return epochs_->end_offset_for(requested, log_end_offset());
}

std::optional<LeaderEpoch> PartitionLog::latest_epoch() const { return epochs_->latest_epoch(); }

const std::vector<EpochEntry>& PartitionLog::epoch_entries() const { return epochs_->entries(); }

}  // namespace meridian::log
