// Producer-state snapshots: the codec (round trip, every corruption detected), and a Partition
// restart where a producer that last wrote many segments ago is still accepted at its next
// sequence and its retry is still a duplicate, also when the newest snapshot is corrupt.
#include <filesystem>
#include <fstream>

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

ProducerBatchHeader header(int64_t pid, int16_t epoch, int32_t first, int32_t last, int64_t off) {
  return {ProducerId(pid), epoch, first, last, Offset(off), Offset(off + last - first)};
}

TEST(ProducerSnapshotCodec, RoundTripsAndDetectsEveryCorruption) {
  ProducerStateTable table;
  for (int i = 0; i < 8; ++i) {
    table.record(header(7, 2, i * 3, i * 3 + 2, 100 + i * 3), 5000 + i);
  }
  table.record(header(9, 0, 0, 0, 500), 6000);
  auto bytes = table.encode_snapshot();
  auto decoded = ProducerStateTable::decode_snapshot(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->size(), 2u);
  ASSERT_NE(decoded->find(ProducerId(7)), nullptr);
  EXPECT_EQ(decoded->find(ProducerId(7))->batches, table.find(ProducerId(7))->batches);
  EXPECT_EQ(decoded->find(ProducerId(7))->epoch, 2);
  EXPECT_EQ(decoded->find(ProducerId(7))->last_append_ms, 5007);
  EXPECT_EQ(decoded->encode_snapshot(), bytes);
  EXPECT_TRUE(ProducerStateTable::decode_snapshot(ProducerStateTable().encode_snapshot()));
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto flipped = bytes;
    flipped[i] ^= 0x10;
    EXPECT_FALSE(ProducerStateTable::decode_snapshot(flipped)) << "byte " << i;
  }
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(ProducerStateTable::decode_snapshot(std::span(bytes).first(n))) << n;
  }
}

class ProducerSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("meridian-snapshot-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    config_.segment_bytes = 400;  // ~3 batches a segment
    config_.retention_ms = -1;    // the batches carry 1970 timestamps
  }
  void TearDown() override {
    stop();
    fs::remove_all(dir_);
  }
  void stop() {
    if (partition_) {
      run(partition_->stop());
      partition_.reset();
    }
  }
  Partition& start() {
    auto log = log::PartitionLog::open(dir_, config_);
    partition_ = std::make_unique<Partition>(io_.get_executor(), "ids", PartitionId(0), BrokerId(1),
                                             std::move(log.value()), PartitionConfig{}, writer_);
    EXPECT_TRUE(run(partition_->apply_state(
        PartitionState{BrokerId(1), LeaderEpoch(1), {BrokerId(1)}, {BrokerId(1)}, 0})));
    return *partition_;
  }
  template <class T>
  T run(asio::awaitable<T> op) {
    return test::run_on(io_, std::move(op));
  }
  Result<AppendResult> produce(std::vector<uint8_t> batch) {
    return run(partition_->append_as_leader(batch, Acks::kLeader, 1000ms));
  }
  std::vector<fs::path> snapshots() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().extension() == ".snapshot") {
        out.push_back(e.path());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Producer 3 writes once (offsets 0..1), then producer 4 fills `segments`+ segments while the
  // maintenance pass runs as the broker's would.
  void write_history(int batches_of_4) {
    auto& p = start();
    ASSERT_TRUE(produce(idempotent_batch(3, 0, 0, 2, 40)));
    for (int i = 0; i < batches_of_4; ++i) {
      ASSERT_TRUE(produce(idempotent_batch(4, 1, i, 1, 40)));
      run(p.maintain());
    }
    ASSERT_GT(partition_->snapshot().log_end_offset.value, 2);
    stop();
  }

  fs::path dir_;
  log::LogConfig config_;
  asio::io_context io_;
  test::AcceptingIsrWriter writer_;
  std::unique_ptr<Partition> partition_;
};

TEST_F(ProducerSnapshotTest, SilentProducerIsAcceptedAfterRestart) {
  write_history(40);  // ~13 segments: far more than the old 4-segment rebuild window
  auto snaps = snapshots();
  ASSERT_FALSE(snaps.empty());
  EXPECT_LE(snaps.size(), log::PartitionLog::kMaxStateSnapshots);
  start();
  // The retry of producer 3's only batch is still a duplicate, acknowledged at offset 0.
  auto dup = produce(idempotent_batch(3, 0, 0, 2, 40));
  ASSERT_TRUE(dup) << dup.error().message();
  EXPECT_EQ(dup->base_offset, Offset(0));
  auto gap = produce(idempotent_batch(3, 0, 3, 1, 40));
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error(), producer_errc::out_of_order_sequence);
  auto next = produce(idempotent_batch(3, 0, 2, 1, 40));
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(next->base_offset, Offset(42));
  // Producer 4 continues too, and its last batch is a duplicate.
  auto dup4 = produce(idempotent_batch(4, 1, 39, 1, 40));
  ASSERT_TRUE(dup4);
  EXPECT_EQ(dup4->base_offset, Offset(41));
  ASSERT_TRUE(produce(idempotent_batch(4, 1, 40, 1, 40)));
}

TEST_F(ProducerSnapshotTest, CorruptNewestSnapshotFallsBackToAnOlderOne) {
  write_history(40);
  auto snaps = snapshots();
  ASSERT_GE(snaps.size(), 2u);
  std::ofstream(snaps.back(), std::ios::trunc) << "garbage";
  start();
  auto dup = produce(idempotent_batch(3, 0, 0, 2, 40));
  ASSERT_TRUE(dup) << dup.error().message();
  EXPECT_EQ(dup->base_offset, Offset(0));
  auto dup4 = produce(idempotent_batch(4, 1, 39, 1, 40));
  ASSERT_TRUE(dup4) << dup4.error().message();
  EXPECT_EQ(dup4->base_offset, Offset(41));
  ASSERT_TRUE(produce(idempotent_batch(3, 0, 2, 1, 40)));
}

TEST_F(ProducerSnapshotTest, EveryCorruptSnapshotMeansAFullReplayNotAFailure) {
  write_history(40);
  auto snaps = snapshots();
  ASSERT_FALSE(snaps.empty());
  for (const auto& path : snaps) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    f.put('\x7f');
  }
  start();
  auto dup = produce(idempotent_batch(3, 0, 0, 2, 40));
  ASSERT_TRUE(dup) << dup.error().message();
  EXPECT_EQ(dup->base_offset, Offset(0));
  auto next = produce(idempotent_batch(3, 0, 2, 1, 40));
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(next->base_offset, Offset(42));
}

}  // namespace
}  // namespace meridian::replication
