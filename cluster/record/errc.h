#pragma once
// Errors of the record codec. Every one is about input bytes, never an invariant.

#include <string>
#include <system_error>

namespace meridian::record {

enum class errc {
  ok = 0,
  truncated,             // fewer bytes than the header or batchLength claims
  bad_magic,             // magic != 2
  bad_length,            // batchLength out of range
  crc_mismatch,          // stored CRC32C differs from the computed one
  bad_varint,            // a varint overruns its buffer or 10 bytes
  bad_record,            // a record's fields disagree with its length or the batch
  unsupported_codec,     // compression bits 5..7
  decompression_failed,  // codec rejected the payload or it inflated past the limit
  compression_failed,
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace meridian::record

template <>
struct std::is_error_code_enum<meridian::record::errc> : std::true_type {};
