// What only the ZooKeeper backend has: chroots, connection failures, and a server crash and
// restart that the session survives (the C client reconnects within the session timeout).

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "cluster/coord/coordination_store.h"
#include "tests/integration/coord_zookeeper/zookeeper_environment.h"
#include "tests/support/coord_test_util.h"

namespace meridian::test {
namespace {

using namespace std::chrono_literals;
using coord::CreateMode;
using coord::errc;
using coord::SessionState;

coord::CoordConfig zk_config(const std::string& suffix = "",
                             std::chrono::milliseconds timeout = 4s) {
  coord::CoordConfig config;
  config.backend = "zookeeper";
  config.connect = zookeeper().connect_string() + suffix;
  config.session_timeout = timeout;
  return config;
}

std::string unique(const std::string& name) {
  static int run = 0;  // --gtest_repeat reuses the server
  return "/zk-" + std::to_string(::getpid()) + "-" + std::to_string(run++) + "-" + name;
}

TEST(ZooKeeperStore, ChrootIsCreatedAndPathsAreRelativeToIt) {
  const std::string chroot = unique("chroot") + "/meridian/dc1";
  auto scoped = coord::make_store(zk_config(chroot));
  ASSERT_TRUE(scoped) << scoped.error().message();
  auto root = coord::make_store(zk_config());
  ASSERT_TRUE(root);
  auto created = (*scoped)->create("/controller", "1", CreateMode::kEphemeral);
  ASSERT_TRUE(created);
  EXPECT_EQ(*created, "/controller");
  EXPECT_EQ((*root)->get(chroot + "/controller")->data, "1");
  EventLog events;
  ASSERT_FALSE((*scoped)->exists("/brokers", events.watcher())->has_value());
  ASSERT_TRUE((*root)->create(chroot + "/brokers", "", CreateMode::kPersistent));
  ASSERT_TRUE(events.wait_for(1));
  EXPECT_EQ(events.events()[0].path, "/brokers");
  EXPECT_EQ((*scoped)->children("/")->size(), 2u);  // controller, brokers: nothing above
}

TEST(ZooKeeperStore, UnreachableServerFailsWithinTheConnectTimeout) {
  coord::CoordConfig config = zk_config();
  config.connect = "127.0.0.1:1";  // privileged port: nothing listens there in a test sandbox
  config.connect_timeout = 500ms;
  const auto started = std::chrono::steady_clock::now();
  auto store = coord::make_store(config);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error(), errc::connection_loss);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST(ZooKeeperStore, SessionSurvivesAServerCrashAndRestart) {
  SessionLog log;
  auto store = coord::make_store(zk_config("", 20s), log.callback());
  ASSERT_TRUE(store);
  const auto session = (*store)->session_id();
  const std::string node = unique("survivor");
  ASSERT_TRUE((*store)->create(node, "v0", CreateMode::kEphemeral));
  log.clear();

  zookeeper().kill_for_test();
  ASSERT_TRUE(log.wait_for(SessionState::kDisconnected));
  EXPECT_EQ((*store)->state(), SessionState::kDisconnected);
  auto during = (*store)->get(node);
  ASSERT_FALSE(during);
  EXPECT_TRUE(during.error() == errc::connection_loss || during.error() == errc::operation_timeout)
      << during.error().message();

  ASSERT_TRUE(zookeeper().start());
  ASSERT_TRUE(log.wait_for(SessionState::kConnected));
  EXPECT_EQ((*store)->session_id(), session);
  auto after = (*store)->get(node);
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->stat.ephemeral_owner, session);
  EXPECT_TRUE((*store)->set(node, "v1", after->stat.version));
}

}  // namespace
}  // namespace meridian::test
