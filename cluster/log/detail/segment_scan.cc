#include "cluster/log/detail/segment_scan.h"

#include "cluster/log/errc.h"
#include "cluster/log/format.h"
#include "cluster/record/batch_view.h"
#include "cluster/record/format.h"
#include "common/byte_order.h"

namespace meridian::log::detail {
namespace rf = record::format;

Result<BatchHeader> decode_header(std::span<const uint8_t> bytes, std::string* problem) {
  auto fail = [&](std::string why) -> Result<BatchHeader> {
    if (problem) {
      *problem = std::move(why);
    }
    return make_error_code(errc::invalid_batch);
  };
  if (bytes.size() < rf::kHeaderSize) {
    return fail("truncated batch header");
  }
  const uint8_t* p = bytes.data();
  if (static_cast<int8_t>(p[rf::kMagicPos]) != rf::kMagicV2) {
    return fail("bad magic " + std::to_string(static_cast<int8_t>(p[rf::kMagicPos])));
  }
  BatchHeader h;
  h.base_offset = Offset(load_be<int64_t>(p + rf::kBaseOffsetPos));
  h.batch_length = load_be<int32_t>(p + rf::kBatchLengthPos);
  h.leader_epoch = LeaderEpoch(load_be<int32_t>(p + rf::kLeaderEpochPos));
  h.last_offset_delta = load_be<int32_t>(p + rf::kLastOffsetDeltaPos);
  h.max_timestamp = load_be<int64_t>(p + rf::kMaxTimestampPos);
  if (h.batch_length < static_cast<int32_t>(rf::kHeaderSize - rf::kLogOverhead) ||
      h.batch_length > rf::kMaxBatchSize) {
    return fail("bad batch length " + std::to_string(h.batch_length));
  }
  if (h.last_offset_delta < 0 || h.base_offset.value < 0) {
    return fail("negative offset");
  }
  return h;
}

namespace {

// Checks one batch at `position`; returns its header or sets `problem`.
Result<BatchHeader> check_batch(WindowReader& reader, uint64_t position, uint64_t file_size,
                                const ScanOptions& options, Offset min_base, std::string& problem) {
  auto bytes = reader.read(position, rf::kHeaderSize);
  if (!bytes) {
    return bytes.error();
  }
  auto header = decode_header(*bytes, &problem);
  if (!header) {
    return header;
  }
  if (header->size_bytes() > file_size - position) {
    problem = "torn batch: " + std::to_string(header->size_bytes()) + " bytes claimed, " +
              std::to_string(file_size - position) + " present";
    return make_error_code(errc::invalid_batch);
  }
  if (header->base_offset < min_base) {
    problem = "base offset " + std::to_string(header->base_offset.value) + " below " +
              std::to_string(min_base.value);
    return make_error_code(errc::non_monotonic_offset);
  }
  if (header->last_offset() - options.segment_base > format::kMaxRelativeOffset ||
      position > UINT32_MAX) {
    problem = "offset or position beyond the index range";
    return make_error_code(errc::invalid_batch);
  }
  if (options.verify == ScanOptions::Verify::kFull) {
    auto full = reader.read(position, header->size_bytes());
    if (!full) {
      return full.error();
    }
    auto view = record::BatchView::parse(*full);
    if (!view || !view->crc_valid()) {
      problem = "CRC32C mismatch in batch at offset " + std::to_string(header->base_offset.value);
      return make_error_code(errc::crc_mismatch);
    }
  }
  return header;
}

}  // namespace

Result<ScanResult> scan_batches(const File& file, uint64_t file_size, const ScanOptions& options,
                                const std::function<void(const BatchHeader&, uint64_t)>& on_batch) {
  size_t window = options.verify == ScanOptions::Verify::kFull ? (1u << 20) : (16u << 10);
  WindowReader reader(file, file_size, window);
  ScanResult result;
  uint64_t position = options.start_position;
  result.valid_bytes = position;
  Offset min_base = options.min_base_offset;
  while (position < file_size) {
    std::string problem;
    auto header = check_batch(reader, position, file_size, options, min_base, problem);
    if (!header) {
      if (problem.empty()) {
        return header.error();  // I/O
      }
      result.problem = "position " + std::to_string(position) + ": " + problem;
      break;
    }
    on_batch(*header, position);
    position += header->size_bytes();
    min_base = header->next_offset();
    result.valid_bytes = position;
    result.next_offset = header->next_offset();
    ++result.batches;
  }
  return result;
}

}  // namespace meridian::log::detail
