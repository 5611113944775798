// FramePool (cluster/broker/detail/frame_pool.h): fetch-sized answers are reused without a
// zero-fill of what they already hold; small and oversized frames are not kept; the pool is
// bounded.
#include "cluster/broker/detail/frame_pool.h"

#include <gtest/gtest.h>

namespace meridian::broker::detail {
namespace {

TEST(FramePoolTest, ReusesAFetchSizedFrameAndKeepsItsBytes) {
  FramePool pool;
  std::vector<uint8_t> frame(FramePool::kMinBytes * 2, 0xAB);
  const uint8_t* storage = frame.data();
  pool.give(std::move(frame));
  ASSERT_EQ(pool.pooled(), 1u);
  auto again = pool.take(FramePool::kMinBytes);
  EXPECT_EQ(again.data(), storage);  // the same allocation
  ASSERT_EQ(again.size(), FramePool::kMinBytes);
  EXPECT_EQ(again.front(), 0xAB);  // not zero-filled: the taker overwrites every byte
  EXPECT_EQ(again.back(), 0xAB);
  EXPECT_EQ(pool.pooled(), 0u);
}

TEST(FramePoolTest, GrowsAReusedFrameWithZeroesOnlyBeyondItsOldSize) {
  FramePool pool;
  pool.give(std::vector<uint8_t>(FramePool::kMinBytes, 0xCD));
  auto frame = pool.take(FramePool::kMinBytes + 10);
  ASSERT_EQ(frame.size(), FramePool::kMinBytes + 10);
  EXPECT_EQ(frame[FramePool::kMinBytes - 1], 0xCD);
  EXPECT_EQ(frame[FramePool::kMinBytes], 0);
}

TEST(FramePoolTest, TakesTheLargestFrame) {
  FramePool pool;
  pool.give(std::vector<uint8_t>(FramePool::kMinBytes, 1));
  pool.give(std::vector<uint8_t>(FramePool::kMinBytes * 3, 3));
  pool.give(std::vector<uint8_t>(FramePool::kMinBytes * 2, 2));
  EXPECT_EQ(pool.take(100).front(), 3);
  EXPECT_EQ(pool.take(100).front(), 2);
  EXPECT_EQ(pool.take(100).front(), 1);
  EXPECT_EQ(pool.take(100).size(), 100u);  // empty pool: a fresh frame
}

TEST(FramePoolTest, KeepsNeitherSmallNorOversizedFramesAndIsBounded) {
  FramePool pool;
  pool.give(std::vector<uint8_t>(FramePool::kMinBytes - 1));
  pool.give(std::vector<uint8_t>(FramePool::kMaxBytes + 1));
  EXPECT_EQ(pool.pooled(), 0u);
  for (size_t i = 0; i < FramePool::kMaxFrames + 3; ++i) {
    pool.give(std::vector<uint8_t>(FramePool::kMinBytes));
  }
  EXPECT_EQ(pool.pooled(), FramePool::kMaxFrames);
}

}  // namespace
}  // namespace meridian::broker::detail
