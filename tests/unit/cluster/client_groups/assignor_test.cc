// The client-side assignors the group leader runs (cluster/client/assignors.cc, range in
// group_client.cc): the same plans as Kafka's RangeAssignor / RoundRobinAssignor, every
// subscribed partition assigned exactly once, and only to members subscribed to its topic.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "cluster/client/group_client.h"

namespace meridian::client {
namespace {

using Plan = std::map<std::string, std::vector<TopicPartition>>;
using Subs = std::map<std::string, std::vector<std::string>>;

std::vector<std::string> names(const std::vector<TopicPartition>& v) {
  std::vector<std::string> out;
  for (const auto& tp : v) {
    std::string name = tp.topic;  // appended, not operator+: g++ 12 -Wrestrict false positive
    name += std::to_string(tp.partition.value);
    out.push_back(std::move(name));
  }
  return out;
}

using Strings = std::vector<std::string>;

std::string label(char prefix, int i) {
  std::string s(1, prefix);
  s += std::to_string(i);
  return s;
}

TEST(RoundRobinAssignor, MatchesKafkaExample) {
  // Kafka's RoundRobinAssignor javadoc: C0, C1 both on t0 and t1 with 3 partitions each.
  auto plan = roundrobin_assign({{"C0", {"t0", "t1"}}, {"C1", {"t0", "t1"}}},
                                {{"t0", 3}, {"t1", 3}});
  EXPECT_EQ(names(plan["C0"]), (Strings{"t00", "t02", "t11"}));
  EXPECT_EQ(names(plan["C1"]), (Strings{"t01", "t10", "t12"}));
}

TEST(RoundRobinAssignor, SkipsMembersNotSubscribed) {
  // Kafka's javadoc, unequal subscriptions: C0 t0; C1 t0,t1; C2 t0,t1,t2 with 1, 2, 3 partitions.
  auto plan = roundrobin_assign({{"C0", {"t0"}}, {"C1", {"t0", "t1"}}, {"C2", {"t0", "t1", "t2"}}},
                                {{"t0", 1}, {"t1", 2}, {"t2", 3}});
  EXPECT_EQ(names(plan["C0"]), (Strings{"t00"}));
  EXPECT_EQ(names(plan["C1"]), (Strings{"t10"}));
  EXPECT_EQ(names(plan["C2"]), (Strings{"t11", "t20", "t21", "t22"}));
}

TEST(RangeAssignor, SixPartitionsThreeMembersThenTwo) {
  auto three = range_assign({{"a", {"t"}}, {"b", {"t"}}, {"c", {"t"}}}, {{"t", 6}});
  EXPECT_EQ(names(three["a"]), (Strings{"t0", "t1"}));
  EXPECT_EQ(names(three["b"]), (Strings{"t2", "t3"}));
  EXPECT_EQ(names(three["c"]), (Strings{"t4", "t5"}));
  auto two = range_assign({{"a", {"t"}}, {"c", {"t"}}}, {{"t", 7}});  // b was killed; t grew
  EXPECT_EQ(names(two["a"]), (Strings{"t0", "t1", "t2", "t3"}));
  EXPECT_EQ(names(two["c"]), (Strings{"t4", "t5", "t6"}));
}

TEST(AssignByProtocol, DispatchesOnTheChosenName) {
  Subs subs{{"a", {"t"}}, {"b", {"t"}}};
  std::map<std::string, int32_t> counts{{"t", 4}};
  EXPECT_EQ(names(assign_by_protocol("roundrobin", subs, counts)["a"]), (Strings{"t0", "t2"}));
  EXPECT_EQ(names(assign_by_protocol("range", subs, counts)["a"]), (Strings{"t0", "t1"}));
  EXPECT_EQ(names(assign_by_protocol("sticky-unknown", subs, counts)["a"]),
            (Strings{"t0", "t1"}));
}

// Random subscriptions: every partition of a subscribed, known topic goes to exactly one member
// subscribed to it; the counts per member differ by at most one within a topic (range) or overall
// (roundrobin with identical subscriptions).
TEST(Assignors, RandomSubscriptionsCoverEveryPartitionOnce) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  for (int round = 0; round < 200; ++round) {
    const int members = 1 + static_cast<int>(rng() % 6);
    const int topics = 1 + static_cast<int>(rng() % 4);
    Subs subs;
    std::map<std::string, int32_t> counts;
    for (int t = 0; t < topics; ++t) {
      counts[label('t', t)] = static_cast<int32_t>(rng() % 9);
    }
    for (int m = 0; m < members; ++m) {
      auto& mine = subs[label('m', m)];
      for (int t = 0; t < topics; ++t) {
        if (rng() % 3 != 0) {
          mine.push_back(label('t', t));
        }
      }
    }
    for (const char* name : {"range", "roundrobin"}) {
      Plan plan = assign_by_protocol(name, subs, counts);
      ASSERT_EQ(plan.size(), subs.size()) << name << " seed " << seed;
      std::set<TopicPartition> seen;
      for (const auto& [member, tps] : plan) {
        for (const auto& tp : tps) {
          ASSERT_TRUE(seen.insert(tp).second) << name << " twice: " << tp.topic << " seed " << seed;
          const auto& mine = subs[member];
          ASSERT_NE(std::find(mine.begin(), mine.end(), tp.topic), mine.end())
              << name << " seed " << seed;
        }
      }
      size_t expected = 0;
      for (const auto& [topic, n] : counts) {
        bool wanted = false;
        for (const auto& [member, ts] : subs) {
          wanted |= std::find(ts.begin(), ts.end(), topic) != ts.end();
        }
        expected += wanted ? static_cast<size_t>(n) : 0;
      }
      EXPECT_EQ(seen.size(), expected) << name << " seed " << seed;
    }
  }
}

TEST(RoundRobinAssignor, IdenticalSubscriptionsBalanceWithinOne) {
  auto plan = roundrobin_assign({{"a", {"x", "y"}}, {"b", {"x", "y"}}, {"c", {"x", "y"}}},
                                {{"x", 4}, {"y", 3}});
  size_t lo = SIZE_MAX, hi = 0;
  for (const auto& [m, tps] : plan) {
    lo = std::min(lo, tps.size());
    hi = std::max(hi, tps.size());
  }
  EXPECT_LE(hi - lo, 1u);
  EXPECT_EQ(names(plan["a"]), (Strings{"x0", "x3", "y2"}));
}

}  // namespace
}  // namespace meridian::client
