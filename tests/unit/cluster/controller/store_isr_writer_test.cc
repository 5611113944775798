#include "cluster/controller/store_isr_writer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "cluster/controller/state_codec.h"
#include "cluster/coord/embedded_ensemble.h"

namespace meridian::controller {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class StoreIsrWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PartitionStateData s{3, BrokerId(1), LeaderEpoch(5), {BrokerId(1), BrokerId(2), BrokerId(3)}};
    ASSERT_TRUE(coord::ensure_path(*store_, partition_path("t", PartitionId(0))));
    ASSERT_TRUE(store_->create(partition_state_path("t", PartitionId(0)), encode_partition_state(s),
                               coord::CreateMode::kPersistent));
  }
  // Runs the awaitable on an io_context thread, as a partition would.
  Result<int32_t> write(replication::PartitionState proposed) {
    asio::io_context io;
    auto future =
        asio::co_spawn(io, writer_.write_isr("t", PartitionId(0), proposed), asio::use_future);
    io.run();
    return future.get();
  }
  static replication::PartitionState proposal(int32_t partition_epoch) {
    replication::PartitionState p;
    p.leader = BrokerId(1);
    p.leader_epoch = LeaderEpoch(5);
    p.isr = {BrokerId(1), BrokerId(3)};
    p.replicas = {BrokerId(1), BrokerId(2), BrokerId(3)};
    p.partition_epoch = partition_epoch;
    return p;
  }

  std::shared_ptr<coord::EmbeddedEnsemble> ensemble_ = coord::EmbeddedEnsemble::create();
  std::unique_ptr<coord::CoordinationStore> store_ = ensemble_->connect(10s);
  asio::thread_pool pool_{1};
  StoreIsrWriter writer_{*store_, pool_.get_executor()};
};

TEST_F(StoreIsrWriterTest, WritesIsrKeepsLeaderAndNotifies) {
  auto written = write(proposal(0));
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(*written, 1);
  auto node = store_->get(partition_state_path("t", PartitionId(0)));
  ASSERT_TRUE(node);
  EXPECT_EQ(node->stat.version, coord::NodeVersion(1));
  auto state = decode_partition_state(node->data);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->isr, (std::vector<BrokerId>{BrokerId(1), BrokerId(3)}));
  EXPECT_EQ(state->leader, BrokerId(1));
  EXPECT_EQ(state->leader_epoch, LeaderEpoch(5));
  EXPECT_EQ(state->controller_epoch, 3);  // the leader never changes the controller's stamp
  auto notes = store_->children(kIsrChangePath);
  ASSERT_TRUE(notes);
  ASSERT_EQ(notes->size(), 1u);
  auto note = store_->get(std::string(kIsrChangePath) + "/" + notes->front());
  ASSERT_TRUE(note);
  auto tps = decode_isr_change(note->data);
  ASSERT_TRUE(tps);
  EXPECT_EQ(*tps, (std::vector<TopicPartition>{{"t", PartitionId(0)}}));
}

TEST_F(StoreIsrWriterTest, CasConflictIsAnErrorAndWritesNothing) {
  // The controller moved the state (version 1) after the leader read version 0.
  PartitionStateData moved{4, BrokerId(2), LeaderEpoch(6), {BrokerId(2), BrokerId(3)}};
  ASSERT_TRUE(
      store_->set(partition_state_path("t", PartitionId(0)), encode_partition_state(moved)));
  auto stale = write(proposal(0));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error(), errc::isr_conflict);
  // Right version but an old leader epoch: still a conflict.
  auto wrong_epoch = write(proposal(1));
  ASSERT_FALSE(wrong_epoch);
  EXPECT_EQ(wrong_epoch.error(), errc::isr_conflict);
  auto node = store_->get(partition_state_path("t", PartitionId(0)));
  EXPECT_EQ(*decode_partition_state(node->data), moved);
  auto notes = store_->children(kIsrChangePath);
  EXPECT_TRUE(!notes || notes->empty());
}

TEST_F(StoreIsrWriterTest, MissingPartitionIsAnError) {
  asio::io_context io;
  auto future =
      asio::co_spawn(io, writer_.write_isr("nope", PartitionId(0), proposal(0)), asio::use_future);
  io.run();
  auto result = future.get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), coord::errc::no_node);
}

}  // namespace
}  // namespace meridian::controller
