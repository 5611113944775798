// cluster/client group APIs: ConsumerProtocol bytes against kafka-python's, the range assignor,
// and GroupClient/GroupMember end to end against a scripted coordinator (fake_coordinator.h)
// that decodes and encodes with the real protocol codecs.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>

#include "cluster/client/group_client.h"
#include "tests/integration/gateway_group_client/fake_coordinator.h"

namespace meridian::client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string hex(const std::vector<uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (uint8_t c : b) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

TEST(ConsumerProtocol, BytesMatchKafkaPython) {
  // kafka.coordinator.protocol ConsumerProtocolMemberMetadata.SCHEMA.encode((0,['a','bc'],b''))
  EXPECT_EQ(hex(encode_subscription({"a", "bc"})), "0000000000020001610002626300000000");
  // ConsumerProtocolMemberAssignment.SCHEMA.encode((0,[('t',[0,2])],b''))
  std::vector<TopicPartition> a{{"t", PartitionId(2)}, {"t", PartitionId(0)}};
  EXPECT_EQ(hex(encode_assignment(a)), "00000000000100017400000002000000000000000200000000");
  auto back = decode_assignment(encode_assignment(a));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].partition, PartitionId(0));
  EXPECT_EQ((*back)[1].partition, PartitionId(2));
  auto subs = decode_subscription(encode_subscription({"x"}));
  ASSERT_TRUE(subs);
  EXPECT_EQ(*subs, std::vector<std::string>{"x"});
  EXPECT_TRUE(decode_assignment({})->empty());
  std::vector<uint8_t> cut = encode_assignment(a);
  cut.resize(cut.size() - 3);
  EXPECT_FALSE(decode_assignment(cut));
}

TEST(RangeAssignor, MatchesKafkaRanges) {
  auto plan = range_assign({{"b", {"t", "u"}}, {"a", {"t"}}, {"c", {}}}, {{"t", 5}, {"u", 2}});
  ASSERT_EQ(plan.size(), 3u);
  auto ps = [](const std::vector<TopicPartition>& v) {
    std::vector<std::string> out;
    for (const auto& tp : v) out.push_back(tp.topic + std::to_string(tp.partition.value));
    return out;
  };
  EXPECT_EQ(ps(plan["a"]), (std::vector<std::string>{"t0", "t1", "t2"}));
  EXPECT_EQ(ps(plan["b"]), (std::vector<std::string>{"t3", "t4", "u0", "u1"}));
  EXPECT_TRUE(plan["c"].empty());
  auto unknown = range_assign({{"a", {"missing"}}}, {});
  EXPECT_TRUE(unknown["a"].empty());
}

// Built outside the coroutines: g++ 12 warns falsely on initializer lists in a coroutine frame.
std::vector<OffsetToCommit> commits(std::vector<std::pair<int32_t, int64_t>> items) {
  std::vector<OffsetToCommit> out;
  for (auto [p, o] : items) {
    out.push_back(OffsetToCommit{TopicPartition{"t", PartitionId(p)}, Offset(o), ""});
  }
  return out;
}

class GroupClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<testing::FakeCoordinator>(
        io_, std::map<std::string, int32_t>{{"t", 4}, {"u", 1}});
    ClientOptions o;
    o.bootstrap_servers = fake_->bootstrap();
    o.request_timeout = 5s;
    o.retry_backoff = 20ms;
    client_ = std::make_unique<Client>(io_.get_executor(), o);
    groups_ = std::make_unique<GroupClient>(*client_);
  }
  void TearDown() override {
    groups_.reset();
    client_->close();
    io_.poll();
  }

  template <class F>
  void run(F f) {
    auto done = asio::co_spawn(io_, std::move(f), asio::use_future);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (done.wait_for(0s) != std::future_status::ready) {
      io_.run_one_for(50ms);
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "test coroutine hung";
    }
    done.get();
  }

  static asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
  }

  asio::io_context io_;
  std::unique_ptr<testing::FakeCoordinator> fake_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<GroupClient> groups_;
};

TEST_F(GroupClientTest, CommitsFetchesListsDescribesAndDeletes) {
  run([&]() -> asio::awaitable<void> {
    const std::string g1 = "g1";
    auto coord = co_await groups_->find_coordinator(g1);
    EXPECT_TRUE(coord && *coord == BrokerId(1));
    std::vector<OffsetToCommit> offsets = commits({{0, 42}, {3, 7}});
    offsets[0].metadata = "meta";
    auto committed = co_await groups_->commit_offsets(g1, offsets);
    EXPECT_TRUE(committed) << committed.error().message();
    std::vector<TopicPartition> wanted{{"t", PartitionId(0)}, {"t", PartitionId(1)}};
    auto fetched = co_await groups_->fetch_offsets(g1, wanted);
    EXPECT_TRUE(fetched);
    if (fetched) {
      EXPECT_EQ(fetched->size(), 2u);
      const TopicPartition t0{"t", PartitionId(0)};
      const TopicPartition t1{"t", PartitionId(1)};
      EXPECT_EQ((*fetched)[t0].offset, Offset(42));
      EXPECT_EQ((*fetched)[t0].metadata, "meta");
      EXPECT_EQ((*fetched)[t1].offset, Offset(-1));
    }
    std::vector<TopicPartition> all;
    auto everything = co_await groups_->fetch_offsets(g1, all);
    EXPECT_TRUE(everything && everything->size() == 2u);
    auto listed = co_await groups_->list_groups();
    EXPECT_TRUE(listed && listed->size() == 1u && (*listed)[0].group_id == "g1");
    std::vector<std::string> names{"g1", "nope"};
    auto described = co_await groups_->describe_groups(names);
    EXPECT_TRUE(described && described->size() == 2u);
    if (described && described->size() == 2u) {
      EXPECT_EQ((*described)[0].state, "Empty");
      EXPECT_EQ((*described)[1].state, "Dead");
    }
    auto deleted = co_await groups_->delete_groups(names);
    EXPECT_TRUE(deleted && deleted->size() == 2u);
    if (deleted && deleted->size() == 2u) {
      EXPECT_FALSE((*deleted)[0].error);
      EXPECT_EQ(as_kafka_error((*deleted)[1].error), protocol::ErrorCode::kGroupIdNotFound);
    }
  });
}

TEST_F(GroupClientTest, TwoMembersRebalanceWithRangeAndFencedCommitFails) {
  run([&]() -> asio::awaitable<void> {
    GroupMemberOptions o;
    o.group_id = "g2";
    o.heartbeat_interval = 50ms;
    GroupMember a(*groups_, o);
    a.subscribe({"t"});
    auto first = co_await a.ensure_active();
    EXPECT_TRUE(first) << (first ? "" : first.error().message());
    if (!first) {
      co_return;
    }
    EXPECT_TRUE(first->leader);
    EXPECT_EQ(first->partitions.size(), 4u);
    const int32_t gen1 = first->generation_id;

    // B joins: A's heartbeat learns of the rebalance and A rejoins in the background.
    GroupMember b(*groups_, o);
    b.subscribe({"t"});
    auto second = co_await b.ensure_active();
    EXPECT_TRUE(second) << (second ? "" : second.error().message());
    if (!second) {
      co_return;
    }
    for (int i = 0; i < 100 && a.assignment().generation_id != second->generation_id; ++i) {
      co_await sleep_for(20ms);
    }
    EXPECT_EQ(a.assignment().generation_id, second->generation_id);
    EXPECT_GT(second->generation_id, gen1);
    EXPECT_EQ(a.assignment().partitions.size() + second->partitions.size(), 4u);
    EXPECT_EQ(second->partitions.size(), 2u);

    // A commit carrying the old generation is refused.
    std::vector<OffsetToCommit> stale = commits({{0, 1}});
    GroupGeneration old{gen1, a.assignment().member_id};
    const std::string g2 = "g2";
    auto refused = co_await groups_->commit_offsets(g2, stale, old);
    EXPECT_EQ(as_kafka_error(refused.error()), protocol::ErrorCode::kIllegalGeneration);
    auto ok = co_await a.commit(stale);
    EXPECT_TRUE(ok);

    std::vector<std::string> just_g2{g2};
    auto described = co_await groups_->describe_groups(just_g2);
    EXPECT_TRUE(described && (*described)[0].members.size() == 2u);
    if (described && (*described)[0].members.size() == 2u) {
      EXPECT_EQ((*described)[0].members[0].subscription, std::vector<std::string>{"t"});
      EXPECT_EQ((*described)[0].members[0].assignment.size() +
                    (*described)[0].members[1].assignment.size(),
                4u);
    }

    // B leaves: A gets everything back.
    auto left = co_await b.leave();
    EXPECT_TRUE(left);
    for (int i = 0; i < 100 && a.assignment().partitions.size() != 4u; ++i) {
      co_await sleep_for(20ms);
    }
    EXPECT_EQ(a.assignment().partitions.size(), 4u);
    auto a_left = co_await a.leave();
    EXPECT_TRUE(a_left);
  });
}

}  // namespace
}  // namespace meridian::client
