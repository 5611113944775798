#pragma once
// Walking the batches of a .log file: header decoding and the validation recovery relies on.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "cluster/log/detail/file.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::log::detail {

// The header fields the log needs, decoded from the first kHeaderSize bytes of a batch.
struct BatchHeader {
  Offset base_offset;
  int32_t batch_length = 0;
  LeaderEpoch leader_epoch;
  int32_t last_offset_delta = 0;
  int64_t max_timestamp = -1;
  uint64_t size_bytes() const noexcept { return static_cast<uint64_t>(batch_length) + 12; }
  Offset last_offset() const noexcept { return base_offset + last_offset_delta; }
  Offset next_offset() const noexcept { return last_offset() + 1; }
};

// Decodes and sanity-checks a header: magic 2, batchLength within bounds, lastOffsetDelta >= 0.
// `bytes` must hold at least record::format::kHeaderSize bytes. Returns the problem on failure.
Result<BatchHeader> decode_header(std::span<const uint8_t> bytes, std::string* problem);

struct ScanOptions {
  enum class Verify { kHeaders, kFull };  // kFull also checks each batch's CRC32C
  Verify verify = Verify::kFull;
  uint64_t start_position = 0;
  Offset min_base_offset;  // first batch's base offset must be >= this
  Offset segment_base;     // relative offsets (last - segment_base) must fit the index
};

struct ScanResult {
  uint64_t valid_bytes = 0;           // end of the last valid batch
  std::optional<Offset> next_offset;  // after the last valid batch, if any was scanned
  std::string problem;  // why the scan stopped before the end of the file ("" if it did not)
  uint64_t batches = 0;
};

// Reads batches from options.start_position to `file_size`, calling on_batch(header, position)
// for each valid one and stopping at the first invalid byte. Only I/O errors are errors.
Result<ScanResult> scan_batches(const File& file, uint64_t file_size, const ScanOptions& options,
                                const std::function<void(const BatchHeader&, uint64_t)>& on_batch);

}  // namespace meridian::log::detail
