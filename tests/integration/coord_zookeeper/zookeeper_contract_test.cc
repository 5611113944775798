// The CoordinationStore contract against a real Apache ZooKeeper (one server per binary).

#include "tests/integration/coord_zookeeper/zookeeper_environment.h"
#include "tests/support/coord_store_contract.h"

namespace meridian::test {
namespace {

struct ZooKeeperBackend {
  coord::CoordConfig config() const {
    coord::CoordConfig config;
    config.backend = "zookeeper";
    config.connect = zookeeper().connect_string();
    config.session_timeout = std::chrono::seconds(4);
    return config;
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ZooKeeper, CoordStoreContract, ::testing::Types<ZooKeeperBackend>);

}  // namespace meridian::test
