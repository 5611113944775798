#pragma once
// Kafka's compression codecs over a whole batch's record payload:
//   gzip   — RFC 1952 stream (zlib)
//   snappy — Kafka writes xerial framing (magic "\x82SNAPPY\0", big-endian chunk lengths);
//            raw snappy blocks are accepted on read too, as the Java client does
//   lz4    — the LZ4 frame format (KIP-57; Kafka >= 0.10 with magic >= 1 writes correct frames)
//   zstd   — a zstd frame (KIP-110)

#include <cstdint>
#include <span>
#include <vector>

#include "cluster/record/batch_view.h"
#include "common/result.h"

namespace meridian::record {

// Errors: compression_failed, unsupported_codec.
Result<std::vector<uint8_t>> compress(Compression codec, std::span<const uint8_t> input);

// Errors: decompression_failed (corrupt input, or output past `max_output` bytes),
// unsupported_codec.
Result<std::vector<uint8_t>> decompress(Compression codec, std::span<const uint8_t> input,
                                        size_t max_output);

}  // namespace meridian::record
