// StopReplica on topic deletion is re-sent with a back-off to a live broker until it
// acknowledges, and given up for a broker that went away (its startup clean-up drops the logs).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "cluster/controller/controller.h"
#include "cluster/controller/topic_admin.h"
#include "tests/unit/cluster/controller/controller_test_util.h"

namespace meridian::controller {
namespace {

using namespace std::chrono_literals;
using test::wait_until;

// Refuses the first `failures[b]` StopReplica requests to broker b (all when negative).
class FlakyChannel final : public BrokerChannel {
 public:
  void send_leader_and_isr(BrokerId, protocol::LeaderAndIsrRequest) override {}
  void send_stop_replica(BrokerId, protocol::StopReplicaRequest) override {
    ADD_FAILURE() << "the controller must ask for an acknowledgement";
  }
  void send_stop_replica_acked(BrokerId to, protocol::StopReplicaRequest request,
                               DeliveryCallback done) override {
    bool ok;
    {
      std::lock_guard lock(mu_);
      int n = ++sent_[to.value];
      int fail = failures_.contains(to.value) ? failures_[to.value] : 0;
      ok = fail >= 0 && n > fail;
      EXPECT_TRUE(request.delete_partitions);
      EXPECT_EQ(request.topics.size(), 1u);
    }
    done(ok);  // on the caller's thread: the controller must only enqueue
  }
  void set_failures(int32_t broker, int n) {
    std::lock_guard lock(mu_);
    failures_[broker] = n;
  }
  int sent(int32_t broker) {
    std::lock_guard lock(mu_);
    return sent_[broker];
  }

 private:
  std::mutex mu_;
  std::map<int32_t, int> sent_;
  std::map<int32_t, int> failures_;
};

struct Member {
  std::unique_ptr<coord::CoordinationStore> store;
};

Member register_broker(coord::EmbeddedEnsemble& ensemble, int32_t id) {
  Member m{ensemble.connect(10s)};
  EXPECT_TRUE(coord::ensure_path(*m.store, kBrokerIdsPath));
  BrokerRegistration reg{BrokerId(id), "127.0.0.1", 9000 + id, std::nullopt, {}, now_ms()};
  EXPECT_TRUE(m.store->create(broker_path(BrokerId(id)), encode_broker(reg),
                              coord::CreateMode::kEphemeral));
  return m;
}

class StopReplicaRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = ensemble_->connect(10s);
    b1_ = register_broker(*ensemble_, 1);
    b2_ = register_broker(*ensemble_, 2);
    ControllerConfig config;
    config.broker_id = BrokerId(1);
    config.stop_replica_backoff = 20ms;
    config.stop_replica_backoff_max = 80ms;
    config.stop_replica_attempts = 6;
    controller_ = std::make_unique<Controller>(*b1_.store, config, channel_);
    controller_->start();
    ASSERT_TRUE(wait_until([&] { return controller_->live_brokers() == 2; }));
    auto live = read_live_brokers(*admin_);
    ASSERT_TRUE(live);
    ASSERT_TRUE(create_topic(*admin_, "doomed", 2, 2, {}, racks_of(*live), {.seed = 7}));
    ASSERT_TRUE(wait_until([&] {
      auto state = admin_->exists(partition_state_path("doomed", PartitionId(1)));
      return state && state->has_value();
    }));
  }
  void TearDown() override {
    controller_.reset();
    b1_.store->close();
    if (b2_.store) {
      b2_.store->close();
    }
  }

  std::shared_ptr<coord::EmbeddedEnsemble> ensemble_ = coord::EmbeddedEnsemble::create();
  std::unique_ptr<coord::CoordinationStore> admin_;
  Member b1_, b2_;
  FlakyChannel channel_;
  std::unique_ptr<Controller> controller_;
};

TEST_F(StopReplicaRetryTest, ResendsUntilAcknowledged) {
  channel_.set_failures(1, 0);
  channel_.set_failures(2, 3);  // three refusals, then an acknowledgement
  ASSERT_TRUE(delete_topic(*admin_, "doomed"));
  ASSERT_TRUE(wait_until([&] { return channel_.sent(2) == 4; }, 10s))
      << "sent to broker 2: " << channel_.sent(2);
  EXPECT_EQ(channel_.sent(1), 1);
  std::this_thread::sleep_for(300ms);  // well past the longest back-off: nothing more is sent
  EXPECT_EQ(channel_.sent(2), 4);
  EXPECT_EQ(channel_.sent(1), 1);
  EXPECT_EQ(controller_->stop_replica_retries(), 3u);
}

TEST_F(StopReplicaRetryTest, GivesUpAfterTheBoundedAttempts) {
  channel_.set_failures(2, -1);  // never acknowledges
  ASSERT_TRUE(delete_topic(*admin_, "doomed"));
  ASSERT_TRUE(wait_until([&] { return channel_.sent(2) == 6; }, 10s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(channel_.sent(2), 6);  // stop_replica_attempts in all
}

TEST_F(StopReplicaRetryTest, StopsForABrokerThatWentAway) {
  channel_.set_failures(2, -1);
  ASSERT_TRUE(delete_topic(*admin_, "doomed"));
  ASSERT_TRUE(wait_until([&] { return channel_.sent(2) >= 1; }, 10s));
  b2_.store->close();  // broker 2 dies: its startup clean-up will drop the logs
  b2_.store.reset();
  ASSERT_TRUE(wait_until([&] { return controller_->live_brokers() == 1; }, 10s));
  int after = channel_.sent(2);
  std::this_thread::sleep_for(300ms);
  EXPECT_LE(channel_.sent(2), after + 1);  // at most one already due when it died
  EXPECT_LT(channel_.sent(2), 6);
}

}  // namespace
}  // namespace meridian::controller
