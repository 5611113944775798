#pragma once
// Framing: every request and response is an int32 big-endian size followed by that many bytes.
// The size is checked against socket.request.max.bytes before anything is buffered, so a peer
// cannot make us allocate 2 GiB by sending four bytes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"

namespace meridian::protocol {

inline constexpr size_t kFrameSizeBytes = 4;
// Kafka's socket.request.max.bytes default (100 MiB).
inline constexpr size_t kDefaultMaxFrameBytes = 100 * 1024 * 1024;

// Validates a 4-byte size prefix and returns the payload size.
// Errors: truncated (fewer than 4 bytes), invalid_length (negative), frame_too_large.
Result<size_t> parse_frame_size(std::span<const uint8_t> prefix,
                                size_t max_frame_bytes = kDefaultMaxFrameBytes);

// Looks for one complete frame at the front of `buffer`. Returns its payload (pointing into
// buffer; the frame occupies kFrameSizeBytes + payload.size() bytes) or nullopt when more bytes
// are needed. Errors: invalid_length, frame_too_large (the connection should be closed).
Result<std::optional<std::span<const uint8_t>>> next_frame(
    std::span<const uint8_t> buffer, size_t max_frame_bytes = kDefaultMaxFrameBytes);

// Reserves a size prefix at the end of `out` and returns its position for finish_frame().
size_t begin_frame(std::vector<uint8_t>& out);
// Back-patches the size prefix written by begin_frame(); extra_bytes counts payload bytes that
// are sent separately (spliced records). Errors: value_too_large (over INT32_MAX).
Result<void> finish_frame(std::vector<uint8_t>& out, size_t frame_start, size_t extra_bytes = 0);

}  // namespace meridian::protocol
