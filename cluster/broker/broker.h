#pragma once
// Broker: one Kafka broker assembled from its parts (docs/design/cluster.md): the listener,
// the request dispatcher, the partitions it hosts, its session with the coordination store
// (registration under /brokers/ids), its Controller (active on one broker at a time), the
// metadata refresher and the channel the controller uses to reach brokers.
//
// Threads: one io_context run by `io_threads` threads (connections and partition strands), a
// small thread pool for blocking coordination-store calls, the controller's event thread and
// the metadata refresher's thread. Start-up errors are returned; nothing throws out.

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cluster/broker/broker_config.h"
#include "cluster/coord/coordination_store.h"
#include "common/result.h"

namespace meridian::broker {

class MetadataCache;
struct ClusterMetadata;
class MetadataRefresher;
class ReplicaManager;
class GroupCoordinator;
class RequestDispatcher;
class KafkaServer;
class StoreTopicAdmin;
class NetworkBrokerChannel;

struct BrokerOptions {
  BrokerConfig config;
  coord::CoordConfig coord;
  std::string cluster_id = "meridian";
  int io_threads = 1;
  // Prometheus metrics (broker_metrics.h) in admin::registry(), with these labels on every
  // series (`broker`, and `datacenter` in meridian dev). Off by default: tests hosting many
  // brokers in one process would otherwise share series.
  bool metrics = false;
  std::map<std::string, std::string> metric_labels;
  std::chrono::milliseconds metrics_interval{2000};
  // Called on the store's thread when the coordination session expired: the broker is no longer
  // registered and does not rejoin in-process. `meridian broker` exits non-zero so its
  // supervisor restarts it, rather than live on as a zombie (HBase region servers abort alike).
  std::function<void()> on_session_expired;
};

class Broker {
 public:
  explicit Broker(BrokerOptions options);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Opens the store session, starts the listener, registers the broker and joins the
  // controller election. Errors: address in use, store connection, bad listener.
  Result<void> start();
  // Controlled shutdown: hands leadership away (when another broker can take it), stops
  // serving, closes every log cleanly and ends the store session. Idempotent.
  void stop();

  // Test hook (`meridian dev`'s crash endpoint): to the other brokers this broker now looks
  // SIGKILLed. It closes its listener and every connection, stops its replica fetchers, its
  // controller (without releasing /controller), metadata refresher and background tasks, and
  // stops heartbeating its embedded-store session, which expires after the session timeout
  // (its ephemerals go, watches fire). Logs keep what was written. Embedded backend only:
  // false otherwise or when not serving. Afterwards only destruction is meaningful (no
  // controlled shutdown happens); a new Broker on the same log dir is the restart.
  bool crash_for_test();
  bool crashed() const noexcept;

  BrokerId id() const noexcept;
  uint16_t port() const noexcept;
  bool is_controller() const noexcept;

  // Read-only views for metrics and status; valid between start() and stop() (null before).
  const BrokerConfig& config() const noexcept;
  const ReplicaManager* replica_manager() const noexcept;
  const GroupCoordinator* group_coordinator() const noexcept;
  std::shared_ptr<const ClusterMetadata> metadata() const;

 private:
  void start_isr_expiration();

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::broker
