#include "cluster/controller/leader_election.h"

#include <gtest/gtest.h>

namespace meridian::controller {
namespace {

std::vector<BrokerId> ids(std::initializer_list<int32_t> v) {
  std::vector<BrokerId> out;
  for (int32_t i : v) {
    out.emplace_back(i);
  }
  return out;
}
std::set<BrokerId> set(std::initializer_list<int32_t> v) {
  auto list = ids(v);
  return {list.begin(), list.end()};
}

TEST(LeaderElection, InitialPicksFirstLiveReplica) {
  auto e = elect_initial(ids({3, 1, 2}), set({1, 2}));
  EXPECT_EQ(e.leader, BrokerId(1));
  EXPECT_EQ(e.isr, ids({1, 2}));
  auto none = elect_initial(ids({3, 1}), set({}));
  EXPECT_EQ(none.leader, BrokerId(-1));
  EXPECT_EQ(none.isr, ids({3, 1}));
}

TEST(LeaderElection, OfflineUsesAssignmentOrderAmongLiveIsr) {
  auto e = elect_offline(ids({1, 2, 3}), ids({3, 2, 1}), set({2, 3}), false);
  EXPECT_EQ(e.leader, BrokerId(2));  // assignment order, not ISR order
  EXPECT_EQ(e.isr, ids({3, 2}));
  EXPECT_FALSE(e.unclean);
}

TEST(LeaderElection, NoLiveIsrIsOfflineUnlessUnclean) {
  auto clean = elect_offline(ids({1, 2}), ids({1}), set({2}), false);
  EXPECT_EQ(clean.leader, BrokerId(-1));
  EXPECT_EQ(clean.isr, ids({1}));
  auto unclean = elect_offline(ids({1, 2}), ids({1}), set({2}), true);
  EXPECT_EQ(unclean.leader, BrokerId(2));
  EXPECT_EQ(unclean.isr, ids({2}));
  EXPECT_TRUE(unclean.unclean);
}

TEST(LeaderElection, ShutdownAndPreferred) {
  auto moved = elect_for_shutdown(ids({1, 2, 3}), ids({1, 2, 3}), set({1, 2, 3}), set({1}));
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->leader, BrokerId(2));
  EXPECT_EQ(moved->isr, ids({2, 3}));
  EXPECT_FALSE(elect_for_shutdown(ids({1, 2}), ids({1}), set({1, 2}), set({1})));
  auto preferred = elect_preferred(ids({1, 2}), ids({2, 1}), BrokerId(2), set({1, 2}), {});
  ASSERT_TRUE(preferred);
  EXPECT_EQ(preferred->leader, BrokerId(1));
  EXPECT_FALSE(elect_preferred(ids({1, 2}), ids({2}), BrokerId(2), set({1, 2}), {}));
  EXPECT_FALSE(elect_preferred(ids({1, 2}), ids({1, 2}), BrokerId(1), set({1, 2}), {}));
  EXPECT_FALSE(elect_preferred(ids({1, 2}), ids({2, 1}), BrokerId(2), set({1, 2}), set({1})));
}

}  // namespace
}  // namespace meridian::controller
