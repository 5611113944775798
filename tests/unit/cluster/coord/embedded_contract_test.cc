// The CoordinationStore contract against the embedded backend (a fresh ensemble per test).

#include "cluster/coord/embedded_ensemble.h"
#include "tests/support/coord_store_contract.h"

namespace meridian::test {
namespace {

struct EmbeddedBackend {
  std::shared_ptr<coord::EmbeddedEnsemble> ensemble = coord::EmbeddedEnsemble::create();

  coord::CoordConfig config() const {
    coord::CoordConfig config;
    config.backend = "embedded";
    config.session_timeout = std::chrono::seconds(4);
    config.ensemble = ensemble;
    return config;
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Embedded, CoordStoreContract, ::testing::Types<EmbeddedBackend>);

}  // namespace meridian::test
