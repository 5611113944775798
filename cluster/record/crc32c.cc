#include "cluster/record/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace meridian::record {
namespace {

constexpr uint32_t kPolyReflected = 0x82F63B78u;

// Slicing-by-8 tables: tables[k][b] is the CRC of byte b followed by k zero bytes.
constexpr std::array<std::array<uint32_t, 256>, 8> make_tables() {
  std::array<std::array<uint32_t, 256>, 8> tables{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int i = 0; i < 8; ++i) {
      crc = (crc >> 1) ^ ((crc & 1u) ? kPolyReflected : 0u);
    }
    tables[0][b] = crc;
  }
  for (uint32_t b = 0; b < 256; ++b) {
    for (size_t k = 1; k < 8; ++k) {
      uint32_t prev = tables[k - 1][b];
      tables[k][b] = (prev >> 8) ^ tables[0][prev & 0xFFu];
    }
  }
  return tables;
}

constexpr auto kTables = make_tables();

#if defined(__x86_64__)
// Shifting a CRC register through `len` zero bytes is linear over GF(2), so it is a 32x32 bit
// matrix; four 256-entry tables apply it a byte at a time (Mark Adler's crc32c.c). This lets
// the SSE4.2 path run three independent crc32 chains (the instruction has a latency of 3 and a
// throughput of 1 per cycle) and splice them: crc(A || B) = shift_|B|(crc(A)) ^ crc0(B).
using ShiftTable = std::array<std::array<uint32_t, 256>, 4>;

uint32_t gf2_times(const uint32_t* mat, uint32_t vec) noexcept {
  uint32_t sum = 0;
  for (; vec != 0; vec >>= 1, ++mat) {
    if (vec & 1u) {
      sum ^= *mat;
    }
  }
  return sum;
}

void gf2_square(uint32_t* square, const uint32_t* mat) noexcept {
  for (int n = 0; n < 32; ++n) {
    square[n] = gf2_times(mat, mat[n]);
  }
}

// `len` must be a power of two.
ShiftTable make_shift_table(size_t len) noexcept {
  uint32_t odd[32];
  uint32_t even[32];
  odd[0] = kPolyReflected;  // the operator for one zero bit
  for (int n = 1; n < 32; ++n) {
    odd[n] = 1u << (n - 1);
  }
  gf2_square(even, odd);  // two zero bits
  gf2_square(odd, even);  // four zero bits
  const uint32_t* op = nullptr;
  for (;;) {
    gf2_square(even, odd);  // first pass: one zero byte
    len >>= 1;
    if (len == 0) {
      op = even;
      break;
    }
    gf2_square(odd, even);
    len >>= 1;
    if (len == 0) {
      op = odd;
      break;
    }
  }
  ShiftTable t{};
  for (uint32_t b = 0; b < 256; ++b) {
    for (int k = 0; k < 4; ++k) {
      t[k][b] = gf2_times(op, b << (8 * k));
    }
  }
  return t;
}

uint32_t shift(const ShiftTable& t, uint32_t crc) noexcept {
  return t[0][crc & 0xFF] ^ t[1][(crc >> 8) & 0xFF] ^ t[2][(crc >> 16) & 0xFF] ^ t[3][crc >> 24];
}

constexpr size_t kLongBlock = 8192;
constexpr size_t kShortBlock = 256;

// Runs three crc32 chains over three consecutive blocks of `block` bytes, as often as `n` allows.
__attribute__((target("sse4.2"))) uint64_t crc32c_3way(uint64_t c, const uint8_t*& p, size_t& n,
                                                       size_t block, const ShiftTable& t) noexcept {
  while (n >= 3 * block) {
    uint64_t c1 = 0;
    uint64_t c2 = 0;
    for (const uint8_t* end = p + block; p < end; p += 8) {
      uint64_t w0;
      uint64_t w1;
      uint64_t w2;
      std::memcpy(&w0, p, 8);
      std::memcpy(&w1, p + block, 8);
      std::memcpy(&w2, p + 2 * block, 8);
      c = _mm_crc32_u64(c, w0);
      c1 = _mm_crc32_u64(c1, w1);
      c2 = _mm_crc32_u64(c2, w2);
    }
    c = shift(t, static_cast<uint32_t>(c)) ^ c1;
    c = shift(t, static_cast<uint32_t>(c)) ^ c2;
    p += 2 * block;
    n -= 3 * block;
  }
  return c;
}

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const uint8_t* p,
                                                        size_t n) noexcept {
  uint64_t c = ~crc;
  if (n >= 3 * kShortBlock) {
    static const ShiftTable kLong = make_shift_table(kLongBlock);
    static const ShiftTable kShort = make_shift_table(kShortBlock);
    c = crc32c_3way(c, p, n, kLongBlock, kLong);
    c = crc32c_3way(c, p, n, kShortBlock, kShort);
  }
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --n;
  }
  return ~c32;
}

bool cpu_has_sse42() noexcept {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) {
    return false;
  }
  return (ecx & bit_SSE4_2) != 0;
}

const bool kHasSse42 = cpu_has_sse42();
#endif

}  // namespace

uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size) noexcept {
  auto p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  while (size >= 8) {
    uint32_t lo;
    uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;  // little-endian load: the CRC is reflected
    c = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^ kTables[5][(lo >> 16) & 0xFF] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xFF] ^ kTables[2][(hi >> 8) & 0xFF] ^
        kTables[1][(hi >> 16) & 0xFF] ^ kTables[0][hi >> 24];
    p += 8;
    size -= 8;
  }
  while (size > 0) {
    c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
    --size;
  }
  return ~c;
}

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) noexcept {
#if defined(__x86_64__)
  if (kHasSse42) {
    return crc32c_sse42(crc, static_cast<const uint8_t*>(data), size);
  }
#endif
  return crc32c_extend_portable(crc, data, size);
}

bool crc32c_hardware_accelerated() noexcept {
#if defined(__x86_64__)
  return kHasSse42;
#else
  return false;
#endif
}

}  // namespace meridian::record
