#include "cluster/protocol/framing.h"

#include <limits>

#include "cluster/protocol/errc.h"
#include "common/byte_order.h"

namespace meridian::protocol {

Result<size_t> parse_frame_size(std::span<const uint8_t> prefix, size_t max_frame_bytes) {
  if (prefix.size() < kFrameSizeBytes) {
    return make_error_code(errc::truncated);
  }
  int32_t size = load_be<int32_t>(prefix.data());
  if (size < 0) {
    return make_error_code(errc::invalid_length);
  }
  if (static_cast<size_t>(size) > max_frame_bytes) {
    return make_error_code(errc::frame_too_large);
  }
  return static_cast<size_t>(size);
}

Result<std::optional<std::span<const uint8_t>>> next_frame(std::span<const uint8_t> buffer,
                                                           size_t max_frame_bytes) {
  if (buffer.size() < kFrameSizeBytes) {
    return std::optional<std::span<const uint8_t>>();
  }
  auto size = parse_frame_size(buffer, max_frame_bytes);
  if (!size) {
    return size.error();
  }
  if (buffer.size() - kFrameSizeBytes < *size) {
    return std::optional<std::span<const uint8_t>>();
  }
  return std::optional<std::span<const uint8_t>>(buffer.subspan(kFrameSizeBytes, *size));
}

size_t begin_frame(std::vector<uint8_t>& out) {
  size_t start = out.size();
  out.resize(start + kFrameSizeBytes);
  return start;
}

Result<void> finish_frame(std::vector<uint8_t>& out, size_t frame_start, size_t extra_bytes) {
  size_t size = out.size() - frame_start - kFrameSizeBytes + extra_bytes;
  if (size > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return make_error_code(errc::value_too_large);
  }
  store_be<int32_t>(out.data() + frame_start, static_cast<int32_t>(size));
  return {};
}

}  // namespace meridian::protocol
