#pragma once
// Variable-length integers as Kafka writes them (protobuf base-128, little-endian groups of 7
// bits, high bit = "more follows"):
//   varint / varlong   zig-zag signed 32 / 64-bit: record fields, header counts (KIP-98)
//   uvarint / uvarlong unsigned 32 / 64-bit: compact lengths of flexible versions (KIP-482)
//
// Decoders never read past their input and reject an encoding that is longer than its maximum
// (5 bytes for 32-bit, 10 for 64-bit) or whose last byte carries bits beyond the type's width —
// a valid encoder never writes either. All functions are header-only and allocation-free except
// the append_* helpers, which grow a vector.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cluster/record/errc.h"
#include "common/result.h"

namespace meridian::record {

inline constexpr size_t kMaxVarintBytes = 5;
inline constexpr size_t kMaxVarlongBytes = 10;

constexpr uint32_t zigzag_encode32(int32_t v) noexcept {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
constexpr int32_t zigzag_decode32(uint32_t v) noexcept {
  return static_cast<int32_t>((v >> 1) ^ (~(v & 1u) + 1u));
}
constexpr uint64_t zigzag_encode64(int64_t v) noexcept {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int64_t zigzag_decode64(uint64_t v) noexcept {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1u) + 1u));
}

// Encoded size in bytes of an unsigned value.
constexpr size_t uvarlong_size(uint64_t v) noexcept {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
constexpr size_t uvarint_size(uint32_t v) noexcept { return uvarlong_size(v); }
constexpr size_t varint_size(int32_t v) noexcept { return uvarlong_size(zigzag_encode32(v)); }
constexpr size_t varlong_size(int64_t v) noexcept { return uvarlong_size(zigzag_encode64(v)); }

// Writes `v` at `out`, which must have room for uvarlong_size(v) bytes. Returns bytes written.
inline size_t encode_uvarlong(uint64_t v, uint8_t* out) noexcept {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<uint8_t>(v);
  return n;
}
inline size_t encode_uvarint(uint32_t v, uint8_t* out) noexcept { return encode_uvarlong(v, out); }
inline size_t encode_varint(int32_t v, uint8_t* out) noexcept {
  return encode_uvarlong(zigzag_encode32(v), out);
}
inline size_t encode_varlong(int64_t v, uint8_t* out) noexcept {
  return encode_uvarlong(zigzag_encode64(v), out);
}

inline void append_uvarlong(std::vector<uint8_t>& out, uint64_t v) {
  uint8_t tmp[kMaxVarlongBytes];
  size_t n = encode_uvarlong(v, tmp);
  out.insert(out.end(), tmp, tmp + n);
}
inline void append_uvarint(std::vector<uint8_t>& out, uint32_t v) { append_uvarlong(out, v); }
inline void append_varint(std::vector<uint8_t>& out, int32_t v) {
  append_uvarlong(out, zigzag_encode32(v));
}
inline void append_varlong(std::vector<uint8_t>& out, int64_t v) {
  append_uvarlong(out, zigzag_encode64(v));
}

namespace detail {
// Decodes an unsigned value of `bits` (32 or 64) width. Returns bytes consumed, 0 on error.
template <unsigned kBits>
inline size_t decode_unsigned(std::span<const uint8_t> in, uint64_t& out) noexcept {
  constexpr size_t kMaxBytes = (kBits + 6) / 7;
  // Bits the last permitted byte may carry: 32 - 28 = 4, 64 - 63 = 1.
  constexpr unsigned kLastBits = kBits - 7 * (kMaxBytes - 1);
  uint64_t value = 0;
  size_t limit = in.size() < kMaxBytes ? in.size() : kMaxBytes;
  for (size_t i = 0; i < limit; ++i) {
    uint8_t b = in[i];
    if (i == kMaxBytes - 1 && (b >> kLastBits) != 0) {
      return 0;  // continuation bit or bits past the type's width
    }
    value |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      out = value;
      return i + 1;
    }
  }
  return 0;  // ran out of input
}
}  // namespace detail

// Each decoder returns the number of bytes consumed, or 0 when the encoding overruns `in` or is
// malformed (out is then unchanged).
inline size_t decode_uvarlong(std::span<const uint8_t> in, uint64_t& out) noexcept {
  return detail::decode_unsigned<64>(in, out);
}
inline size_t decode_uvarint(std::span<const uint8_t> in, uint32_t& out) noexcept {
  uint64_t v = 0;
  size_t n = detail::decode_unsigned<32>(in, v);
  if (n != 0) {
    out = static_cast<uint32_t>(v);
  }
  return n;
}
inline size_t decode_varint(std::span<const uint8_t> in, int32_t& out) noexcept {
  uint32_t v = 0;
  size_t n = decode_uvarint(in, v);
  if (n != 0) {
    out = zigzag_decode32(v);
  }
  return n;
}
inline size_t decode_varlong(std::span<const uint8_t> in, int64_t& out) noexcept {
  uint64_t v = 0;
  size_t n = decode_uvarlong(in, v);
  if (n != 0) {
    out = zigzag_decode64(v);
  }
  return n;
}

namespace detail {
template <class T, size_t (*kDecode)(std::span<const uint8_t>, T&) noexcept>
inline Result<T> read_and_advance(std::span<const uint8_t>& in) noexcept {
  T v{};
  size_t n = kDecode(in, v);
  if (n == 0) {
    return make_error_code(errc::bad_varint);
  }
  in = in.subspan(n);
  return v;
}
}  // namespace detail

// Cursor-style readers: decode from the front of `in` and advance it past the value.
// Errors: bad_varint (in is then unchanged).
inline Result<int32_t> read_varint(std::span<const uint8_t>& in) noexcept {
  return detail::read_and_advance<int32_t, decode_varint>(in);
}
inline Result<int64_t> read_varlong(std::span<const uint8_t>& in) noexcept {
  return detail::read_and_advance<int64_t, decode_varlong>(in);
}
inline Result<uint32_t> read_uvarint(std::span<const uint8_t>& in) noexcept {
  return detail::read_and_advance<uint32_t, decode_uvarint>(in);
}
inline Result<uint64_t> read_uvarlong(std::span<const uint8_t>& in) noexcept {
  return detail::read_and_advance<uint64_t, decode_uvarlong>(in);
}

}  // namespace meridian::record
