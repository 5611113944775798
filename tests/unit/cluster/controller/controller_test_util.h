#pragma once
// Test doubles for the controller: a BrokerChannel that records what each broker would
// receive, bounded polling waits, and a small in-process cluster on one EmbeddedEnsemble
// (one store session + one Controller per broker). Only the network channel is fake.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cluster/controller/broker_channel.h"
#include "cluster/controller/controller.h"
#include "cluster/controller/state_codec.h"
#include "cluster/controller/topic_admin.h"
#include "cluster/coord/embedded_ensemble.h"

namespace meridian::controller::test {

using namespace std::chrono_literals;

// Polls `pred` until it holds or `timeout` passes; the poll interval only bounds latency.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class RecordingChannel final : public BrokerChannel {
 public:
  void send_leader_and_isr(BrokerId to, protocol::LeaderAndIsrRequest request) override {
    std::lock_guard lock(mu_);
    leader_and_isr_.emplace_back(to, std::move(request));
  }
  void send_stop_replica(BrokerId to, protocol::StopReplicaRequest request) override {
    std::lock_guard lock(mu_);
    stop_replica_.emplace_back(to, std::move(request));
  }
  std::vector<std::pair<BrokerId, protocol::LeaderAndIsrRequest>> leader_and_isr() const {
    std::lock_guard lock(mu_);
    return leader_and_isr_;
  }
  std::vector<std::pair<BrokerId, protocol::StopReplicaRequest>> stop_replica() const {
    std::lock_guard lock(mu_);
    return stop_replica_;
  }
  // The newest partition state `to` was told for topic/partition, if any.
  std::optional<protocol::LeaderAndIsrRequest::PartitionState> last_state(
      BrokerId to, const std::string& topic, int32_t partition,
      int32_t* controller_epoch = nullptr) const {
    std::lock_guard lock(mu_);
    for (auto it = leader_and_isr_.rbegin(); it != leader_and_isr_.rend(); ++it) {
      if (it->first != to) {
        continue;
      }
      for (const auto& ts : it->second.topic_states) {
        for (const auto& ps : ts.partition_states) {
          if (ts.topic_name == topic && ps.partition_index == partition) {
            if (controller_epoch != nullptr) {
              *controller_epoch = it->second.controller_epoch;
            }
            return ps;
          }
        }
      }
    }
    return std::nullopt;
  }
  void clear() {
    std::lock_guard lock(mu_);
    leader_and_isr_.clear();
    stop_replica_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<BrokerId, protocol::LeaderAndIsrRequest>> leader_and_isr_;
  std::vector<std::pair<BrokerId, protocol::StopReplicaRequest>> stop_replica_;
};

// One broker: a store session with its registration and a controller candidate.
struct TestBroker {
  std::shared_ptr<std::atomic<Controller*>> sink = std::make_shared<std::atomic<Controller*>>();
  std::unique_ptr<coord::CoordinationStore> store;
  std::unique_ptr<Controller> controller;
};

class TestCluster {
 public:
  explicit TestCluster(ControllerConfig defaults = {}) : defaults_(defaults) {
    admin_ = ensemble_->connect(10s);
  }
  ~TestCluster() {
    for (auto& [id, b] : brokers_) {
      b.store->close();  // no store callback starts after close(): the sink is safe to drop
      b.sink->store(nullptr);
      b.controller.reset();
      b.store.reset();
    }
  }

  void start_broker(int32_t id, std::optional<std::string> rack = std::nullopt) {
    TestBroker b;
    auto sink = b.sink;
    b.store = ensemble_->connect(10s, [sink](coord::SessionState s) {
      if (Controller* c = sink->load()) {
        c->on_session_event(s);
      }
    });
    (void)coord::ensure_path(*b.store, kBrokerIdsPath);
    BrokerRegistration reg{BrokerId(id), "127.0.0.1", 9000 + id, rack, {}, now_ms()};
    auto created = b.store->create(broker_path(BrokerId(id)), encode_broker(reg),
                                   coord::CreateMode::kEphemeral);
    if (!created) {
      throw std::runtime_error("register broker: " + created.error().message());
    }
    ControllerConfig config = defaults_;
    config.broker_id = BrokerId(id);
    b.controller = std::make_unique<Controller>(*b.store, config, channel_);
    sink->store(b.controller.get());
    b.controller->start();
    brokers_[id] = std::move(b);
  }

  // A crash: the session closes first (ephemerals go, others' watches fire), then the
  // controller object is torn down.
  void kill_broker(int32_t id) {
    auto& b = brokers_.at(id);
    b.store->close();
    b.sink->store(nullptr);
    b.controller.reset();
    b.store.reset();
    brokers_.erase(id);
  }

  Controller* active_controller() {
    for (auto& [id, b] : brokers_) {
      if (b.controller && b.controller->is_active()) {
        return b.controller.get();
      }
    }
    return nullptr;
  }
  int32_t active_id() {
    for (auto& [id, b] : brokers_) {
      if (b.controller && b.controller->is_active()) {
        return id;
      }
    }
    return -1;
  }
  bool wait_for_controller(std::chrono::milliseconds timeout = 10s) {
    // Active and aware of every registered broker, so elections see them all.
    return wait_until(
        [&] {
          Controller* c = active_controller();
          return c != nullptr && c->live_brokers() == brokers_.size();
        },
        timeout);
  }

  std::optional<PartitionStateData> state(const std::string& topic, int32_t p) {
    auto node = admin_->get(partition_state_path(topic, PartitionId(p)));
    if (!node) {
      return std::nullopt;
    }
    auto data = decode_partition_state(node->data);
    return data ? std::optional(*data) : std::nullopt;
  }
  int32_t state_version(const std::string& topic, int32_t p) {
    auto node = admin_->get(partition_state_path(topic, PartitionId(p)));
    return node ? node->stat.version.value : -1;
  }

  ReplicaAssignment create_topic(const std::string& name, int32_t partitions, int16_t rf,
                                 TopicConfig configs = {}) {
    auto live = read_live_brokers(*admin_);
    auto assignment = controller::create_topic(*admin_, name, partitions, rf, configs,
                                               racks_of(*live), {.seed = 42});
    if (!assignment) {
      throw std::runtime_error("create_topic: " + assignment.error().message());
    }
    return *assignment;
  }
  bool wait_for_states(const std::string& topic, int32_t partitions) {
    return wait_until([&] {
      for (int32_t p = 0; p < partitions; ++p) {
        if (!state(topic, p)) {
          return false;
        }
      }
      return true;
    });
  }

  coord::CoordinationStore& admin() { return *admin_; }
  RecordingChannel& channel() { return channel_; }
  TestBroker& broker(int32_t id) { return brokers_.at(id); }
  const std::shared_ptr<coord::EmbeddedEnsemble>& ensemble() { return ensemble_; }

 private:
  ControllerConfig defaults_;
  std::shared_ptr<coord::EmbeddedEnsemble> ensemble_ = coord::EmbeddedEnsemble::create();
  std::unique_ptr<coord::CoordinationStore> admin_;
  RecordingChannel channel_;
  std::map<int32_t, TestBroker> brokers_;
};

}  // namespace meridian::controller::test
