#include "cluster/record/compression.h"

#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/byte_order.h"

namespace meridian::record {
namespace {

constexpr Compression kCodecs[] = {Compression::kGzip, Compression::kSnappy, Compression::kLz4,
                                   Compression::kZstd};

std::vector<uint8_t> sample(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) {
    // Half text-like (compressible), half random.
    v[i] = (i / 512) % 2 ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>('a' + (i * 7) % 13);
  }
  return v;
}

class Codec : public ::testing::TestWithParam<Compression> {};

TEST_P(Codec, RoundTripsManySizes) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{32 * 1024}, size_t{32 * 1024 + 1},
                   size_t{65536}, size_t{200'001}, size_t{2'000'000}}) {
    auto in = sample(n, static_cast<uint32_t>(n));
    auto c = compress(GetParam(), in);
    ASSERT_TRUE(c) << n;
    auto d = decompress(GetParam(), *c, n);
    ASSERT_TRUE(d) << n << ": " << d.error().message();
    EXPECT_EQ(*d, in) << n;
  }
}

TEST_P(Codec, OutputLimitIsExact) {
  auto in = sample(100'000, 1);
  auto c = compress(GetParam(), in);
  ASSERT_TRUE(c);
  EXPECT_TRUE(decompress(GetParam(), *c, in.size()));
  auto over = decompress(GetParam(), *c, in.size() - 1);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error(), make_error_code(errc::decompression_failed));
  EXPECT_FALSE(decompress(GetParam(), *c, 0));
}

TEST_P(Codec, ZipBombIsStoppedAtTheLimit) {
  std::vector<uint8_t> zeros(64u << 20, 0);  // 64 MiB of zeros compress to a few KiB
  auto c = compress(GetParam(), zeros);
  ASSERT_TRUE(c);
  ASSERT_LT(c->size(), 4u << 20);
  auto d = decompress(GetParam(), *c, 1u << 20);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), make_error_code(errc::decompression_failed));
}

TEST_P(Codec, EveryTruncationFailsCleanly) {
  auto in = sample(5000, 2);
  auto c = compress(GetParam(), in);
  ASSERT_TRUE(c);
  int accepted = 0;
  for (size_t n = 0; n < c->size(); ++n) {
    std::vector<uint8_t> cut(c->begin(), c->begin() + static_cast<ptrdiff_t>(n));
    auto d = decompress(GetParam(), cut, 1u << 20);
    if (d) {
      // Only a prefix that happens to be a complete stream (lz4/gzip never, xerial
      // snappy when cut between chunks) may decode, and then only to a prefix of the input.
      ++accepted;
      ASSERT_LE(d->size(), in.size());
      EXPECT_TRUE(std::equal(d->begin(), d->end(), in.begin())) << n;
    }
  }
  if (GetParam() != Compression::kSnappy) {
    EXPECT_EQ(accepted, 0);
  }
}

TEST_P(Codec, GarbageIsRejected) {
  std::mt19937 rng(3);
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> junk(rng() % 300);
    for (auto& b : junk) {
      b = static_cast<uint8_t>(rng());
    }
    // Random bytes may by chance be a valid raw snappy block; they must never crash.
    auto d = decompress(GetParam(), junk, 1u << 16);
    if (d) {
      EXPECT_LE(d->size(), 1u << 16);
    }
  }
  EXPECT_FALSE(decompress(GetParam(), std::vector<uint8_t>{}, 100));
}

INSTANTIATE_TEST_SUITE_P(All, Codec, ::testing::ValuesIn(kCodecs), [](const auto& info) {
  return std::string(compression_name(info.param));
});

TEST(Compression, FramingMagicBytes) {
  auto in = sample(1000, 4);
  auto gz = *compress(Compression::kGzip, in);
  EXPECT_EQ(gz[0], 0x1F);
  EXPECT_EQ(gz[1], 0x8B);
  auto lz = *compress(Compression::kLz4, in);
  EXPECT_EQ(load_be<uint32_t>(lz.data()), 0x04224D18u);  // LZ4 frame magic, little-endian 184D2204
  auto zs = *compress(Compression::kZstd, in);
  EXPECT_EQ(load_be<uint32_t>(zs.data()), 0x28B52FFDu);
  auto sn = *compress(Compression::kSnappy, in);
  const uint8_t xerial[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  ASSERT_GT(sn.size(), 20u);
  EXPECT_TRUE(std::equal(xerial, xerial + 16, sn.begin()));
  EXPECT_EQ(load_be<int32_t>(sn.data() + 16), static_cast<int32_t>(sn.size() - 20));
  // Empty input still gets one chunk: kafka-python only sees xerial framing past 16 bytes.
  auto empty = *compress(Compression::kSnappy, std::vector<uint8_t>{});
  EXPECT_GT(empty.size(), 16u);
}

TEST(Compression, RawSnappyIsAcceptedOnRead) {
  auto in = sample(70'000, 5);
  std::string raw;
  snappy::Compress(reinterpret_cast<const char*>(in.data()), in.size(), &raw);
  auto d = decompress(Compression::kSnappy, std::vector<uint8_t>(raw.begin(), raw.end()), 1u << 20);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, in);
  // The limit also applies to raw blocks, from the length in their preamble.
  EXPECT_FALSE(decompress(Compression::kSnappy, std::vector<uint8_t>(raw.begin(), raw.end()),
                          in.size() - 1));
}

TEST(Compression, XerialChunkLengthsAreBoundsChecked) {
  auto sn = *compress(Compression::kSnappy, sample(1000, 6));
  for (int32_t bad : {-1, INT32_MAX, static_cast<int32_t>(sn.size())}) {
    auto copy = sn;
    store_be<int32_t>(copy.data() + 16, bad);
    EXPECT_FALSE(decompress(Compression::kSnappy, copy, 1u << 20)) << bad;
  }
}

TEST(Compression, ConcatenatedGzipMembersAreOneStream) {
  auto a = sample(3000, 7);
  auto b = sample(4000, 8);
  auto ga = *compress(Compression::kGzip, a);
  auto gb = *compress(Compression::kGzip, b);
  ga.insert(ga.end(), gb.begin(), gb.end());
  auto d = decompress(Compression::kGzip, ga, 1u << 20);
  ASSERT_TRUE(d);
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_EQ(*d, a);
}

TEST(Compression, ZstdFrameWithoutContentSizeDecodes) {
  // zstd-jni's streaming output (what Kafka's Java producer writes) omits the content size.
  auto in = sample(300'000, 9);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ASSERT_NE(cctx, nullptr);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::vector<uint8_t> out(ZSTD_compressBound(in.size()));
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  size_t rc = ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end);
  ZSTD_freeCCtx(cctx);
  ASSERT_EQ(rc, 0u);
  out.resize(ob.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(out.data(), out.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  auto d = decompress(Compression::kZstd, out, in.size());
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, in);
  EXPECT_FALSE(decompress(Compression::kZstd, out, in.size() - 1));
}

TEST(Compression, UnknownCodecs) {
  std::vector<uint8_t> in = {1, 2, 3};
  for (int c = 5; c < 8; ++c) {
    auto codec = static_cast<Compression>(c);
    ASSERT_FALSE(compress(codec, in));
    EXPECT_EQ(compress(codec, in).error(), make_error_code(errc::unsupported_codec));
    EXPECT_EQ(decompress(codec, in, 100).error(), make_error_code(errc::unsupported_codec));
  }
  auto none = decompress(Compression::kNone, in, 3);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, in);
}

}  // namespace
}  // namespace meridian::record
