#include "cluster/record/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace meridian::record {
namespace {

using CrcFn = uint32_t (*)(uint32_t, const void*, size_t) noexcept;

struct Vector {
  const char* name;
  std::vector<uint8_t> data;
  uint32_t crc;
};

// RFC 3720 (iSCSI) appendix B.4. The RFC prints the CRC as the bytes sent on the wire (least
// significant first): "aa 36 91 8a" is 0x8A9136AA and "56 3a 96 d9" is 0xD9963A56.
std::vector<Vector> rfc3720_vectors() {
  std::vector<Vector> v;
  v.push_back({"zeros", std::vector<uint8_t>(32, 0x00), 0x8A9136AAu});
  v.push_back({"ones", std::vector<uint8_t>(32, 0xFF), 0x62A8AB43u});
  std::vector<uint8_t> up(32);
  std::vector<uint8_t> down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  v.push_back({"ascending", up, 0x46DD794Eu});
  v.push_back({"descending", down, 0x113FDB5Cu});
  v.push_back({"iscsi_read_pdu",
               {0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
               0xD9963A56u});
  return v;
}

class Crc32cVectors : public ::testing::TestWithParam<CrcFn> {};

TEST_P(Crc32cVectors, Rfc3720) {
  CrcFn fn = GetParam();
  for (const auto& v : rfc3720_vectors()) {
    EXPECT_EQ(fn(0, v.data.data(), v.data.size()), v.crc) << v.name;
  }
}

TEST_P(Crc32cVectors, ExtendingInPiecesEqualsOneShot) {
  CrcFn fn = GetParam();
  for (const auto& v : rfc3720_vectors()) {
    for (size_t split = 0; split <= v.data.size(); ++split) {
      uint32_t c = fn(0, v.data.data(), split);
      c = fn(c, v.data.data() + split, v.data.size() - split);
      EXPECT_EQ(c, v.crc) << v.name << " split at " << split;
    }
  }
}

TEST_P(Crc32cVectors, KnownAsciiCheckValue) {
  // The standard "123456789" check value of CRC-32C.
  EXPECT_EQ(GetParam()(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(GetParam()(0, "", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Implementations, Crc32cVectors,
                         ::testing::Values(&crc32c_extend, &crc32c_extend_portable),
                         [](const auto& info) {
                           return info.param == &crc32c_extend ? std::string("Dispatching")
                                                               : std::string("Portable");
                         });

TEST(Crc32c, HardwareMatchesPortableOnRandomBuffers) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937 rng(seed);
  // Long enough for the three-way interleaved blocks (3 x 8 KiB and 3 x 256 B) and their tails.
  std::vector<uint8_t> buf(100'000 + 16);
  for (auto& b : buf) {
    b = static_cast<uint8_t>(rng());
  }
  for (int i = 0; i < 3000; ++i) {
    size_t align = rng() % 16;
    size_t len = i % 4 == 0 ? rng() % 100'000 : rng() % 2000;
    uint32_t start = (i % 3 == 0) ? 0 : rng();
    ASSERT_EQ(crc32c_extend(start, buf.data() + align, len),
              crc32c_extend_portable(start, buf.data() + align, len))
        << "align=" << align << " len=" << len;
  }
}

TEST(Crc32c, BlockBoundaryLengthsMatch) {
  std::vector<uint8_t> buf(3 * 8192 * 2 + 64);
  for (size_t i = 0; i < buf.size(); ++i) {
    buf[i] = static_cast<uint8_t>(i * 131 + (i >> 7));
  }
  for (size_t base : {size_t{3 * 256}, size_t{3 * 8192}, size_t{2 * 3 * 8192}}) {
    for (size_t len = base - 9; len <= base + 9 && len <= buf.size(); ++len) {
      ASSERT_EQ(crc32c_extend(0x12345678u, buf.data(), len),
                crc32c_extend_portable(0x12345678u, buf.data(), len))
          << len;
    }
  }
}

TEST(Crc32c, HardwarePathIsUsedOnThisMachine) {
  // The build machines are x86-64 with SSE4.2; the hardware path must actually be selected there,
  // otherwise the dispatch tests above would compare the table code with itself.
#if defined(__x86_64__)
  EXPECT_TRUE(crc32c_hardware_accelerated());
#else
  EXPECT_FALSE(crc32c_hardware_accelerated());
#endif
}

}  // namespace
}  // namespace meridian::record
