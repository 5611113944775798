#include "gateway/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace meridian::gateway {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> v[] = {{"", ""},
                                                   {"f", "Zg=="},
                                                   {"fo", "Zm8="},
                                                   {"foo", "Zm9v"},
                                                   {"foob", "Zm9vYg=="},
                                                   {"fooba", "Zm9vYmE="},
                                                   {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : v) {
    EXPECT_EQ(base64_encode(plain), enc);
    auto d = base64_decode(enc);
    ASSERT_TRUE(d) << enc;
    EXPECT_EQ(*d, plain);
  }
  // The Confluent docs' examples.
  EXPECT_EQ(*base64_decode("a2V5"), "key");
  EXPECT_EQ(*base64_decode("Y29uZmx1ZW50"), "confluent");
  EXPECT_EQ(*base64_decode("a2Fma2E="), "kafka");
}

TEST(Base64, RejectsNonCanonical) {
  for (const char* bad :
       {"a", "ab", "abc", "Zg=", "Zg", "Z===", "====", "Zm9v\n", " Zm9v", "Zm 9v", "Zm9-", "Zm9_",
        "Zh==", "Zm9=Zm9v", "=Zm9", "Zm8=Zm8=x", "Zm9vYg=", "Zm9vYm=="}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

TEST(Base64, RandomRoundTrip) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 100, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    std::string e = base64_encode(s);
    EXPECT_EQ(e.size(), base64_encoded_size(s.size()));
    auto d = base64_decode(e);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
}

}  // namespace
}  // namespace meridian::gateway
