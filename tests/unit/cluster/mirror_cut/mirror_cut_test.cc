// Failback cut on a replicated mirror partition (partition_mirror.cc, docs/mirror.md): the
// leader cuts its log, bumps its leader epoch through the IsrWriter (same leader, ISR = {self}),
// and a follower holding the cut suffix learns from OffsetsForLeaderEpoch where to cut.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>

#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"
#include "cluster/replication/partition.h"

namespace meridian::replication {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Accepts ISR writes and epoch bumps with the next partition epoch (a CAS nobody raced), or
// rejects epoch bumps (a CAS that lost against a controller decision).
class BumpingIsrWriter : public IsrWriter {
 public:
  asio::awaitable<Result<int32_t>> write_isr(const std::string&, PartitionId,
                                             PartitionState proposed) override {
    co_return proposed.partition_epoch + 1;
  }
  asio::awaitable<Result<int32_t>> bump_leader_epoch(const std::string&, PartitionId,
                                                     PartitionState proposed) override {
    bumps.push_back(proposed);
    if (reject_bumps) {
      co_return std::make_error_code(std::errc::operation_not_permitted);
    }
    co_return proposed.partition_epoch + 1;
  }
  std::vector<PartitionState> bumps;
  bool reject_bumps = false;
};

std::vector<uint8_t> batch_of(int records, const std::string& tag) {
  record::RecordBatchBuilder b;
  for (int i = 0; i < records; ++i) {
    b.append(1000 + i, std::nullopt, tag + std::to_string(i));
  }
  return b.build().value();
}

const BrokerId b1{1}, b2{2}, b3{3};

class MirrorCutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("meridian-mirror-cut-test-" + std::to_string(::getpid()) + "-" +
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

  Partition& make(BrokerId self) {
    auto log = log::PartitionLog::open(dir_ / std::to_string(self.value), log::LogConfig{});
    partitions_.push_back(std::make_unique<Partition>(io_.get_executor(), "orders", PartitionId(0),
                                                      self, std::move(log.value()),
                                                      PartitionConfig{}, writer_));
    return *partitions_.back();
  }

  template <class T>
  T run(asio::awaitable<T> op) {
    auto future = asio::co_spawn(io_, std::move(op), asio::use_future);
    io_.restart();
    while (future.wait_for(0s) != std::future_status::ready) {
      io_.run_one();
    }
    return future.get();
  }

  static PartitionState state(BrokerId leader, int epoch, std::vector<BrokerId> isr) {
    return PartitionState{leader, LeaderEpoch(epoch), std::move(isr), {b1, b2, b3}, 0};
  }

  // Leader b1: [0..4] under epoch 1, [5..8] under epoch 2 (the suffix to cut); follower b2
  // holds all of it. Returns {leader, follower}.
  std::pair<Partition*, Partition*> diverged() {
    auto& leader = make(b1);
    auto& follower = make(b2);
    EXPECT_TRUE(run(leader.apply_state(state(b1, 1, {b1}))));
    EXPECT_TRUE(run(follower.apply_state(state(b1, 1, {b1}))));
    auto first = batch_of(5, "a");
    EXPECT_TRUE(run(leader.append_as_leader(first, Acks::kLeader, 1000ms)));
    EXPECT_TRUE(run(leader.apply_state(state(b1, 2, {b1}))));
    EXPECT_TRUE(run(follower.apply_state(state(b1, 2, {b1}))));
    auto suffix = batch_of(4, "suffix");
    EXPECT_TRUE(run(leader.append_as_leader(suffix, Acks::kLeader, 1000ms)));
    auto fetched = run(leader.read(Offset(0), 1 << 20, LeaderEpoch(2), b2));
    EXPECT_TRUE(fetched);
    auto bytes = fetched->data.to_bytes().value();
    EXPECT_TRUE(run(follower.append_as_follower(bytes, Offset(9), LeaderEpoch(2))));
    EXPECT_EQ(follower.snapshot().log_end_offset, Offset(9));
    return {&leader, &follower};
  }

  // The follower's KIP-101 step (replica_fetcher.cc's truncate_by_epoch) against `leader`.
  void follower_truncates(Partition& leader, Partition& follower, LeaderEpoch current) {
    auto local = run(follower.latest_local_epoch());
    ASSERT_TRUE(local);
    auto answer = run(leader.end_offset_for_epoch(*local, current));
    ASSERT_TRUE(answer) << answer.error().message();
    ASSERT_GE(answer->end_offset.value, 0) << "the leader must answer where our epoch ends";
    Offset end = answer->end_offset;
    if (answer->epoch < *local) {
      auto ours = run(follower.local_end_offset_for_epoch(answer->epoch));
      if (ours.end_offset.value >= 0) {
        end = std::min(end, ours.end_offset);
      }
    }
    if (end < follower.snapshot().log_end_offset) {
      ASSERT_TRUE(run(follower.truncate_to(end)));
    }
  }

  fs::path dir_;
  asio::io_context io_;
  BumpingIsrWriter writer_;
  std::vector<std::unique_ptr<Partition>> partitions_;
};

MirrorAppendOptions cut_at(int64_t offset) {
  MirrorAppendOptions o;
  o.truncate_to = Offset(offset);
  return o;
}

TEST_F(MirrorCutTest, CutBumpsEpochAndFollowerDropsTheSuffix) {
  auto [leader, follower] = diverged();
  auto cut = run(leader->append_mirror_as_leader({}, cut_at(5)));
  ASSERT_TRUE(cut) << cut.error().message();
  ASSERT_EQ(writer_.bumps.size(), 1u);
  EXPECT_EQ(writer_.bumps[0].leader_epoch, LeaderEpoch(2)) << "proposed from the current epoch";
  auto s = leader->snapshot();
  EXPECT_EQ(s.log_end_offset, Offset(5));
  EXPECT_EQ(s.state.leader, b1);
  EXPECT_EQ(s.state.leader_epoch, LeaderEpoch(3)) << "same leader, new epoch";
  EXPECT_EQ(s.state.isr, std::vector<BrokerId>{b1}) << "a follower with the suffix: not electable";
  // The controller's LeaderAndIsr reaches the follower; it asks about its epoch 2, which the cut
  // removed from the leader's cache: the answer must still be the cut point.
  ASSERT_TRUE(run(follower->apply_state(state(b1, 3, {b1}))));
  follower_truncates(*leader, *follower, LeaderEpoch(3));
  EXPECT_EQ(follower->snapshot().log_end_offset, Offset(5));
  // New records (the reverse mirror) start the new epoch at the cut point.
  auto next = batch_of(2, "west");
  record::set_base_offset(next, Offset(5));
  MirrorAppendOptions append;
  append.timeout = 1000ms;
  ASSERT_TRUE(run(leader->append_mirror_as_leader(next, append)));
  auto answer = run(leader->end_offset_for_epoch(LeaderEpoch(2), LeaderEpoch(3)));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->end_offset, Offset(5));
  EXPECT_EQ(run(leader->end_offset_for_epoch(LeaderEpoch(3), LeaderEpoch(3)))->end_offset,
            Offset(7));
}

TEST_F(MirrorCutTest, FailedBumpFencesAppendsUntilRetriedCutSucceeds) {
  auto [leader, follower] = diverged();
  writer_.reject_bumps = true;
  auto cut = run(leader->append_mirror_as_leader({}, cut_at(5)));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error(), make_error_code(errc::not_leader)) << "retriable for the mirror";
  EXPECT_EQ(leader->snapshot().log_end_offset, Offset(5)) << "the cut itself happened";
  EXPECT_EQ(leader->snapshot().state.leader_epoch, LeaderEpoch(2));
  // Nothing may land under the old epoch at the cut point: followers could not tell it apart.
  auto next = batch_of(1, "west");
  record::set_base_offset(next, Offset(5));
  MirrorAppendOptions append;
  append.timeout = 1000ms;
  auto refused = run(leader->append_mirror_as_leader(next, append));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), make_error_code(errc::not_leader));
  // The log-end query (an empty request) still answers.
  EXPECT_TRUE(run(leader->append_mirror_as_leader({}, MirrorAppendOptions{})));
  // The mirror retries the cut (the log already ends there): only the bump is left to do.
  writer_.reject_bumps = false;
  ASSERT_TRUE(run(leader->append_mirror_as_leader({}, cut_at(5))));
  EXPECT_EQ(leader->snapshot().state.leader_epoch, LeaderEpoch(3));
  ASSERT_TRUE(run(follower->apply_state(state(b1, 3, {b1}))));
  follower_truncates(*leader, *follower, LeaderEpoch(3));
  EXPECT_EQ(follower->snapshot().log_end_offset, Offset(5));
  ASSERT_TRUE(run(leader->append_mirror_as_leader(next, append)));
  EXPECT_EQ(leader->snapshot().log_end_offset, Offset(6));
}

TEST_F(MirrorCutTest, CutWithoutFollowersNeedsNoBump) {
  auto& leader = make(b1);
  ASSERT_TRUE(run(leader.apply_state(PartitionState{b1, LeaderEpoch(1), {b1}, {b1}, 0})));
  auto kept = batch_of(2, "a");
  auto cut = batch_of(4, "b");
  ASSERT_TRUE(run(leader.append_as_leader(kept, Acks::kLeader, 1000ms)));
  ASSERT_TRUE(run(leader.append_as_leader(cut, Acks::kLeader, 1000ms)));
  ASSERT_TRUE(run(leader.append_mirror_as_leader({}, cut_at(2))));
  EXPECT_TRUE(writer_.bumps.empty());
  EXPECT_EQ(leader.snapshot().log_end_offset, Offset(2));
  EXPECT_EQ(leader.snapshot().state.leader_epoch, LeaderEpoch(1));
}

}  // namespace
}  // namespace meridian::replication
