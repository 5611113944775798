#include "tests/integration/coord_zookeeper/zookeeper_environment.h"

#include <gtest/gtest.h>

#include <memory>

namespace meridian::test {
namespace {

std::unique_ptr<ZooKeeperServer> g_server;

class ZooKeeperEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override {
    g_server = std::make_unique<ZooKeeperServer>();
    ASSERT_TRUE(g_server->start()) << "could not start ZooKeeper; see the log above";
  }
  void TearDown() override { g_server.reset(); }
};

[[maybe_unused]] auto* const g_environment =
    ::testing::AddGlobalTestEnvironment(new ZooKeeperEnvironment());

}  // namespace

ZooKeeperServer& zookeeper() { return *g_server; }

}  // namespace meridian::test
