#include "cluster/coord/coordination_store.h"

#include <gtest/gtest.h>

#include "cluster/coord/embedded_ensemble.h"

namespace meridian::coord {
namespace {

TEST(CoordPath, ValidPaths) {
  for (const char* ok : {"/", "/a", "/brokers/ids/1", "/a-b_c.d", "/x/...", "/.hidden"}) {
    EXPECT_TRUE(is_valid_path(ok)) << ok;
  }
  for (const char* bad : {"", "a", "a/b", "/a/", "//", "/a//b", "/.", "/a/..", "/a/./b"}) {
    EXPECT_FALSE(is_valid_path(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_path(std::string_view("/a\0b", 4)));
}

TEST(CoordPath, ParentPath) {
  EXPECT_EQ(parent_path("/a"), "/");
  EXPECT_EQ(parent_path("/a/b"), "/a");
  EXPECT_EQ(parent_path("/brokers/topics/t/partitions/0/state"), "/brokers/topics/t/partitions/0");
}

TEST(CoordErrc, MessagesAndCategory) {
  std::error_code ec = errc::bad_version;
  EXPECT_EQ(std::string(ec.category().name()), "meridian.coord");
  EXPECT_NE(ec.message().find("version"), std::string::npos);
  EXPECT_EQ(ec, errc::bad_version);
  EXPECT_NE(std::error_code(errc::no_node), errc::node_exists);
}

TEST(CoordNames, ToString) {
  EXPECT_STREQ(to_string(SessionState::kExpired), "expired");
  EXPECT_STREQ(to_string(WatchEventType::kChildrenChanged), "children_changed");
}

TEST(CoordFactory, RejectsBadConfigs) {
  CoordConfig unknown;
  unknown.backend = "etcd";
  unknown.ensemble = EmbeddedEnsemble::create();
  EXPECT_EQ(make_store(unknown).error(), errc::bad_config);

  CoordConfig no_ensemble;
  EXPECT_EQ(make_store(no_ensemble).error(), errc::bad_config);

  CoordConfig zero_timeout;
  zero_timeout.ensemble = EmbeddedEnsemble::create();
  zero_timeout.session_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(make_store(zero_timeout).error(), errc::bad_config);

  CoordConfig zk_without_hosts;
  zk_without_hosts.backend = "zookeeper";
  EXPECT_EQ(make_store(zk_without_hosts).error(), errc::bad_config);
  zk_without_hosts.connect = "/only/a/chroot";
  EXPECT_EQ(make_store(zk_without_hosts).error(), errc::bad_config);
  zk_without_hosts.connect = "127.0.0.1:1/bad//chroot";
  EXPECT_EQ(make_store(zk_without_hosts).error(), errc::bad_config);
}

}  // namespace
}  // namespace meridian::coord
