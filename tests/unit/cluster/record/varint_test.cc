#include "cluster/record/varint.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace meridian::record {
namespace {

std::vector<uint8_t> enc_varint(int32_t v) {
  std::vector<uint8_t> out;
  append_varint(out, v);
  return out;
}
std::vector<uint8_t> enc_varlong(int64_t v) {
  std::vector<uint8_t> out;
  append_varlong(out, v);
  return out;
}

TEST(Varint, ZigZagMapsSmallMagnitudesToSmallCodes) {
  EXPECT_EQ(zigzag_encode32(0), 0u);
  EXPECT_EQ(zigzag_encode32(-1), 1u);
  EXPECT_EQ(zigzag_encode32(1), 2u);
  EXPECT_EQ(zigzag_encode32(-2), 3u);
  EXPECT_EQ(zigzag_encode32(std::numeric_limits<int32_t>::max()), 0xFFFFFFFEu);
  EXPECT_EQ(zigzag_encode32(std::numeric_limits<int32_t>::min()), 0xFFFFFFFFu);
  EXPECT_EQ(zigzag_encode64(std::numeric_limits<int64_t>::min()), ~uint64_t{0});
  EXPECT_EQ(zigzag_decode64(~uint64_t{0}), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(zigzag_decode32(0xFFFFFFFEu), std::numeric_limits<int32_t>::max());
}

TEST(Varint, KnownEncodings) {
  // Values from Kafka's ByteUtilsTest.
  EXPECT_EQ(enc_varint(0), (std::vector<uint8_t>{0x00}));
  EXPECT_EQ(enc_varint(-1), (std::vector<uint8_t>{0x01}));
  EXPECT_EQ(enc_varint(1), (std::vector<uint8_t>{0x02}));
  EXPECT_EQ(enc_varint(63), (std::vector<uint8_t>{0x7E}));
  EXPECT_EQ(enc_varint(-64), (std::vector<uint8_t>{0x7F}));
  EXPECT_EQ(enc_varint(64), (std::vector<uint8_t>{0x80, 0x01}));
  EXPECT_EQ(enc_varint(std::numeric_limits<int32_t>::max()),
            (std::vector<uint8_t>{0xFE, 0xFF, 0xFF, 0xFF, 0x0F}));
  EXPECT_EQ(enc_varint(std::numeric_limits<int32_t>::min()),
            (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}));
  EXPECT_EQ(enc_varlong(std::numeric_limits<int64_t>::min()),
            (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
  EXPECT_EQ(enc_varlong(std::numeric_limits<int64_t>::max()),
            (std::vector<uint8_t>{0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
}

TEST(Varint, SizesMatchEncodings) {
  for (int32_t v : {0, 1, -1, 63, -64, 64, -65, 8191, 8192, std::numeric_limits<int32_t>::max(),
                    std::numeric_limits<int32_t>::min()}) {
    EXPECT_EQ(varint_size(v), enc_varint(v).size()) << v;
  }
  EXPECT_EQ(varlong_size(std::numeric_limits<int64_t>::min()), kMaxVarlongBytes);
  EXPECT_EQ(uvarint_size(std::numeric_limits<uint32_t>::max()), kMaxVarintBytes);
  EXPECT_EQ(uvarlong_size(0), 1u);
}

TEST(Varint, RoundTripsEdgeAndRandomValues) {
  std::vector<int64_t> values = {0,
                                 1,
                                 -1,
                                 std::numeric_limits<int32_t>::max(),
                                 std::numeric_limits<int32_t>::min(),
                                 std::numeric_limits<int64_t>::max(),
                                 std::numeric_limits<int64_t>::min()};
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    values.push_back(static_cast<int64_t>(rng()) >> (rng() % 64));
  }
  for (int64_t v : values) {
    auto bytes = enc_varlong(v);
    int64_t got = 0;
    ASSERT_EQ(decode_varlong(bytes, got), bytes.size()) << v;
    EXPECT_EQ(got, v);
    auto v32 = static_cast<int32_t>(v);
    auto b32 = enc_varint(v32);
    int32_t got32 = 0;
    ASSERT_EQ(decode_varint(b32, got32), b32.size()) << v32;
    EXPECT_EQ(got32, v32);
  }
}

TEST(Varint, EveryTruncationIsRejected) {
  for (int64_t v : {int64_t{300}, std::numeric_limits<int64_t>::min()}) {
    auto bytes = enc_varlong(v);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      int64_t got = 7;
      EXPECT_EQ(decode_varlong(std::span<const uint8_t>(bytes).first(cut), got), 0u) << cut;
      EXPECT_EQ(got, 7) << "output must stay untouched on error";
    }
  }
  auto b = enc_varint(std::numeric_limits<int32_t>::min());
  for (size_t cut = 0; cut < b.size(); ++cut) {
    int32_t got = 0;
    EXPECT_EQ(decode_varint(std::span<const uint8_t>(b).first(cut), got), 0u);
  }
}

TEST(Varint, OverlongAndOverflowingEncodingsAreRejected) {
  int32_t v32 = 0;
  int64_t v64 = 0;
  // Six bytes for a 32-bit varint: the fifth still has the continuation bit.
  std::vector<uint8_t> six = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  EXPECT_EQ(decode_varint(six, v32), 0u);
  // Fifth byte carries bits past 32.
  std::vector<uint8_t> wide = {0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
  EXPECT_EQ(decode_varint(wide, v32), 0u);
  // Eleven bytes for a 64-bit varint.
  std::vector<uint8_t> eleven(10, 0x80);
  eleven.push_back(0);
  EXPECT_EQ(decode_varlong(eleven, v64), 0u);
  // Tenth byte carries bits past 64.
  std::vector<uint8_t> wide64(9, 0xFF);
  wide64.push_back(0x02);
  EXPECT_EQ(decode_varlong(wide64, v64), 0u);
  // A non-minimal but in-range encoding is accepted, as Kafka does.
  std::vector<uint8_t> padded = {0x82, 0x80, 0x00};
  EXPECT_EQ(decode_varint(padded, v32), 3u);
  EXPECT_EQ(v32, 1);
}

TEST(Varint, CursorReadersAdvanceOnlyOnSuccess) {
  std::vector<uint8_t> bytes;
  append_varint(bytes, -5);
  append_varlong(bytes, 1'000'000'000'000);
  append_uvarint(bytes, 300);
  append_uvarlong(bytes, std::numeric_limits<uint64_t>::max());
  bytes.push_back(0x80);  // a truncated trailing varint
  std::span<const uint8_t> in(bytes);
  EXPECT_EQ(*read_varint(in), -5);
  EXPECT_EQ(*read_varlong(in), 1'000'000'000'000);
  EXPECT_EQ(*read_uvarint(in), 300u);
  EXPECT_EQ(*read_uvarlong(in), std::numeric_limits<uint64_t>::max());
  ASSERT_EQ(in.size(), 1u);
  auto bad = read_varint(in);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), make_error_code(errc::bad_varint));
  EXPECT_EQ(in.size(), 1u);
}

}  // namespace
}  // namespace meridian::record
