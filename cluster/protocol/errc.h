#pragma once
// Errors of the Kafka wire codec. Decoding errors are about input bytes (a peer's bug or an
// attack), never an invariant; the broker answers them by closing the connection or, where the
// request header is readable, with a Kafka error code.

#include <string>
#include <system_error>

namespace meridian::protocol {

enum class errc {
  ok = 0,
  truncated,            // fewer bytes than a field or a length prefix claims
  invalid_length,       // a negative (other than -1 null) or impossible length/count
  null_not_allowed,     // -1 (null) where the field is not nullable in this version
  trailing_bytes,       // bytes left over after the last field of a message
  unsupported_version,  // api_version outside the range this codec implements
  unknown_api_key,      // api_key this codec does not implement
  frame_too_large,      // size prefix above socket.request.max.bytes
  bad_varint,           // varint overruns its buffer or its maximum width
  value_too_large,      // encoder: a string, bytes or array too long for its length prefix
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace meridian::protocol

template <>
struct std::is_error_code_enum<meridian::protocol::errc> : std::true_type {};
