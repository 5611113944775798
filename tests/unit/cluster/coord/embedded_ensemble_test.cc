// What only the embedded backend has: many sessions on one tree, and expiry by timeout once a
// session's heartbeats are suspended (a hung broker in `meridian dev`).

#include "cluster/coord/embedded_ensemble.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/coord_test_util.h"

namespace meridian::coord {
namespace {

using namespace std::chrono_literals;
using test::EventLog;
using test::SessionLog;

TEST(EmbeddedEnsemble, SessionsShareOneTree) {
  auto ensemble = EmbeddedEnsemble::create();
  auto a = ensemble->connect(1s);
  auto b = ensemble->connect(1s);
  EXPECT_EQ(ensemble->live_session_count(), 2u);
  ASSERT_TRUE(a->create("/shared", "x", CreateMode::kPersistent));
  EXPECT_EQ(b->get("/shared")->data, "x");
  b->close();
  EXPECT_EQ(ensemble->live_session_count(), 1u);
  EXPECT_EQ(a->get("/shared")->data, "x");  // persistent nodes outlive their creator
}

TEST(EmbeddedEnsemble, SuspendedSessionExpiresAfterItsTimeout) {
  auto ensemble = EmbeddedEnsemble::create();
  SessionLog log;
  EventLog events;
  constexpr auto kTimeout = 300ms;
  auto hung = ensemble->connect(kTimeout, log.callback());
  auto observer = ensemble->connect(10s);
  ASSERT_TRUE(hung->create("/brokers", "", CreateMode::kPersistent));
  ASSERT_TRUE(hung->create("/brokers/1", "", CreateMode::kEphemeral));
  ASSERT_TRUE(observer->children("/brokers", events.watcher()));
  const auto suspended_at = std::chrono::steady_clock::now();
  ensemble->suspend_heartbeats_for_test(hung->session_id());
  ASSERT_TRUE(log.wait_for(SessionState::kExpired));
  EXPECT_GE(std::chrono::steady_clock::now() - suspended_at, kTimeout);
  ASSERT_TRUE(events.wait_for(1));
  EXPECT_EQ(events.events()[0].type, WatchEventType::kChildrenChanged);
  EXPECT_TRUE(observer->children("/brokers")->empty());
  EXPECT_EQ(hung->state(), SessionState::kExpired);
  EXPECT_EQ(ensemble->live_session_count(), 1u);
}

TEST(EmbeddedEnsemble, ResumedSessionDoesNotExpire) {
  auto ensemble = EmbeddedEnsemble::create();
  constexpr auto kTimeout = 100ms;
  auto session = ensemble->connect(kTimeout);
  ensemble->suspend_heartbeats_for_test(session->session_id());
  ensemble->resume_heartbeats_for_test(session->session_id());
  std::this_thread::sleep_for(3 * kTimeout);
  EXPECT_EQ(session->state(), SessionState::kConnected);
  EXPECT_TRUE(session->create("/alive", "", CreateMode::kEphemeral));
}

}  // namespace
}  // namespace meridian::coord
