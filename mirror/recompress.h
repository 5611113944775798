#pragma once
// Wire compression for the link's target hop (LinkOptions::compression). The source is read
// with the Kafka Fetch API, which has no transport compression: the bytes a fetch carries are
// the source's batches as stored. What the link can do honestly is re-encode the batches it
// SENDS: every uncompressed data batch is compressed with `codec` before MirrorAppend. Offsets,
// timestamps, keys, values, headers, producer ids and sequences are unchanged (the batch header
// keeps them; only the codec bits, the length and the CRC change), so consumers see the same
// records at the same offsets. This saves WAN bytes only when the link runs next to the source
// (the MirrorAppend hop crosses the WAN); it also saves the target's disk either way.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cluster/record/batch_view.h"
#include "common/result.h"

namespace meridian::mirror {

// "none", "gzip", "snappy", "lz4", "zstd" (Kafka's compression.type names); nullopt otherwise.
std::optional<record::Compression> parse_codec(const std::string& name);

// Whole RecordBatch v2 batches in, the same batches out, uncompressed non-control ones
// re-encoded with `codec` when that makes them smaller. Errors: the record library's
// (truncated, bad_magic, compression_failed).
Result<std::vector<uint8_t>> recompress(std::span<const uint8_t> batches,
                                        record::Compression codec);

}  // namespace meridian::mirror
