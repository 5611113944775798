// Partition with idempotent producers: duplicates acknowledged at their first offsets, gaps
// refused, the state carried to a new leader through replication and rebuilt from the log after a
// restart or a truncation.
#include <filesystem>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "cluster/record/record.h"
#include "cluster/replication/partition.h"
#include "tests/unit/cluster/producer_state/producer_test_util.h"

namespace meridian::replication {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using test::idempotent_batch;
using namespace std::chrono_literals;

const BrokerId b1{1}, b2{2};

class PartitionProducersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("meridian-producers-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    stop_all();
    fs::remove_all(dir_);
  }
  void stop_all() {
    for (auto& p : partitions_) {
      run(p->stop());
    }
    partitions_.clear();
  }

  Partition& make(BrokerId self, log::LogConfig log_config = {}) {
    auto log = log::PartitionLog::open(dir_ / std::to_string(self.value), log_config);
    partitions_.push_back(std::make_unique<Partition>(io_.get_executor(), "ids", PartitionId(0),
                                                      self, std::move(log.value()),
                                                      PartitionConfig{}, writer_));
    return *partitions_.back();
  }

  template <class T>
  T run(asio::awaitable<T> op) {
    return test::run_on(io_, std::move(op));
  }

  Result<AppendResult> produce(Partition& p, std::vector<uint8_t> batch) {
    return run(p.append_as_leader(batch, Acks::kLeader, 1000ms));
  }

  static PartitionState state(BrokerId leader, int epoch) {
    return PartitionState{leader, LeaderEpoch(epoch), {b1, b2}, {b1, b2}, 0};
  }
  static PartitionState sole(BrokerId leader, int epoch) {
    return PartitionState{leader, LeaderEpoch(epoch), {leader}, {leader}, 0};
  }

  fs::path dir_;
  asio::io_context io_;
  test::AcceptingIsrWriter writer_;
  std::vector<std::unique_ptr<Partition>> partitions_;
};

TEST_F(PartitionProducersTest, DuplicateIsAcknowledgedAtItsOriginalOffsetWithoutAppend) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(sole(b1, 1))));
  ASSERT_TRUE(produce(p, idempotent_batch(5, 0, 0, 3)));
  auto second = produce(p, idempotent_batch(5, 0, 3, 2));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->base_offset, Offset(3));
  auto retry = produce(p, idempotent_batch(5, 0, 3, 2));
  ASSERT_TRUE(retry) << retry.error().message();
  EXPECT_EQ(retry->base_offset, Offset(3));
  EXPECT_EQ(retry->last_offset, Offset(4));
  EXPECT_EQ(p.snapshot().log_end_offset, Offset(5));
  // acks=all on a duplicate completes too (the HW is already past it).
  auto batch = idempotent_batch(5, 0, 0, 3);
  auto all = run(p.append_as_leader(batch, Acks::kAll, 1000ms));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->base_offset, Offset(0));
}

TEST_F(PartitionProducersTest, GapFencingAndUnknownProducerAreRefused) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(sole(b1, 1))));
  ASSERT_TRUE(produce(p, idempotent_batch(5, 1, 0, 3)));
  auto gap = produce(p, idempotent_batch(5, 1, 4, 1));
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error(), producer_errc::out_of_order_sequence);
  auto fenced = produce(p, idempotent_batch(5, 0, 3, 1));
  ASSERT_FALSE(fenced);
  EXPECT_EQ(fenced.error(), producer_errc::invalid_producer_epoch);
  auto unknown = produce(p, idempotent_batch(6, 0, 8, 1));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), producer_errc::unknown_producer_id);
  EXPECT_EQ(p.snapshot().log_end_offset, Offset(3));
  // Plain batches are untouched by all this.
  record::RecordBatchBuilder plain;
  plain.append(1, std::nullopt, "plain");
  ASSERT_TRUE(produce(p, plain.build().value()));
}

TEST_F(PartitionProducersTest, IdempotentProduceMustHoldOneBatch) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(sole(b1, 1))));
  auto two = idempotent_batch(5, 0, 0, 1);
  auto next = idempotent_batch(5, 0, 1, 1);
  two.insert(two.end(), next.begin(), next.end());
  auto r = produce(p, two);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), producer_errc::multiple_batches);
}

TEST_F(PartitionProducersTest, NewLeaderDedupsWhatItReplicated) {
  auto& leader = make(b1);
  auto& follower = make(b2);
  ASSERT_TRUE(run(leader.apply_state(state(b1, 1))));
  ASSERT_TRUE(run(follower.apply_state(state(b1, 1))));
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 4; ++i) {
    sent.push_back(idempotent_batch(9, 0, i * 2, 2));
    auto batch = sent.back();
    ASSERT_TRUE(run(leader.append_as_leader(batch, Acks::kLeader, 1000ms)));
  }
  auto fetched = run(leader.read(Offset(0), 1 << 20, LeaderEpoch(1), b2));
  ASSERT_TRUE(fetched);
  auto bytes = fetched->data.to_bytes().value();
  ASSERT_TRUE(run(follower.append_as_follower(bytes, fetched->high_watermark, LeaderEpoch(1))));
  // Failover: the follower leads epoch 2; the producer retries its last batch, then goes on.
  ASSERT_TRUE(run(follower.apply_state(state(b2, 2))));
  auto retry = produce(follower, sent.back());
  ASSERT_TRUE(retry) << retry.error().message();
  EXPECT_EQ(retry->base_offset, Offset(6));
  EXPECT_EQ(follower.snapshot().log_end_offset, Offset(8));
  auto next = produce(follower, idempotent_batch(9, 0, 8, 1));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->base_offset, Offset(8));
}

TEST_F(PartitionProducersTest, StateIsRebuiltFromTheLogAfterRestart) {
  log::LogConfig small;
  small.segment_bytes = 300;  // several segments, so the rebuild crosses segment files
  {
    auto& p = make(b1, small);
    ASSERT_TRUE(run(p.apply_state(sole(b1, 1))));
    for (int i = 0; i < 12; ++i) {
      ASSERT_TRUE(produce(p, idempotent_batch(3, 0, i * 2, 2)));
      ASSERT_TRUE(produce(p, idempotent_batch(4, 2, i, 1)));
    }
    stop_all();
  }
  auto& p = make(b1, small);
  ASSERT_TRUE(run(p.apply_state(sole(b1, 2))));
  auto entry = run(p.producer_entry(ProducerId(3)));
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->epoch, 0);
  EXPECT_EQ(entry->batches.size(), ProducerStateTable::kMaxCachedBatches);
  EXPECT_EQ(entry->batches.back().last_seq, 23);
  // Producer 3's last batch (offsets 33..34) is a duplicate, producer 4 continues at 12.
  auto dup = produce(p, idempotent_batch(3, 0, 22, 2));
  ASSERT_TRUE(dup) << dup.error().message();
  EXPECT_EQ(dup->base_offset, Offset(33));
  auto gap = produce(p, idempotent_batch(4, 2, 13, 1));
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error(), producer_errc::out_of_order_sequence);
  ASSERT_TRUE(produce(p, idempotent_batch(4, 2, 12, 1)));
}

TEST_F(PartitionProducersTest, TruncationForgetsTheCutBatches) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(sole(b1, 1))));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(produce(p, idempotent_batch(3, 0, i * 2, 2)));
  }
  ASSERT_TRUE(run(p.apply_state(state(b2, 2))));  // now a follower that must cut offsets 4..5
  ASSERT_TRUE(run(p.truncate_to(Offset(4))));
  auto entry = run(p.producer_entry(ProducerId(3)));
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->batches.back().last_seq, 3);
  // Leading again, the producer's retry of seq 4..5 is appended anew, not a duplicate.
  ASSERT_TRUE(run(p.apply_state(state(b1, 3))));
  auto again = produce(p, idempotent_batch(3, 0, 4, 2));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->base_offset, Offset(4));
  ASSERT_TRUE(run(p.reset_to(Offset(100))));
  EXPECT_FALSE(run(p.producer_entry(ProducerId(3))));
}

TEST_F(PartitionProducersTest, UpdateConfigChangesMinIsrAndLogConfig) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(sole(b1, 1))));
  PartitionConfig strict;
  strict.min_insync_replicas = 2;
  log::LogConfig log_config;
  log_config.retention_ms = 1234;
  ASSERT_TRUE(run(p.update_config(strict, log_config)));
  auto batch = idempotent_batch(1, 0, 0, 1);
  auto r = run(p.append_as_leader(batch, Acks::kAll, 100ms));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::not_enough_replicas);
  log::LogConfig bad;
  bad.segment_bytes = 0;
  EXPECT_FALSE(run(p.update_config(strict, bad)));
}

}  // namespace
}  // namespace meridian::replication
