#include "cluster/record/batch_view.h"

#include "cluster/record/crc32c.h"

namespace meridian::record {

const char* compression_name(Compression c) noexcept {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kSnappy: return "snappy";
    case Compression::kLz4: return "lz4";
    case Compression::kZstd: return "zstd";
  }
  return "unknown";
}

Result<BatchView> BatchView::parse(std::span<const uint8_t> bytes) noexcept {
  if (bytes.size() < format::kLogOverhead + 5) {  // up to and including magic
    return make_error_code(errc::truncated);
  }
  auto length = load_be<int32_t>(bytes.data() + format::kBatchLengthPos);
  if (static_cast<int8_t>(bytes[format::kMagicPos]) != format::kMagicV2) {
    return make_error_code(errc::bad_magic);
  }
  if (length < static_cast<int32_t>(format::kHeaderSize - format::kLogOverhead) ||
      length > format::kMaxBatchSize) {
    return make_error_code(errc::bad_length);
  }
  size_t total = static_cast<size_t>(length) + format::kLogOverhead;
  if (bytes.size() < total) {
    return make_error_code(errc::truncated);
  }
  return BatchView(bytes.first(total));
}

uint32_t BatchView::compute_crc() const noexcept {
  return crc32c(bytes_.data() + format::kCrcCoveredFrom, bytes_.size() - format::kCrcCoveredFrom);
}

bool BatchView::crc_valid() const noexcept { return compute_crc() == crc(); }

void set_log_append_time(std::span<uint8_t> batch, int64_t timestamp_ms) noexcept {
  auto attrs = load_be<uint16_t>(batch.data() + format::kAttributesPos);
  store_be<uint16_t>(batch.data() + format::kAttributesPos, attrs | format::kTimestampTypeBit);
  store_be<int64_t>(batch.data() + format::kMaxTimestampPos, timestamp_ms);
  uint32_t crc =
      crc32c(batch.data() + format::kCrcCoveredFrom, batch.size() - format::kCrcCoveredFrom);
  store_be<uint32_t>(batch.data() + format::kCrcPos, crc);
}

}  // namespace meridian::record
