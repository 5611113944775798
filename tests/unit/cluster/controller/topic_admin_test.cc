#include "cluster/controller/topic_admin.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "cluster/coord/embedded_ensemble.h"

namespace meridian::controller {
namespace {

using namespace std::chrono_literals;

std::vector<BrokerRack> brokers(int n) {
  std::vector<BrokerRack> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({BrokerId(i), std::nullopt});
  }
  return out;
}

std::vector<BrokerId> ids(std::initializer_list<int32_t> v) {
  std::vector<BrokerId> out;
  for (int32_t i : v) {
    out.emplace_back(i);
  }
  return out;
}

TEST(TopicAdmin, TopicNameRules) {
  EXPECT_TRUE(is_valid_topic_name("orders.v1_x-Y9"));
  EXPECT_TRUE(is_valid_topic_name(std::string(249, 'a')));
  EXPECT_FALSE(is_valid_topic_name(std::string(250, 'a')));
  EXPECT_FALSE(is_valid_topic_name(""));
  EXPECT_FALSE(is_valid_topic_name("."));
  EXPECT_FALSE(is_valid_topic_name(".."));
  EXPECT_FALSE(is_valid_topic_name("a/b"));
  EXPECT_FALSE(is_valid_topic_name("a b"));
}

// Kafka's AdminTest.testReplicaAssignment (rack-unaware, fixed start index 0).
TEST(TopicAdmin, RackUnawareAssignmentMatchesKafka) {
  auto a = assign_replicas(brokers(5), 10, 3, std::nullopt, 0);
  ASSERT_TRUE(a);
  ReplicaAssignment expected{ids({0, 1, 2}), ids({1, 2, 3}), ids({2, 3, 4}), ids({3, 4, 0}),
                             ids({4, 0, 1}), ids({0, 2, 3}), ids({1, 3, 4}), ids({2, 4, 0}),
                             ids({3, 0, 1}), ids({4, 1, 2})};
  EXPECT_EQ(*a, expected);
}

// Kafka's AdminRackAwareTest.testGetRackAlternatedBrokerList, seen through RF 1 with start 0:
// partition p is led by the p-th broker of the rack-alternated list.
TEST(TopicAdmin, RackAlternatedOrderMatchesKafka) {
  std::vector<BrokerRack> racks{{BrokerId(0), "rack1"}, {BrokerId(1), "rack3"},
                                {BrokerId(2), "rack3"}, {BrokerId(3), "rack2"},
                                {BrokerId(4), "rack2"}, {BrokerId(5), "rack1"}};
  auto a = assign_replicas(racks, 6, 1, std::nullopt, 0);
  ASSERT_TRUE(a);
  std::vector<BrokerId> leaders;
  for (const auto& replicas : *a) {
    leaders.push_back(replicas.front());
  }
  EXPECT_EQ(leaders, ids({0, 3, 1, 5, 4, 2}));
}

TEST(TopicAdmin, RackAwareAssignmentSpreadsAcrossRacks) {
  std::map<BrokerId, std::string> rack_of;
  std::vector<BrokerRack> racks;
  for (int i = 0; i < 6; ++i) {
    std::string rack = "rack" + std::to_string(i % 3);
    racks.push_back({BrokerId(i), rack});
    rack_of[BrokerId(i)] = rack;
  }
  for (uint64_t seed : {1u, 7u, 42u, 1234u}) {
    auto a = assign_replicas(racks, 12, 3, seed);
    ASSERT_TRUE(a) << "seed " << seed;
    std::map<BrokerId, int> leaders;
    for (const auto& replicas : *a) {
      ASSERT_EQ(replicas.size(), 3u);
      std::set<std::string> used;
      for (BrokerId r : replicas) {
        used.insert(rack_of[r]);
      }
      EXPECT_EQ(used.size(), 3u) << "seed " << seed;  // one replica per rack
      ++leaders[replicas.front()];
    }
    for (const auto& [broker, count] : leaders) {
      EXPECT_EQ(count, 2) << "seed " << seed << " broker " << broker;  // leaders spread evenly
    }
  }
  // Same seed, same answer (tests rely on it).
  EXPECT_EQ(*assign_replicas(racks, 5, 2, 9), *assign_replicas(racks, 5, 2, 9));
}

TEST(TopicAdmin, AssignmentRejectsBadInput) {
  EXPECT_EQ(assign_replicas(brokers(2), 1, 3).error(), errc::invalid_replication_factor);
  EXPECT_EQ(assign_replicas(brokers(2), 1, 0).error(), errc::invalid_replication_factor);
  EXPECT_EQ(assign_replicas(brokers(2), 0, 1).error(), errc::invalid_partitions);
  std::vector<BrokerRack> mixed{{BrokerId(0), "r"}, {BrokerId(1), std::nullopt}};
  EXPECT_EQ(assign_replicas(mixed, 1, 1).error(), errc::invalid_replica_assignment);
  auto single = assign_replicas(brokers(1), 3, 1, 5);
  ASSERT_TRUE(single);
  EXPECT_EQ(single->size(), 3u);
}

class TopicAdminStore : public ::testing::Test {
 protected:
  std::shared_ptr<coord::EmbeddedEnsemble> ensemble_ = coord::EmbeddedEnsemble::create();
  std::unique_ptr<coord::CoordinationStore> store_ = ensemble_->connect(10s);
};

TEST_F(TopicAdminStore, CreateWritesConfigAndAssignment) {
  auto a =
      create_topic(*store_, "orders", 4, 2, {{"retention.ms", "60000"}}, brokers(3), {.seed = 3});
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->size(), 4u);
  EXPECT_EQ(*read_assignment(*store_, "orders"), *a);
  auto config = store_->get(topic_config_path("orders"));
  ASSERT_TRUE(config);
  EXPECT_EQ(decode_topic_config(config->data)->at("retention.ms"), "60000");
  EXPECT_EQ(create_topic(*store_, "orders", 1, 1, {}, brokers(3)).error(),
            errc::topic_already_exists);
  // An existing topic answers "exists" even when too few brokers are alive for its RF.
  EXPECT_EQ(create_topic(*store_, "orders", 4, 2, {}, brokers(1)).error(),
            errc::topic_already_exists);
  EXPECT_EQ(create_topic(*store_, "wide", 1, 4, {}, brokers(3)).error(),
            errc::invalid_replication_factor);
  EXPECT_EQ(create_topic(*store_, "bad name", 1, 1, {}, brokers(3)).error(), errc::invalid_topic);
  // '.' and '_' collide in metric names: Kafka refuses the second.
  ASSERT_TRUE(create_topic(*store_, "a.b", 1, 1, {}, brokers(3)));
  EXPECT_EQ(create_topic(*store_, "a_b", 1, 1, {}, brokers(3)).error(), errc::invalid_topic);
  // validate_only writes nothing.
  ASSERT_TRUE(create_topic(*store_, "dry", 1, 1, {}, brokers(3), {.validate_only = true}));
  EXPECT_EQ(read_assignment(*store_, "dry").error(), errc::unknown_topic);
}

TEST_F(TopicAdminStore, DeleteMarksAndBlocksRecreation) {
  EXPECT_EQ(delete_topic(*store_, "ghost").error(), errc::unknown_topic);
  ASSERT_TRUE(create_topic(*store_, "t", 1, 1, {}, brokers(1)));
  ASSERT_TRUE(delete_topic(*store_, "t"));
  ASSERT_TRUE(delete_topic(*store_, "t"));  // twice is fine
  EXPECT_TRUE(store_->exists(delete_topic_path("t"))->has_value());
  EXPECT_EQ(create_topic(*store_, "t", 1, 1, {}, brokers(1)).error(), errc::topic_already_exists);
}

TEST_F(TopicAdminStore, CreatePartitionsExtendsAssignment) {
  auto before = create_topic(*store_, "grow", 2, 2, {}, brokers(3), {.seed = 11});
  ASSERT_TRUE(before);
  auto after = create_partitions(*store_, "grow", 5, brokers(3), 11);
  ASSERT_TRUE(after) << after.error().message();
  ASSERT_EQ(after->size(), 5u);
  EXPECT_EQ((*after)[0], (*before)[0]);  // existing partitions keep their replicas
  EXPECT_EQ((*after)[1], (*before)[1]);
  for (const auto& replicas : *after) {
    EXPECT_EQ(replicas.size(), 2u);
    EXPECT_NE(replicas[0], replicas[1]);
  }
  EXPECT_EQ(*read_assignment(*store_, "grow"), *after);
  EXPECT_EQ(create_partitions(*store_, "grow", 5, brokers(3)).error(), errc::invalid_partitions);
  EXPECT_EQ(create_partitions(*store_, "nope", 5, brokers(3)).error(), errc::unknown_topic);
}

TEST_F(TopicAdminStore, NoControllerIsNotController) {
  EXPECT_EQ(read_controller_id(*store_).error(), errc::not_controller);
}

TEST_F(TopicAdminStore, ReadLiveBrokers) {
  ASSERT_TRUE(coord::ensure_path(*store_, kBrokerIdsPath));
  BrokerRegistration b2{BrokerId(2), "h", 1, "r2", {}, 0};
  BrokerRegistration b1{BrokerId(1), "h", 2, std::nullopt, {}, 0};
  ASSERT_TRUE(store_->create(broker_path(b2.id), encode_broker(b2), coord::CreateMode::kEphemeral));
  ASSERT_TRUE(store_->create(broker_path(b1.id), encode_broker(b1), coord::CreateMode::kEphemeral));
  auto live = read_live_brokers(*store_);
  ASSERT_TRUE(live);
  ASSERT_EQ(live->size(), 2u);
  EXPECT_EQ((*live)[0].id, BrokerId(1));
  EXPECT_EQ((*live)[1].rack, "r2");
}

}  // namespace
}  // namespace meridian::controller
