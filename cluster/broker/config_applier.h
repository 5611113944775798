#pragma once
// ConfigApplier: makes topic config overrides (/config/topics/<t>) take effect on the partitions
// this broker hosts: retention.ms/bytes, segment.bytes/ms, flush.*, index.interval.bytes and
// min.insync.replicas (config_catalog.h). Kafka brokers learn of changes through
// /config/changes notifications; we watch each hosted topic's config node directly.
//
// A coroutine on the io executor wakes every kTick, reads the config of topics that are new
// here or whose node's watch fired (store calls on the blocking pool), and pushes the effective
// config to each partition that has not got it yet (a new or reopened partition included). All
// topics are re-read every kFullRefresh in case a watch was lost with a reconnect.
//
// A second loop runs each hosted partition's log maintenance (retention, time-based roll,
// flush.ms) every kMaintenanceTicks, so retention overrides are enforced (Kafka's
// log.retention.check.interval.ms, 5 min there; shorter here because a pass is cheap).
//
// `store` and `replicas` must outlive the applier; call stop() before they go.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cluster/broker/config_catalog.h"
#include "cluster/broker/replica_manager.h"
#include "cluster/coord/coordination_store.h"

namespace meridian::broker {

// The effective config of `topic`: its stored overrides (none without a node) on top of the
// base. nullopt when the node cannot be read or decoded. BLOCKING (one store read).
std::optional<EffectiveTopicConfig> read_effective_topic_config(
    coord::CoordinationStore& store, const std::string& topic, const log::LogConfig& base_log,
    const replication::PartitionConfig& base_partition);

class ConfigApplier {
 public:
  static constexpr std::chrono::milliseconds kTick{250};
  static constexpr int kFullRefreshTicks = 120;  // 30 s
  static constexpr int kMaintenanceTicks = 8;    // 2 s

  ConfigApplier(coord::CoordinationStore& store, boost::asio::any_io_executor io,
                boost::asio::any_io_executor blocking, ReplicaManager& replicas);
  ~ConfigApplier();

  void start();
  // Ends the loop; safe from any thread, idempotent. The loop may run one more pass.
  void stop();
  // Re-reads `topic`'s config at the next tick (AlterConfigs on this broker; watches).
  void trigger(const std::string& topic);

 private:
  using Overrides = std::map<std::string, std::string>;
  boost::asio::awaitable<void> run();
  // Its own loop, so a slow pass (fsyncs of many partitions) never delays a config change.
  boost::asio::awaitable<void> run_maintenance();
  boost::asio::awaitable<void> pass(bool full_refresh);
  // Blocking: reads and re-arms the watch of each topic's config node.
  std::map<std::string, Overrides> read_configs(const std::set<std::string>& topics);

  coord::CoordinationStore& store_;
  boost::asio::any_io_executor io_;
  boost::asio::any_io_executor blocking_;
  ReplicaManager& replicas_;
  std::shared_ptr<boost::asio::steady_timer> timer_;
  std::shared_ptr<boost::asio::steady_timer> maintenance_timer_;
  std::atomic<bool> stopped_{false};
  // The watch callbacks outlive nothing: they only touch this shared flag set.
  struct Dirty {
    std::mutex mutex;
    std::set<std::string> topics;
  };
  std::shared_ptr<Dirty> dirty_;
  // Only the loop touches these.
  std::map<std::string, Overrides> cache_;
  std::map<TopicPartition, std::pair<const replication::Partition*, EffectiveTopicConfig>> applied_;
};

}  // namespace meridian::broker
