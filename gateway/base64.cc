#include "gateway/base64.h"

#include <array>
#include <cstdint>

namespace meridian::gateway {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> make_reverse() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) {
    v = kInvalid;
  }
  for (uint8_t i = 0; i < 64; ++i) {
    t[static_cast<uint8_t>(kAlphabet[i])] = i;
  }
  return t;
}
constexpr auto kReverse = make_reverse();

}  // namespace

void base64_encode(std::string_view bytes, std::string& out) {
  size_t start = out.size();
  out.resize(start + base64_encoded_size(bytes.size()));
  char* p = out.data() + start;
  const auto* in = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{in[i]} << 16;
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = '=';
    *p++ = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = '=';
  }
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') {
    pad = (text.size() >= 2 && text[text.size() - 2] == '=') ? 2 : 1;
  }
  std::string out;
  out.resize(text.size() / 4 * 3 - pad);
  char* p = out.data();
  size_t full = text.size() - (pad ? 4 : 0);
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t i = 0; i < full; i += 4) {
    uint8_t a = kReverse[in[i]], b = kReverse[in[i + 1]], c = kReverse[in[i + 2]],
            d = kReverse[in[i + 3]];
    if ((a | b | c | d) == kInvalid || ((a | b | c | d) & 0xc0)) {
      return std::nullopt;
    }
    uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    *p++ = static_cast<char>(v >> 16);
    *p++ = static_cast<char>((v >> 8) & 0xff);
    *p++ = static_cast<char>(v & 0xff);
  }
  if (pad) {
    uint8_t a = kReverse[in[full]], b = kReverse[in[full + 1]];
    uint8_t c = pad == 1 ? kReverse[in[full + 2]] : 0;
    if ((a | b | c) & 0xc0) {
      return std::nullopt;
    }
    if (pad == 2 && (b & 0x0f) != 0) {
      return std::nullopt;  // non-canonical: unused bits set
    }
    if (pad == 1 && (c & 0x03) != 0) {
      return std::nullopt;
    }
    uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6);
    *p++ = static_cast<char>(v >> 16);
    if (pad == 1) {
      *p++ = static_cast<char>((v >> 8) & 0xff);
    }
  }
  return out;
}

}  // namespace meridian::gateway
