#include "cluster/replication/partition.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>

#include "cluster/record/record.h"

namespace meridian::replication {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Records every ISR proposal and accepts it with the next partition epoch, as the store's CAS
// would when nobody else wrote the node.
class RecordingIsrWriter : public IsrWriter {
 public:
  asio::awaitable<Result<int32_t>> write_isr(const std::string&, PartitionId,
                                             PartitionState proposed) override {
    proposals.push_back(proposed.isr);
    if (reject) {
      co_return std::make_error_code(std::errc::operation_not_permitted);
    }
    co_return proposed.partition_epoch + 1;
  }
  std::vector<std::vector<BrokerId>> proposals;
  bool reject = false;
};

std::vector<uint8_t> batch_of(int records, const std::string& tag = "v") {
  record::RecordBatchBuilder b;
  for (int i = 0; i < records; ++i) {
    b.append(1000 + i, std::nullopt, tag + std::to_string(i));
  }
  return b.build().value();
}

class PartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("meridian-partition-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    for (auto& p : partitions_) {
      run(p->stop());
    }
    partitions_.clear();
    fs::remove_all(dir_);
  }

  Partition& make(BrokerId self, PartitionConfig config = {}) {
    auto log = log::PartitionLog::open(dir_ / std::to_string(self.value), log::LogConfig{});
    partitions_.push_back(std::make_unique<Partition>(io_.get_executor(), "orders", PartitionId(0),
                                                      self, std::move(log.value()), config,
                                                      writer_, [this](DataEvent e) {
                                                        ++data_events_;
                                                        events_.push_back(e);
                                                      }));
    partitions_.back()->set_clock_for_test([this] { return clock_; });
    return *partitions_.back();
  }

  // Runs one awaitable to completion on the test's io_context.
  template <class T>
  T run(asio::awaitable<T> op) {
    auto future = asio::co_spawn(io_, std::move(op), asio::use_future);
    io_.restart();
    while (future.wait_for(0s) != std::future_status::ready) {
      io_.run_one();
    }
    return future.get();
  }

  static PartitionState state(BrokerId leader, int epoch, std::vector<BrokerId> isr,
                              std::vector<BrokerId> replicas) {
    return PartitionState{leader, LeaderEpoch(epoch), std::move(isr), std::move(replicas), 0};
  }

  fs::path dir_;
  asio::io_context io_;
  RecordingIsrWriter writer_;
  std::vector<std::unique_ptr<Partition>> partitions_;
  std::chrono::steady_clock::time_point clock_ = std::chrono::steady_clock::now();
  int data_events_ = 0;
  std::vector<DataEvent> events_;
};

const BrokerId b1{1}, b2{2}, b3{3};

TEST_F(PartitionTest, SoleLeaderAcksAllImmediatelyAndHwFollowsLeo) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(state(b1, 1, {b1}, {b1}))));
  auto batch = batch_of(5);
  auto r = run(p.append_as_leader(batch, Acks::kAll, 1000ms));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->base_offset, Offset(0));
  EXPECT_EQ(r->last_offset, Offset(4));
  EXPECT_EQ(p.snapshot().high_watermark, Offset(5));
  EXPECT_GT(data_events_, 0);
}

TEST_F(PartitionTest, AcksAllWaitsForIsrFollowerThenCompletes) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(state(b1, 1, {b1, b2}, {b1, b2}))));
  auto batch = batch_of(3);
  auto future = asio::co_spawn(io_, p.append_as_leader(batch, Acks::kAll, 5000ms), asio::use_future);
  io_.restart();
  for (int i = 0; i < 50; ++i) {
    io_.poll();
  }
  EXPECT_NE(future.wait_for(0s), std::future_status::ready) << "acks=all returned before the ISR had it";
  EXPECT_EQ(p.snapshot().high_watermark, Offset(0));
  // Consumers see nothing above the HW.
  auto consumer = run(p.read(Offset(0), 1 << 20, std::nullopt));
  ASSERT_TRUE(consumer);
  EXPECT_EQ(consumer->data.total_bytes, 0u);
  // The follower fetches from 0 (gets the batch), then from 3: its LEO is 3, so HW = 3.
  auto f1 = run(p.read(Offset(0), 1 << 20, LeaderEpoch(1), b2));
  ASSERT_TRUE(f1);
  EXPECT_EQ(f1->data.total_bytes, batch.size());
  ASSERT_TRUE(run(p.read(Offset(3), 1 << 20, LeaderEpoch(1), b2)));
  while (future.wait_for(0s) != std::future_status::ready) {
    io_.run_one();
  }
  auto r = future.get();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(p.snapshot().high_watermark, Offset(3));
}

// Follower fetches wait for kAppended only, consumer fetches for kHighWatermark only: a leader
// append must announce kAppended (and not a HW move while the HW stays), a follower fetch that
// moves the HW must announce kHighWatermark and never kAppended (that woke every waiting
// follower fetch for nothing).
TEST_F(PartitionTest, AppendsAndHwMovesAnnounceTheirOwnEvents) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(state(b1, 1, {b1, b2}, {b1, b2}))));
  ASSERT_TRUE(run(p.read(Offset(0), 1 << 20, LeaderEpoch(1), b2)));  // b2's LEO is known: 0
  events_.clear();
  auto batch = batch_of(3);
  ASSERT_TRUE(run(p.append_only(batch, Acks::kAll)));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0], DataEvent::kAppended);
  events_.clear();
  ASSERT_TRUE(run(p.read(Offset(3), 1 << 20, LeaderEpoch(1), b2)));  // HW 0 -> 3
  EXPECT_EQ(p.snapshot().high_watermark, Offset(3));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0], DataEvent::kHighWatermark);
  events_.clear();
  ASSERT_TRUE(run(p.read(Offset(3), 1 << 20, LeaderEpoch(1), b2)));  // nothing moved
  EXPECT_TRUE(events_.empty());
  // A sole replica's append moves the HW at once: both kinds.
  auto& solo = make(b3);
  ASSERT_TRUE(run(solo.apply_state(state(b3, 1, {b3}, {b3}))));
  events_.clear();
  ASSERT_TRUE(run(solo.append_only(batch, Acks::kLeader)));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0], DataEvent::kBoth);
}

TEST_F(PartitionTest, AcksAllTimesOutWhenFollowerNeverFetches) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(state(b1, 1, {b1, b2}, {b1, b2}))));
  auto batch = batch_of(1);
  auto r = run(p.append_as_leader(batch, Acks::kAll, 30ms));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::request_timed_out);
  // acks=1 does not wait.
  auto batch2 = batch_of(1);
  EXPECT_TRUE(run(p.append_as_leader(batch2, Acks::kLeader, 30ms)));
}

TEST_F(PartitionTest, MinInsyncReplicasRejectsBeforeAppend) {
  auto& p = make(b1, PartitionConfig{2, 30000ms});
  ASSERT_TRUE(run(p.apply_state(state(b1, 1, {b1}, {b1, b2}))));
  auto batch = batch_of(2);
  auto r = run(p.append_as_leader(batch, Acks::kAll, 100ms));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::not_enough_replicas);
  EXPECT_EQ(p.snapshot().log_end_offset, Offset(0)) << "nothing may be appended";
  // acks=1 is not subject to min.insync.replicas.
  EXPECT_TRUE(run(p.append_as_leader(batch, Acks::kLeader, 100ms)));
}

TEST_F(PartitionTest, IsrShrinksAfterLagTimeAndExpandsWhenCaughtUp) {
  auto& p = make(b1, PartitionConfig{1, 1000ms});
  ASSERT_TRUE(run(p.apply_state(state(b1, 1, {b1, b2, b3}, {b1, b2, b3}))));
  auto batch = batch_of(4);
  ASSERT_TRUE(run(p.append_as_leader(batch, Acks::kLeader, 0ms)));
  ASSERT_TRUE(run(p.read(Offset(4), 1 << 20, LeaderEpoch(1), b2)));  // b2 caught up
  clock_ += 1500ms;
  ASSERT_TRUE(run(p.read(Offset(4), 1 << 20, LeaderEpoch(1), b2)));  // b2 still caught up
  EXPECT_EQ(run(p.maybe_shrink_isr()), 1u);                          // b3 never fetched
  ASSERT_FALSE(writer_.proposals.empty());
  EXPECT_EQ(writer_.proposals.back(), (std::vector<BrokerId>{b1, b2}));
  for (int i = 0; i < 10; ++i) io_.poll();
  EXPECT_EQ(p.snapshot().state.isr, (std::vector<BrokerId>{b1, b2}));
  EXPECT_EQ(p.snapshot().out_of_sync, (std::vector<BrokerId>{b3}));
  EXPECT_EQ(p.snapshot().high_watermark, Offset(4));
  // b3 catches up to the HW and rejoins.
  ASSERT_TRUE(run(p.read(Offset(4), 1 << 20, LeaderEpoch(1), b3)));
  for (int i = 0; i < 10; ++i) io_.poll();
  EXPECT_EQ(writer_.proposals.back(), (std::vector<BrokerId>{b1, b2, b3}));
  EXPECT_EQ(p.snapshot().state.isr.size(), 3u);
}

TEST_F(PartitionTest, RejectedIsrWriteKeepsTheOldIsr) {
  auto& p = make(b1, PartitionConfig{1, 10ms});
  ASSERT_TRUE(run(p.apply_state(state(b1, 1, {b1, b2}, {b1, b2}))));
  auto batch = batch_of(1);
  ASSERT_TRUE(run(p.append_as_leader(batch, Acks::kLeader, 0ms)));
  writer_.reject = true;
  clock_ += 100ms;
  EXPECT_EQ(run(p.maybe_shrink_isr()), 1u);
  for (int i = 0; i < 10; ++i) io_.poll();
  EXPECT_EQ(p.snapshot().state.isr.size(), 2u);
}

TEST_F(PartitionTest, EpochFencingOnReadsAndStaleStates) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(state(b1, 5, {b1}, {b1}))));
  auto old_epoch = run(p.read(Offset(0), 100, LeaderEpoch(4)));
  ASSERT_FALSE(old_epoch);
  EXPECT_EQ(old_epoch.error(), errc::fenced_leader_epoch);
  auto new_epoch = run(p.read(Offset(0), 100, LeaderEpoch(6)));
  ASSERT_FALSE(new_epoch);
  EXPECT_EQ(new_epoch.error(), errc::unknown_leader_epoch);
  auto stale = run(p.apply_state(state(b2, 4, {b2}, {b1, b2})));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error(), errc::stale_state);
}

TEST_F(PartitionTest, FollowerAppendsAtLeaderOffsetsAndTruncates) {
  auto& leader = make(b1);
  auto& follower = make(b2);
  ASSERT_TRUE(run(leader.apply_state(state(b1, 1, {b1}, {b1, b2}))));
  ASSERT_TRUE(run(follower.apply_state(state(b1, 1, {b1}, {b1, b2}))));
  auto a = batch_of(3, "a");
  auto b = batch_of(2, "b");
  ASSERT_TRUE(run(leader.append_as_leader(a, Acks::kLeader, 0ms)));
  ASSERT_TRUE(run(leader.append_as_leader(b, Acks::kLeader, 0ms)));
  auto fetched = run(leader.read(Offset(0), 1 << 20, LeaderEpoch(1), b2));
  ASSERT_TRUE(fetched);
  auto bytes = fetched->data.to_bytes().value();
  auto leo = run(follower.append_as_follower(bytes, fetched->high_watermark, LeaderEpoch(1)));
  ASSERT_TRUE(leo) << leo.error().message();
  EXPECT_EQ(*leo, Offset(5));
  // The follower's own epoch cache answers OffsetsForLeaderEpoch as the leader's does.
  auto end = run(leader.end_offset_for_epoch(LeaderEpoch(1), std::nullopt));
  ASSERT_TRUE(end);
  EXPECT_EQ(end->end_offset, Offset(5));
  // Client produce to a follower is refused.
  auto c = batch_of(1);
  auto refused = run(follower.append_as_leader(c, Acks::kLeader, 0ms));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), errc::not_leader);
  // A wrong-epoch append from a deposed leader is fenced.
  auto fenced = run(follower.append_as_follower({}, Offset(5), LeaderEpoch(0)));
  ASSERT_FALSE(fenced);
  EXPECT_EQ(fenced.error(), errc::fenced_leader_epoch);
  ASSERT_TRUE(run(follower.truncate_to(Offset(3))));
  EXPECT_EQ(follower.snapshot().log_end_offset, Offset(3));
}

TEST_F(PartitionTest, EpochBumpForSameLeaderKeepsPendingAcksAll) {
  // The controller drops a dead follower from the ISR and bumps the leader epoch (Kafka's
  // OfflineReplica transition); a waiting acks=all produce must complete, not fail.
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(state(b1, 1, {b1, b2, b3}, {b1, b2, b3}))));
  auto batch = batch_of(2);
  auto future = asio::co_spawn(io_, p.append_as_leader(batch, Acks::kAll, 10000ms), asio::use_future);
  io_.restart();
  for (int i = 0; i < 20; ++i) io_.poll();
  ASSERT_TRUE(run(p.read(Offset(2), 1 << 20, LeaderEpoch(1), b2)));  // b2 has it
  ASSERT_TRUE(run(p.apply_state(state(b1, 2, {b1, b2}, {b1, b2, b3}))));  // b3 dropped, epoch 2
  while (future.wait_for(0s) != std::future_status::ready) {
    io_.run_one();
  }
  auto r = future.get();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(p.snapshot().high_watermark, Offset(2));
}

TEST_F(PartitionTest, LosingLeadershipFailsPendingAcksAll) {
  auto& p = make(b1);
  ASSERT_TRUE(run(p.apply_state(state(b1, 1, {b1, b2}, {b1, b2}))));
  auto batch = batch_of(1);
  auto future = asio::co_spawn(io_, p.append_as_leader(batch, Acks::kAll, 10000ms), asio::use_future);
  io_.restart();
  for (int i = 0; i < 20; ++i) io_.poll();
  ASSERT_TRUE(run(p.apply_state(state(b2, 2, {b2}, {b1, b2}))));
  while (future.wait_for(0s) != std::future_status::ready) {
    io_.run_one();
  }
  auto r = future.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::not_leader);
}

}  // namespace
}  // namespace meridian::replication
