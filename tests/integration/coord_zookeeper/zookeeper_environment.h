#pragma once
// The one ZooKeeper server of this test binary (a gtest Environment: the JVM starts once).

#include "tests/support/zookeeper_fixture.h"

namespace meridian::test {

// Valid between the environment's SetUp and TearDown, i.e. inside every test.
ZooKeeperServer& zookeeper();

}  // namespace meridian::test
