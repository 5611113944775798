#pragma once
// Standard base64 (RFC 4648 §4, with padding), as Jackson encodes and decodes byte[] for the
// REST Proxy's binary embedded format. Decoding is strict: length a multiple of 4, '=' only as
// the last one or two characters, no whitespace, and the unused bits of the last symbol zero, so
// every accepted text has exactly one decoding. Pure, allocation only for the output.

#include <optional>
#include <string>
#include <string_view>

namespace meridian::gateway {

// Appends the encoding of `bytes` to `out`.
void base64_encode(std::string_view bytes, std::string& out);
inline std::string base64_encode(std::string_view bytes) {
  std::string out;
  base64_encode(bytes, out);
  return out;
}

// The decoded bytes, or nullopt if `text` is not canonical base64.
std::optional<std::string> base64_decode(std::string_view text);

inline size_t base64_encoded_size(size_t n) { return (n + 2) / 3 * 4; }

}  // namespace meridian::gateway
