#include "gateway/rate_limiter.h"

#include <gtest/gtest.h>

namespace meridian::gateway {
namespace {

using Clock = RateLimiter::Clock;
using boost::asio::ip::make_address;

TEST(RateLimiter, DisabledAdmitsEverything) {
  RateLimiter l({false, 1, 1});
  auto now = Clock::now();
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(l.admit(make_address("10.0.0.1"), 1 << 20, now));
  }
}

TEST(RateLimiter, RequestBucketRefills) {
  RateLimiter l({true, 5, 0});
  auto t0 = Clock::now();
  auto ip = make_address("10.0.0.1");
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(l.admit(ip, 0, t0)) << i;
  }
  EXPECT_FALSE(l.admit(ip, 0, t0));
  EXPECT_TRUE(l.admit(make_address("10.0.0.2"), 0, t0));  // per client
  EXPECT_TRUE(l.admit(make_address("::1"), 0, t0));
  EXPECT_FALSE(l.admit(ip, 0, t0 + std::chrono::milliseconds(100)));  // 0.5 token
  EXPECT_TRUE(l.admit(ip, 0, t0 + std::chrono::milliseconds(250)));   // 1.25 tokens
  EXPECT_FALSE(l.admit(ip, 0, t0 + std::chrono::milliseconds(260)));
  // Refill is capped at one second of budget.
  auto later = t0 + std::chrono::seconds(100);
  int admitted = 0;
  while (l.admit(ip, 0, later) && admitted < 100) {
    ++admitted;
  }
  EXPECT_EQ(admitted, 5);
}

TEST(RateLimiter, ByteBucketGoesIntoDebt) {
  RateLimiter l({true, 1000, 1000});
  auto t0 = Clock::now();
  auto ip = make_address("10.0.0.9");
  EXPECT_TRUE(l.admit(ip, 5000, t0));  // full bucket: one big request passes
  EXPECT_FALSE(l.admit(ip, 1, t0 + std::chrono::seconds(1)));  // debt 4000 - 1000
  EXPECT_FALSE(l.admit(ip, 1, t0 + std::chrono::milliseconds(3900)));
  EXPECT_TRUE(l.admit(ip, 1, t0 + std::chrono::milliseconds(4100)));
}

}  // namespace
}  // namespace meridian::gateway
