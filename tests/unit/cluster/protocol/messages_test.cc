// Every implemented message (request and response) at every supported version: round trip,
// truncation at every length, hostile lengths and a time-bounded fuzz loop.

#include "cluster/protocol/messages.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "cluster/protocol/codec.h"
#include "common/byte_order.h"
#include "tests/unit/cluster/protocol/test_io.h"

namespace meridian::protocol {
namespace {

template <class L>
struct AllMessages;
template <class... Ts>
struct AllMessages<TypeList<Ts...>> {
  using type = ::testing::Types<Ts..., typename Ts::Response...>;
};

constexpr int kSeedsPerVersion = 12;

template <class T>
T random_message(int16_t version, uint64_t seed) {
  std::mt19937_64 rng(seed);
  testing::Filler filler(rng);
  T msg;
  msg.io(filler, version);
  return msg;
}

template <class T>
class MessageTest : public ::testing::Test {};
TYPED_TEST_SUITE(MessageTest, AllMessages<RequestTypes>::type);

TYPED_TEST(MessageTest, RoundTripsAtEveryVersion) {
  using T = TypeParam;
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    for (uint64_t seed = 0; seed < kSeedsPerVersion; ++seed) {
      SCOPED_TRACE(::testing::Message() << "version " << v << " seed " << seed);
      T msg = random_message<T>(v, seed);
      auto bytes = encode(msg, v);
      ASSERT_TRUE(bytes.has_value()) << bytes.error().message();
      EXPECT_EQ(encoded_size(msg, v), bytes->size());
      auto back = decode<T>(*bytes, v);
      ASSERT_TRUE(back.has_value()) << back.error().message();
      EXPECT_TRUE(*back == msg);
      auto again = encode(*back, v);
      ASSERT_TRUE(again.has_value());
      EXPECT_EQ(*again, *bytes);
    }
  }
}

TYPED_TEST(MessageTest, DefaultMessageRoundTrips) {
  using T = TypeParam;
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    auto bytes = encode(T{}, v);
    ASSERT_TRUE(bytes.has_value());
    auto back = decode<T>(*bytes, v);
    ASSERT_TRUE(back.has_value()) << "version " << v << ": " << back.error().message();
  }
}

TYPED_TEST(MessageTest, EveryTruncationIsAnError) {
  using T = TypeParam;
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    for (uint64_t seed = 0; seed < 3; ++seed) {
      auto bytes = encode(random_message<T>(v, seed), v);
      ASSERT_TRUE(bytes.has_value());
      for (size_t len = 0; len < bytes->size(); ++len) {
        auto r = decode<T>(std::span<const uint8_t>(bytes->data(), len), v);
        ASSERT_FALSE(r.has_value()) << "version " << v << " seed " << seed << " len " << len;
        EXPECT_EQ(r.error(), make_error_code(errc::truncated))
            << "version " << v << " len " << len << ": " << r.error().message();
      }
    }
  }
}

TYPED_TEST(MessageTest, TrailingBytesAreAnError) {
  using T = TypeParam;
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    auto bytes = encode(random_message<T>(v, 7), v);
    ASSERT_TRUE(bytes.has_value());
    bytes->push_back(0);
    auto r = decode<T>(*bytes, v);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), make_error_code(errc::trailing_bytes));
  }
}

TYPED_TEST(MessageTest, VersionsOutsideTheRangeAreRejected) {
  using T = TypeParam;
  for (int16_t v : {static_cast<int16_t>(T::kMinVersion - 1),
                    static_cast<int16_t>(T::kMaxVersion + 1), int16_t{-1}, int16_t{32767}}) {
    auto enc = encode(T{}, v);
    ASSERT_FALSE(enc.has_value());
    EXPECT_EQ(enc.error(), make_error_code(errc::unsupported_version));
    auto dec = decode<T>(std::vector<uint8_t>(64, 0), v);
    ASSERT_FALSE(dec.has_value());
    EXPECT_EQ(dec.error(), make_error_code(errc::unsupported_version));
  }
}

// Overwrites every 2- and 4-byte window with hostile length values (-2, -1, INT_MAX, INT_MIN).
// Whatever field sits there, the decoder must stay in bounds and, when it accepts the bytes,
// produce a message that encodes and decodes back to itself.
TYPED_TEST(MessageTest, HostileLengthsNeverCrash) {
  using T = TypeParam;
  const int32_t k32[] = {-2, -1, 0x7fffffff, static_cast<int32_t>(0x80000000), 0x00ffffff};
  const int16_t k16[] = {-2, -1, 0x7fff, static_cast<int16_t>(0x8000)};
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    auto bytes = encode(random_message<T>(v, 11), v);
    ASSERT_TRUE(bytes.has_value());
    auto check = [&](const std::vector<uint8_t>& in) {
      auto r = decode<T>(in, v);
      if (r.has_value()) {
        auto again = encode(*r, v);
        ASSERT_TRUE(again.has_value());
        auto back = decode<T>(*again, v);
        ASSERT_TRUE(back.has_value());
        EXPECT_TRUE(*back == *r);
      }
    };
    for (size_t pos = 0; pos + 2 <= bytes->size(); ++pos) {
      for (int16_t x : k16) {
        auto copy = *bytes;
        store_be<int16_t>(copy.data() + pos, x);
        check(copy);
      }
      if (pos + 4 <= bytes->size()) {
        for (int32_t x : k32) {
          auto copy = *bytes;
          store_be<int32_t>(copy.data() + pos, x);
          check(copy);
        }
      }
    }
  }
}

// Random mutations of valid encodings plus pure random bytes, bounded in time (about 5 s over
// all message types together; longer with MERIDIAN_LONG_TESTS=1).
TYPED_TEST(MessageTest, RandomBytesNeverCrash) {
  using T = TypeParam;
  const bool long_run = std::getenv("MERIDIAN_LONG_TESTS") != nullptr;
  const auto budget = std::chrono::milliseconds(long_run ? 2000 : 90);
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE(::testing::Message() << "fuzz seed " << seed);
  std::mt19937_64 rng(seed);
  const auto deadline = std::chrono::steady_clock::now() + budget;
  int accepted = 0;
  int iterations = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    ++iterations;
    int16_t v =
        static_cast<int16_t>(T::kMinVersion + rng() % (T::kMaxVersion - T::kMinVersion + 1));
    std::vector<uint8_t> in;
    if (rng() % 4 == 0) {
      in.resize(rng() % 64);
      for (auto& b : in) {
        b = static_cast<uint8_t>(rng());
      }
    } else {
      in = *encode(random_message<T>(v, rng()), v);
      size_t flips = 1 + rng() % 4;
      for (size_t i = 0; i < flips && !in.empty(); ++i) {
        in[rng() % in.size()] = static_cast<uint8_t>(rng());
      }
    }
    auto r = decode<T>(in, v);
    if (r.has_value()) {
      ++accepted;
      auto again = encode(*r, v);
      ASSERT_TRUE(again.has_value());
      auto back = decode<T>(*again, v);
      ASSERT_TRUE(back.has_value());
      ASSERT_TRUE(*back == *r);
    }
  }
  EXPECT_GT(iterations, 0);
  this->RecordProperty("accepted", accepted);
}

}  // namespace
}  // namespace meridian::protocol
