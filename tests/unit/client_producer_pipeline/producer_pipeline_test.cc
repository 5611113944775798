#include "cluster/client/detail/producer_pipeline.h"

#include <gtest/gtest.h>

#include <climits>
#include <random>

#include "cluster/client/errc.h"

namespace meridian::client::detail {
namespace {

using protocol::ErrorCode;

const ProducerIdentity kId{7, 0, 1};
const std::error_code kOk{};
const std::error_code kNotLeader = kafka_error(ErrorCode::kNotLeaderOrFollower);
const std::error_code kOutOfOrder = kafka_error(ErrorCode::kOutOfOrderSequenceNumber);

TEST(ProducerPipelineTest, WindowHoldsMaxInFlightBatchesInOrder) {
  PartitionPipeline p(3, false, 5);
  for (uint64_t id = 1; id <= 5; ++id) {
    p.enqueue(id, 10);
  }
  for (uint64_t id = 1; id <= 3; ++id) {
    auto d = p.next(kId);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->batch, id);
    EXPECT_EQ(d->base_sequence, -1);  // no sequences without idempotence
  }
  EXPECT_FALSE(p.next(kId));  // window full
  EXPECT_EQ(p.on_response(1, kOk).verdict, Verdict::kAcked);
  auto d = p.next(kId);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->batch, 4u);
}

TEST(ProducerPipelineTest, SequencesFollowRecordCountsAndWaitForAnId) {
  PartitionPipeline p(5, true, 5);
  p.enqueue(1, 3);
  p.enqueue(2, 4);
  p.enqueue(3, 1);
  EXPECT_FALSE(p.next(ProducerIdentity{}));  // no producer id yet
  auto a = p.next(kId);
  auto b = p.next(kId);
  auto c = p.next(kId);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->base_sequence, 0);
  EXPECT_EQ(b->base_sequence, 3);
  EXPECT_EQ(c->base_sequence, 7);
  EXPECT_EQ(a->producer_id, 7);
  EXPECT_TRUE(a->restamp);
  EXPECT_EQ(p.next_sequence(), 8);
}

TEST(ProducerPipelineTest, RetryWaitsForTheWindowAndResendsFromTheFailedBatchInOrder) {
  PartitionPipeline p(5, true, 5);
  for (uint64_t id = 1; id <= 4; ++id) {
    p.enqueue(id, 2);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(p.next(kId));
  }
  // Batch 1 hits a leader change; 2 and 3 come back out of order behind it.
  auto first = p.on_response(1, kNotLeader);
  EXPECT_EQ(first.verdict, Verdict::kRetrying);
  EXPECT_FALSE(first.retry_due);
  EXPECT_FALSE(p.next(kId));  // nothing new while a retry is pending
  EXPECT_EQ(p.on_response(3, kOutOfOrder).verdict, Verdict::kRetrying);
  auto last = p.on_response(2, kOutOfOrder);
  EXPECT_EQ(last.verdict, Verdict::kRetrying);
  EXPECT_TRUE(last.retry_due);
  EXPECT_FALSE(last.reset_producer_id);
  p.resume();
  for (uint64_t id = 1; id <= 4; ++id) {
    auto d = p.next(kId);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->batch, id);
    EXPECT_EQ(d->base_sequence, static_cast<int32_t>(2 * (id - 1)));  // same sequences
    EXPECT_EQ(d->restamp, id == 4);  // retries are sent as stamped before
  }
}

TEST(ProducerPipelineTest, DuplicateSequenceIsASuccess) {
  PartitionPipeline p(5, true, 5);
  p.enqueue(1, 1);
  ASSERT_TRUE(p.next(kId));
  auto a = p.on_response(1, kafka_error(ErrorCode::kDuplicateSequenceNumber));
  EXPECT_EQ(a.verdict, Verdict::kAcked);
  EXPECT_FALSE(a.reset_producer_id);
}

TEST(ProducerPipelineTest, OutOfOrderOnTheNextExpectedBatchIsAGapAndResequences) {
  PartitionPipeline p(5, true, 5);
  p.enqueue(1, 2);
  p.enqueue(2, 2);
  ASSERT_TRUE(p.next(kId));
  ASSERT_TRUE(p.next(kId));
  EXPECT_EQ(p.on_response(1, kOk).verdict, Verdict::kAcked);
  // Batch 2 (seq 2) is what the broker expects next: its OUT_OF_ORDER is a real gap.
  auto a = p.on_response(2, kOutOfOrder);
  EXPECT_EQ(a.verdict, Verdict::kFailed);
  EXPECT_TRUE(a.reset_producer_id);
  p.enqueue(3, 5);
  EXPECT_FALSE(p.next(ProducerIdentity{}));
  auto d = p.next(ProducerIdentity{8, 0, 2});  // the new id restarts sequences at 0
  ASSERT_TRUE(d);
  EXPECT_EQ(d->producer_id, 8);
  EXPECT_EQ(d->base_sequence, 0);
}

TEST(ProducerPipelineTest, UnknownProducerIdBehindAFailedBatchIsRetried) {
  PartitionPipeline p(5, true, 5);
  p.enqueue(1, 1);
  p.enqueue(2, 1);
  ASSERT_TRUE(p.next(kId));
  ASSERT_TRUE(p.next(kId));
  EXPECT_EQ(p.on_response(1, make_error_code(errc::disconnected)).verdict, Verdict::kRetrying);
  auto a = p.on_response(2, kafka_error(ErrorCode::kUnknownProducerId));
  EXPECT_EQ(a.verdict, Verdict::kRetrying);
  EXPECT_TRUE(a.retry_due);
}

TEST(ProducerPipelineTest, NewIdentityWaitsForInFlightBatchesOfTheOldOne) {
  PartitionPipeline p(5, true, 5);
  p.enqueue(1, 1);
  p.enqueue(2, 1);
  ASSERT_TRUE(p.next(kId));
  const ProducerIdentity next{9, 0, 2};
  EXPECT_FALSE(p.next(next));  // batch 1 still in flight under id 7
  EXPECT_EQ(p.on_response(1, kOk).verdict, Verdict::kAcked);
  auto d = p.next(next);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->producer_id, 9);
  EXPECT_EQ(d->base_sequence, 0);
}

TEST(ProducerPipelineTest, TimeoutsAreRetriedOnlyWithIdempotence) {
  const auto timeout = make_error_code(errc::request_timeout);
  PartitionPipeline plain(1, false, 5);
  plain.enqueue(1, 1);
  ASSERT_TRUE(plain.next(kId));
  EXPECT_EQ(plain.on_response(1, timeout).verdict, Verdict::kFailed);
  PartitionPipeline idem(1, true, 5);
  idem.enqueue(1, 1);
  ASSERT_TRUE(idem.next(kId));
  EXPECT_EQ(idem.on_response(1, timeout).verdict, Verdict::kRetrying);
}

TEST(ProducerPipelineTest, RetriesAreBounded) {
  PartitionPipeline p(1, false, 2);
  p.enqueue(1, 1);
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSERT_TRUE(p.next(kId));
    auto a = p.on_response(1, kNotLeader);
    EXPECT_EQ(a.verdict, Verdict::kRetrying);
    p.resume();
  }
  ASSERT_TRUE(p.next(kId));
  EXPECT_EQ(p.on_response(1, kNotLeader).verdict, Verdict::kFailed);
  EXPECT_FALSE(p.next(kId));
}

TEST(ProducerPipelineTest, SequencesWrapAtInt32Max) {
  EXPECT_EQ(advance_sequence(INT32_MAX, 1), 0);
  EXPECT_EQ(advance_sequence(INT32_MAX - 1, 3), 1);
  EXPECT_EQ(advance_sequence(5, 10), 15);
}

// A simulated broker that appends only the batch carrying the next expected sequence (as the
// idempotent broker does) and fails answers at random: every batch ends up acknowledged
// exactly once and the appended sequences are contiguous from 0.
TEST(ProducerPipelineTest, RandomFailuresNeverReorderOrDuplicate) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  PartitionPipeline p(5, true, 1000);
  constexpr uint64_t kBatches = 200;
  for (uint64_t id = 1; id <= kBatches; ++id) {
    p.enqueue(id, static_cast<int32_t>(1 + id % 3));
  }
  int32_t broker_next = 0;
  std::vector<uint64_t> appended;
  std::vector<int> acked(kBatches + 1, 0);
  for (int round = 0; round < 100000 && (p.queued() > 0 || p.retry_pending()); ++round) {
    std::vector<Dispatch> window;
    while (auto d = p.next(kId)) {
      window.push_back(*d);
    }
    for (const auto& d : window) {
      const int32_t count = static_cast<int32_t>(1 + d.batch % 3);
      std::error_code answer;
      if (rng() % 4 == 0) {
        answer = kNotLeader;  // lost before the broker saw it
      } else if (d.base_sequence == broker_next) {
        appended.push_back(d.batch);
        broker_next += count;
        if (rng() % 5 == 0) {
          answer = make_error_code(errc::disconnected);  // appended, answer lost
        }
      } else if (d.base_sequence < broker_next) {
        answer = kafka_error(ErrorCode::kDuplicateSequenceNumber);
      } else {
        answer = kOutOfOrder;
      }
      auto action = p.on_response(d.batch, answer);
      ASSERT_NE(action.verdict, Verdict::kFailed) << "batch " << d.batch;
      if (action.verdict == Verdict::kAcked) {
        ++acked[d.batch];
      }
      if (action.retry_due) {
        p.resume();
      }
    }
  }
  ASSERT_EQ(appended.size(), kBatches);
  for (uint64_t id = 1; id <= kBatches; ++id) {
    EXPECT_EQ(appended[id - 1], id);
  }
  for (uint64_t id = 1; id <= kBatches; ++id) {
    EXPECT_EQ(acked[id], 1) << "batch " << id;
  }
}

}  // namespace
}  // namespace meridian::client::detail
