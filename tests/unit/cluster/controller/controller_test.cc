// The controller against a real embedded coordination tree: several sessions = several
// brokers; only the network channel is a recording double.
#include "cluster/controller/controller.h"

#include <algorithm>

#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include "cluster/controller/store_isr_writer.h"
#include "tests/unit/cluster/controller/controller_test_util.h"

namespace meridian::controller {
namespace {

using namespace std::chrono_literals;
using test::TestCluster;
using test::wait_until;

bool in(const std::vector<BrokerId>& ids, BrokerId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// A partition whose preferred leader is not `avoid` (the controller, usually).
int32_t partition_not_led_by(const ReplicaAssignment& a, int32_t avoid) {
  for (size_t p = 0; p < a.size(); ++p) {
    if (a[p].front().value != avoid) {
      return static_cast<int32_t>(p);
    }
  }
  return -1;
}

TEST(Controller, ExactlyOneWinsAndBumpsTheEpoch) {
  TestCluster cluster;
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto node = cluster.admin().get(kControllerPath);
  ASSERT_TRUE(node);
  EXPECT_EQ(decode_controller(node->data)->broker_id, BrokerId(cluster.active_id()));
  EXPECT_EQ(*read_controller_id(cluster.admin()), BrokerId(cluster.active_id()));
  EXPECT_EQ(*decode_controller_epoch(cluster.admin().get(kControllerEpochPath)->data), 1);
  EXPECT_EQ(cluster.active_controller()->controller_epoch(), 1);
  int active = 0;
  for (int id = 1; id <= 3; ++id) {
    active += cluster.broker(id).controller->is_active() ? 1 : 0;
  }
  EXPECT_EQ(active, 1);
}

TEST(Controller, TopicCreationElectsLeadersAndTellsEveryReplica) {
  TestCluster cluster;
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("orders", 3, 3);
  ASSERT_TRUE(cluster.wait_for_states("orders", 3));
  for (int32_t p = 0; p < 3; ++p) {
    auto s = cluster.state("orders", p);
    EXPECT_EQ(s->leader, assignment[p].front()) << "p" << p;
    EXPECT_EQ(s->isr, assignment[p]);
    EXPECT_EQ(s->leader_epoch, LeaderEpoch(0));
    EXPECT_EQ(s->controller_epoch, 1);
  }
  ASSERT_TRUE(wait_until([&] {
    for (int id = 1; id <= 3; ++id) {
      for (int32_t p = 0; p < 3; ++p) {
        if (!cluster.channel().last_state(BrokerId(id), "orders", p)) {
          return false;
        }
      }
    }
    return true;
  }));
  for (const auto& [to, request] : cluster.channel().leader_and_isr()) {
    EXPECT_EQ(request.controller_id, cluster.active_id());
    EXPECT_EQ(request.controller_epoch, 1);
    for (const auto& ts : request.topic_states) {
      for (const auto& ps : ts.partition_states) {
        EXPECT_TRUE(ps.is_new);
        EXPECT_EQ(ps.replicas.size(), 3u);
        auto leader = std::find_if(request.live_leaders.begin(), request.live_leaders.end(),
                                   [&](const auto& l) { return l.broker_id == ps.leader; });
        ASSERT_NE(leader, request.live_leaders.end());
        EXPECT_EQ(leader->port, 9000 + ps.leader);
      }
    }
  }
}

TEST(Controller, BrokerDeathElectsFromIsrWithNewEpoch) {
  TestCluster cluster;
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("t", 3, 3);
  ASSERT_TRUE(cluster.wait_for_states("t", 3));
  int32_t p = partition_not_led_by(assignment, cluster.active_id());
  ASSERT_GE(p, 0);
  BrokerId dead = assignment[p].front();
  cluster.kill_broker(dead.value);
  ASSERT_TRUE(wait_until([&] { return cluster.state("t", p)->leader != dead; }));
  auto s = cluster.state("t", p);
  EXPECT_EQ(s->leader, assignment[p][1]);  // next ISR member in assignment order
  EXPECT_EQ(s->leader_epoch, LeaderEpoch(1));
  EXPECT_FALSE(in(s->isr, dead));
  // Partitions it only followed: shrunk out of the ISR, same leader, epoch bumped.
  ASSERT_TRUE(wait_until([&] {
    for (int32_t q = 0; q < 3; ++q) {
      if (in(cluster.state("t", q)->isr, dead)) {
        return false;
      }
    }
    return true;
  }));
  for (int32_t q = 0; q < 3; ++q) {
    EXPECT_EQ(cluster.state("t", q)->leader_epoch, LeaderEpoch(1)) << "p" << q;
  }
  ASSERT_TRUE(wait_until([&] {
    auto told = cluster.channel().last_state(assignment[p][1], "t", p);
    return told && told->leader == assignment[p][1].value && told->leader_epoch == 1;
  }));
}

// Replicas {a, b}, ISR shrunk to {a} by the leader, then a dies.
struct NoLiveIsr {
  TestCluster cluster;
  ReplicaAssignment assignment;
  BrokerId a{-1};
  BrokerId b{-1};
  explicit NoLiveIsr(TopicConfig configs) {
    for (int id = 1; id <= 3; ++id) {
      cluster.start_broker(id);
    }
    EXPECT_TRUE(cluster.wait_for_controller());
    // Pick brokers that are not the controller so the counters stay on one controller.
    int32_t controller = cluster.active_id();
    auto live = read_live_brokers(cluster.admin());
    std::vector<BrokerRack> others;
    for (const auto& broker : *live) {
      if (broker.id.value != controller) {
        others.push_back({broker.id, std::nullopt});
      }
    }
    assignment =
        *controller::create_topic(cluster.admin(), "fragile", 1, 2, configs, others, {.seed = 1});
    a = assignment[0][0];
    b = assignment[0][1];
    EXPECT_TRUE(cluster.wait_for_states("fragile", 1));
    boost::asio::thread_pool pool(1);
    StoreIsrWriter writer(cluster.broker(a.value).store.operator*(), pool.get_executor());
    replication::PartitionState shrink{a, LeaderEpoch(0), {a}, assignment[0], 0};
    EXPECT_TRUE(writer.write_isr_blocking("fragile", PartitionId(0), shrink));
    EXPECT_TRUE(wait_until([&] {
      auto told = cluster.channel().last_state(b, "fragile", 0);
      return told && told->isr.size() == 1;
    }));
    cluster.kill_broker(a.value);
  }
};

TEST(Controller, NoLiveIsrMemberLeavesPartitionOfflineWhenUncleanDisabled) {
  NoLiveIsr setup(TopicConfig{});
  auto& cluster = setup.cluster;
  ASSERT_TRUE(wait_until([&] { return cluster.state("fragile", 0)->leader == BrokerId(-1); }));
  auto s = cluster.state("fragile", 0);
  EXPECT_EQ(s->isr, std::vector<BrokerId>{setup.a});  // the last ISR is kept
  EXPECT_EQ(s->leader_epoch, LeaderEpoch(1));
  EXPECT_EQ(cluster.active_controller()->unclean_elections(), 0u);
  // The stats follow the write on the event thread.
  EXPECT_TRUE(wait_until([&] { return cluster.active_controller()->offline_partitions() == 1; }));
  // The ISR member returns: it leads again (a clean election).
  cluster.start_broker(setup.a.value);
  ASSERT_TRUE(wait_until([&] { return cluster.state("fragile", 0)->leader == setup.a; }));
  EXPECT_EQ(cluster.state("fragile", 0)->leader_epoch, LeaderEpoch(2));
  ASSERT_TRUE(wait_until([&] { return cluster.active_controller()->offline_partitions() == 0; }));
}

TEST(Controller, NoLiveIsrMemberElectsAnyReplicaWhenUncleanEnabled) {
  NoLiveIsr setup(TopicConfig{{"unclean.leader.election.enable", "true"}});
  auto& cluster = setup.cluster;
  ASSERT_TRUE(wait_until([&] { return cluster.state("fragile", 0)->leader == setup.b; }));
  auto s = cluster.state("fragile", 0);
  EXPECT_EQ(s->isr, std::vector<BrokerId>{setup.b});
  EXPECT_EQ(s->leader_epoch, LeaderEpoch(1));
  EXPECT_EQ(cluster.active_controller()->unclean_elections(), 1u);
}

TEST(Controller, FailoverBumpsEpochAndRebuildsState) {
  TestCluster cluster;
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("t", 3, 3);
  ASSERT_TRUE(cluster.wait_for_states("t", 3));
  int32_t old_id = cluster.active_id();
  cluster.channel().clear();
  cluster.kill_broker(old_id);
  ASSERT_TRUE(cluster.wait_for_controller());
  Controller* next = cluster.active_controller();
  EXPECT_NE(cluster.active_id(), old_id);
  EXPECT_EQ(next->controller_epoch(), 2);
  EXPECT_EQ(*decode_controller_epoch(cluster.admin().get(kControllerEpochPath)->data), 2);
  for (int32_t p = 0; p < 3; ++p) {
    ASSERT_TRUE(wait_until([&] {
      auto s = cluster.state("t", p);
      return s->leader.value != old_id && !in(s->isr, BrokerId(old_id));
    })) << "p"
        << p;
  }
  // The partition the old controller led was re-elected under the new epoch.
  for (int32_t p = 0; p < 3; ++p) {
    if (assignment[p].front().value == old_id) {
      EXPECT_EQ(cluster.state("t", p)->controller_epoch, 2);
    }
  }
  // The survivors hear from the new controller about every replica they host.
  ASSERT_TRUE(wait_until([&] {
    for (int id = 1; id <= 3; ++id) {
      int32_t epoch = 0;
      if (id != old_id &&
          (!cluster.channel().last_state(BrokerId(id), "t", 0, &epoch) || epoch != 2)) {
        return false;
      }
    }
    return true;
  }));
}

TEST(Controller, SessionExpiryMakesTheControllerResign) {
  TestCluster cluster;
  for (int id = 1; id <= 2; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  int32_t old_id = cluster.active_id();
  Controller* old = cluster.active_controller();
  ASSERT_TRUE(cluster.broker(old_id).store->expire_session_for_test());
  ASSERT_TRUE(wait_until([&] { return !old->is_active(); }));
  ASSERT_TRUE(wait_until(
      [&] { return cluster.active_controller() != nullptr && cluster.active_id() != old_id; }));
  EXPECT_EQ(cluster.active_controller()->controller_epoch(), 2);
}

TEST(Controller, DeposedControllerWritesAreFenced) {
  TestCluster cluster;
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("t", 3, 3);
  ASSERT_TRUE(cluster.wait_for_states("t", 3));
  Controller* controller = cluster.active_controller();
  int32_t p = partition_not_led_by(assignment, cluster.active_id());
  // A newer controller (epoch 7) has taken over behind this one's back.
  ASSERT_TRUE(cluster.admin().set(kControllerEpochPath, encode_controller_epoch(7)));
  BrokerId dead = assignment[p].front();
  cluster.kill_broker(dead.value);
  // Its write under epoch 1 fails the multi's check; it resigns, wins again with epoch 8, and
  // only then does the election land, stamped with the new epoch.
  ASSERT_TRUE(wait_until([&] { return controller->fenced_writes() >= 1; }));
  ASSERT_TRUE(wait_until([&] { return cluster.state("t", p)->leader != dead; }));
  auto s = cluster.state("t", p);
  EXPECT_EQ(s->controller_epoch, 8);
  EXPECT_EQ(s->leader_epoch, LeaderEpoch(1));  // one election, not one per attempt
  EXPECT_EQ(*decode_controller_epoch(cluster.admin().get(kControllerEpochPath)->data), 8);
}

TEST(Controller, DeleteTopicStopsReplicasAndRemovesNodes) {
  TestCluster cluster;
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("doomed", 2, 2, {{"retention.ms", "1"}});
  ASSERT_TRUE(cluster.wait_for_states("doomed", 2));
  ASSERT_TRUE(delete_topic(cluster.admin(), "doomed"));
  ASSERT_TRUE(wait_until([&] {
    return !cluster.admin().exists(topic_path("doomed"))->has_value() &&
           !cluster.admin().exists(delete_topic_path("doomed"))->has_value();
  }));
  EXPECT_FALSE(cluster.admin().exists(topic_config_path("doomed"))->has_value());
  std::map<BrokerId, std::set<int32_t>> expected;
  for (size_t p = 0; p < assignment.size(); ++p) {
    for (BrokerId r : assignment[p]) {
      expected[r].insert(static_cast<int32_t>(p));
    }
  }
  std::map<BrokerId, std::set<int32_t>> stopped;
  for (const auto& [to, request] : cluster.channel().stop_replica()) {
    EXPECT_TRUE(request.delete_partitions);
    EXPECT_EQ(request.controller_epoch, 1);
    for (const auto& topic : request.topics) {
      EXPECT_EQ(topic.name, "doomed");
      stopped[to].insert(topic.partition_indexes.begin(), topic.partition_indexes.end());
    }
  }
  EXPECT_EQ(stopped, expected);
  // The name is free again.
  cluster.create_topic("doomed", 1, 1);
  ASSERT_TRUE(cluster.wait_for_states("doomed", 1));
}

TEST(Controller, IsrChangeNotificationIsPickedUpAndPushed) {
  TestCluster cluster;
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("t", 1, 3);
  ASSERT_TRUE(cluster.wait_for_states("t", 1));
  BrokerId leader = assignment[0][0];
  boost::asio::thread_pool pool(1);
  StoreIsrWriter writer(*cluster.broker(leader.value).store, pool.get_executor());
  replication::PartitionState shrink{
      leader, LeaderEpoch(0), {leader, assignment[0][2]}, assignment[0], 0};
  ASSERT_EQ(*writer.write_isr_blocking("t", PartitionId(0), shrink), 1);
  for (BrokerId r : assignment[0]) {
    ASSERT_TRUE(wait_until([&] {
      auto told = cluster.channel().last_state(r, "t", 0);
      return told && told->partition_epoch == 1 && told->isr.size() == 2;
    })) << "replica "
        << r;
  }
  ASSERT_TRUE(wait_until([&] { return cluster.admin().children(kIsrChangePath)->empty(); }));
  // The controller's view is fresh: a later election starts from the shrunk ISR.
  EXPECT_EQ(cluster.state("t", 0)->leader_epoch, LeaderEpoch(0));
}

TEST(Controller, PreferredLeaderElectionRestoresThePreferredReplica) {
  TestCluster cluster;
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("t", 3, 3);
  ASSERT_TRUE(cluster.wait_for_states("t", 3));
  int32_t p = partition_not_led_by(assignment, cluster.active_id());
  BrokerId preferred = assignment[p][0];
  cluster.kill_broker(preferred.value);
  ASSERT_TRUE(wait_until([&] { return cluster.state("t", p)->leader == assignment[p][1]; }));
  cluster.channel().clear();
  cluster.start_broker(preferred.value);
  // The returning broker learns every replica it hosts.
  ASSERT_TRUE(
      wait_until([&] { return cluster.channel().last_state(preferred, "t", p).has_value(); }));
  Controller* controller = cluster.active_controller();
  // Not yet in the ISR: nothing to do.
  EXPECT_EQ(*controller->elect_preferred_leaders(5s), 0);
  // The acting leader lets it back in (ISR expand), then the election moves leadership.
  auto s = *cluster.state("t", p);
  boost::asio::thread_pool pool(1);
  StoreIsrWriter writer(*cluster.broker(s.leader.value).store, pool.get_executor());
  auto isr = s.isr;
  isr.push_back(preferred);
  replication::PartitionState expand{s.leader, s.leader_epoch, isr, assignment[p],
                                     cluster.state_version("t", p)};
  ASSERT_TRUE(writer.write_isr_blocking("t", PartitionId(p), expand));
  ASSERT_TRUE(wait_until([&] {
    auto told = cluster.channel().last_state(preferred, "t", p);
    return told && told->isr.size() == 3;
  }));
  auto moved = controller->elect_preferred_leaders(5s);
  ASSERT_TRUE(moved) << moved.error().message();
  EXPECT_GE(*moved, 1);
  EXPECT_EQ(cluster.state("t", p)->leader, preferred);
  EXPECT_EQ(cluster.state("t", p)->leader_epoch, s.leader_epoch + 1);
}

TEST(Controller, ControlledShutdownMovesLeadershipAway) {
  TestCluster cluster;
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("t", 3, 3);
  ASSERT_TRUE(cluster.wait_for_states("t", 3));
  int32_t p = partition_not_led_by(assignment, cluster.active_id());
  BrokerId leaving = assignment[p][0];
  // Only the active controller answers.
  EXPECT_EQ(cluster.broker(leaving.value).controller->controlled_shutdown(leaving, 5s).error(),
            errc::not_controller);
  auto remaining = cluster.active_controller()->controlled_shutdown(leaving, 5s);
  ASSERT_TRUE(remaining) << remaining.error().message();
  EXPECT_EQ(*remaining, 0);
  for (int32_t q = 0; q < 3; ++q) {
    auto s = cluster.state("t", q);
    EXPECT_NE(s->leader, leaving) << "p" << q;
    EXPECT_FALSE(in(s->isr, leaving)) << "p" << q;
    EXPECT_EQ(s->leader_epoch, LeaderEpoch(1)) << "p" << q;
  }
  EXPECT_EQ(cluster.state("t", p)->leader, assignment[p][1]);
  auto told = cluster.channel().last_state(leaving, "t", p);
  ASSERT_TRUE(told);
  EXPECT_EQ(told->leader, assignment[p][1].value);  // it becomes a follower first
}

TEST(Controller, AddedPartitionsGetLeaders) {
  TestCluster cluster;
  for (int id = 1; id <= 2; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  cluster.create_topic("grow", 1, 2);
  ASSERT_TRUE(cluster.wait_for_states("grow", 1));
  auto live = read_live_brokers(cluster.admin());
  auto grown = create_partitions(cluster.admin(), "grow", 3, racks_of(*live), 5);
  ASSERT_TRUE(grown);
  ASSERT_TRUE(cluster.wait_for_states("grow", 3));
  for (int32_t p = 1; p < 3; ++p) {
    EXPECT_EQ(cluster.state("grow", p)->leader, (*grown)[p].front());
  }
}

TEST(Controller, BrokerBounceIsHandledAsDeathThenReturn) {
  TestCluster cluster;
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("t", 3, 3);
  ASSERT_TRUE(cluster.wait_for_states("t", 3));
  int32_t p = partition_not_led_by(assignment, cluster.active_id());
  BrokerId bouncer = assignment[p][0];
  // Gone and back at once: the controller may see only the new registration (a new creation
  // txid, Kafka's broker epoch) or both events; either way the old incarnation's leadership
  // ends and the new one hears about its replicas.
  cluster.kill_broker(bouncer.value);
  cluster.channel().clear();
  cluster.start_broker(bouncer.value);
  ASSERT_TRUE(wait_until([&] {
    auto s = cluster.state("t", p);
    return s->leader != bouncer && s->leader_epoch >= LeaderEpoch(1);
  }));
  ASSERT_TRUE(wait_until([&] {
    for (int32_t q = 0; q < 3; ++q) {
      if (!cluster.channel().last_state(bouncer, "t", q)) {
        return false;
      }
    }
    return true;
  }));
}

TEST(Controller, RackAwareTopicSpreadsReplicasAcrossRacks) {
  TestCluster cluster;
  std::map<BrokerId, std::string> rack_of;
  for (int id = 1; id <= 4; ++id) {
    std::string rack = id <= 2 ? "east-a" : "east-b";
    cluster.start_broker(id, rack);
    rack_of[BrokerId(id)] = rack;
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("spread", 8, 2);
  ASSERT_TRUE(cluster.wait_for_states("spread", 8));
  std::map<BrokerId, int> leaders;
  for (int32_t p = 0; p < 8; ++p) {
    ASSERT_EQ(assignment[p].size(), 2u);
    EXPECT_NE(rack_of[assignment[p][0]], rack_of[assignment[p][1]]) << "p" << p;
    ++leaders[cluster.state("spread", p)->leader];
  }
  EXPECT_EQ(leaders.size(), 4u);  // every broker leads some partition
}

TEST(Controller, PeriodicRebalanceMovesLeadershipBack) {
  ControllerConfig config;
  config.preferred_leader_interval = 50ms;
  TestCluster cluster(config);
  for (int id = 1; id <= 3; ++id) {
    cluster.start_broker(id);
  }
  ASSERT_TRUE(cluster.wait_for_controller());
  auto assignment = cluster.create_topic("t", 3, 3);
  ASSERT_TRUE(cluster.wait_for_states("t", 3));
  int32_t p = partition_not_led_by(assignment, cluster.active_id());
  BrokerId preferred = assignment[p][0];
  ASSERT_TRUE(cluster.active_controller()->controlled_shutdown(preferred, 5s));
  EXPECT_NE(cluster.state("t", p)->leader, preferred);
  // The broker stays up after all: it re-registers (a new session), the leader lets it back
  // into the ISR, and the periodic election hands leadership back without an API call.
  cluster.kill_broker(preferred.value);
  cluster.start_broker(preferred.value);
  ASSERT_TRUE(
      wait_until([&] { return cluster.channel().last_state(preferred, "t", p).has_value(); }));
  auto s = *cluster.state("t", p);
  boost::asio::thread_pool pool(1);
  StoreIsrWriter writer(*cluster.broker(s.leader.value).store, pool.get_executor());
  auto isr = s.isr;
  isr.push_back(preferred);
  replication::PartitionState expand{s.leader, s.leader_epoch, isr, assignment[p],
                                     cluster.state_version("t", p)};
  ASSERT_TRUE(writer.write_isr_blocking("t", PartitionId(p), expand));
  ASSERT_TRUE(wait_until([&] { return cluster.state("t", p)->leader == preferred; }));
}

}  // namespace
}  // namespace meridian::controller
