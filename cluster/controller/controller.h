#pragma once
// Controller: the cluster's one active controller (DESIGN.md §3, docs/design/cluster.md), in
// Kafka's ZooKeeper-mode shape. Every broker runs one; the create race on the ephemeral
// /controller decides which is active. The winner bumps /controller_epoch by CAS, reads the
// whole tree, elects leaders, writes partition states fenced by multi(check /controller_epoch
// version, ...), and tells brokers through a BrokerChannel.
//
// Threading (Kafka's ControllerEventManager): one dedicated event thread owns ALL controller
// state. Store watch callbacks, session events and API calls only enqueue events; the thread
// runs them in order. Store calls block that thread, never an io_context thread.
// Lifetime: `store` and `channel` must outlive the controller (stop() or the destructor joins
// the thread). On session expiry the controller resigns for good: the owner builds a new store
// and a new Controller.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/controller/broker_channel.h"
#include "cluster/controller/leader_election.h"
#include "cluster/controller/state_codec.h"
#include "cluster/coord/coordination_store.h"
#include "common/result.h"

namespace meridian::controller {

struct ControllerConfig {
  BrokerId broker_id{-1};
  // Cluster default of unclean.leader.election.enable; /config/topics/<t> may override it.
  bool unclean_leader_election = false;
  // auto.leader.rebalance.enable + leader.imbalance.check.interval.seconds: check the leader
  // balance this often; zero disables.
  std::chrono::milliseconds preferred_leader_interval{0};
  // leader.imbalance.per.broker.percentage: a broker whose preferred partitions are led by
  // others above this share gets them back at the next check (Kafka's rule, per broker).
  int32_t imbalance_percentage = 10;
  // Back-off before retrying the election after an unexpected store error.
  std::chrono::milliseconds retry_backoff{500};
  // StopReplica (topic deletion) is re-sent to a live broker that did not acknowledge it, after
  // stop_replica_backoff doubling up to stop_replica_backoff_max, at most stop_replica_attempts
  // times in all. A broker that is down or restarted drops the logs itself when it starts.
  std::chrono::milliseconds stop_replica_backoff{200};
  std::chrono::milliseconds stop_replica_backoff_max{5000};
  int32_t stop_replica_attempts = 10;
};

class Controller {
 public:
  Controller(coord::CoordinationStore& store, ControllerConfig config, BrokerChannel& channel);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Starts the event thread and joins the election. Call once.
  void start();
  // Stops acting, releases /controller if held (so another broker takes over at once) and
  // joins the thread. Idempotent.
  void stop();
  // A crash as seen by the others (`meridian dev`'s crash hook): the event thread stops without
  // releasing /controller, which goes when the session expires. Idempotent with stop().
  void halt_for_test();
  // Forward the store's session events here: kExpired makes the controller resign.
  void on_session_event(coord::SessionState state);

  // Readable from any thread.
  bool is_active() const noexcept { return active_flag_.load(); }
  int32_t controller_epoch() const noexcept { return epoch_flag_.load(); }
  uint64_t unclean_elections() const noexcept { return unclean_elections_.load(); }
  uint64_t fenced_writes() const noexcept { return fenced_writes_.load(); }
  uint64_t offline_partitions() const noexcept { return offline_partitions_.load(); }
  // Brokers the active controller has seen register (0 while not active).
  uint64_t live_brokers() const noexcept { return live_brokers_.load(); }
  // StopReplica requests re-sent because a live broker did not acknowledge them.
  uint64_t stop_replica_retries() const noexcept { return stop_replica_retries_.load(); }

  // Blocking API (call from a thread pool). Errors: not_controller, timed_out, shutting_down.
  // Controlled shutdown: moves leadership of every partition `broker` leads to another live ISR
  // member and takes it out of the ISRs. Returns how many partitions it still leads (no other
  // ISR member); the broker retries or gives up, as Kafka's does.
  Result<int32_t> controlled_shutdown(BrokerId broker, std::chrono::milliseconds timeout);
  // The same, returning the partitions `broker` still leads (the ControlledShutdown response).
  Result<std::vector<TopicPartition>> controlled_shutdown_partitions(
      BrokerId broker, std::chrono::milliseconds timeout);
  // Moves leadership to the preferred replica where it is live and in sync; returns the count.
  Result<int32_t> elect_preferred_leaders(std::chrono::milliseconds timeout);

 private:
  struct Queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> events;
    bool closed = false;
  };
  struct PartitionEntry {
    PartitionStateData data;
    coord::NodeVersion version{0};
  };
  struct TopicEntry {
    ReplicaAssignment assignment;
  };
  using Decide = std::function<std::optional<PartitionStateData>(const TopicPartition&,
                                                                 const PartitionEntry*)>;

  static void push(const std::shared_ptr<Queue>& queue, std::function<void()> event);
  void enqueue(std::function<void()> event);
  // A one-shot watch that enqueues `handler` unless a newer term started meanwhile.
  coord::WatchCallback watch(std::function<void()> handler);
  template <class T>
  Result<T> call_blocking(std::function<Result<T>()> body, std::chrono::milliseconds timeout);
  void run();
  void tick();
  void shut_down(bool release);

  // Election and terms (controller.cc).
  void elect();
  void become_controller();
  Result<void> bump_epoch();
  void resign(bool release);
  bool handle_store_error(std::error_code ec, const char* what);

  // Reading the tree (controller_state.cc).
  bool load_all(std::vector<TopicPartition>& missing_states);
  Result<std::map<BrokerId, BrokerRegistration>> read_brokers(std::map<BrokerId, int64_t>& czxids);
  bool load_topic(const std::string& topic, std::vector<TopicPartition>& missing_states);
  void refresh_state(const TopicPartition& tp);
  std::set<BrokerId> live_ids() const;
  std::set<BrokerId> electable_ids() const;  // live and not in controlled shutdown
  bool unclean_allowed(const std::string& topic);

  // Writing states and telling brokers (controller_state.cc).
  std::vector<TopicPartition> update_partitions(const std::vector<TopicPartition>& tps,
                                                const Decide& decide);
  // A leader for a partition whose leader is gone (or -1); nullopt if nothing changes.
  std::optional<PartitionStateData> decide_leader(const TopicPartition& tp,
                                                  const PartitionEntry* current);
  // decide_leader, or else drop dead followers from the ISR (failover, broker failure).
  std::optional<PartitionStateData> decide_repair(const TopicPartition& tp,
                                                  const PartitionEntry* current);
  bool commit(const TopicPartition& tp, const PartitionStateData& next);
  void send_leader_and_isr(const std::vector<TopicPartition>& tps, const std::set<BrokerId>& to,
                           const std::set<TopicPartition>& is_new = {});
  void send_to_replicas(const std::vector<TopicPartition>& tps,
                        const std::set<TopicPartition>& is_new = {});
  void publish_stats();
  const std::vector<BrokerId>* replicas_of(const TopicPartition& tp) const;

  // Event handlers (controller_events.cc).
  void on_brokers_changed();
  void on_brokers_failed(const std::set<BrokerId>& dead);
  void on_brokers_started(const std::set<BrokerId>& started);
  void on_topics_changed();
  void on_topic_data_changed(const std::string& topic);
  void initialize_partitions(const std::vector<TopicPartition>& tps);
  void on_delete_topics();
  // StopReplica delivery with retries (controller_events.cc).
  struct PendingStopReplica {
    BrokerId broker{-1};
    int64_t broker_epoch = 0;
    protocol::StopReplicaRequest request;
    int32_t attempt = 0;
  };
  void send_stop_replica(PendingStopReplica pending);
  void on_stop_replica_result(PendingStopReplica pending, bool acknowledged);
  void retry_stop_replicas();
  bool delete_topic_nodes(const std::string& topic);
  void on_isr_changes();
  std::vector<TopicPartition> do_controlled_shutdown(BrokerId broker);
  // Preferred election for `only` (every partition when null).
  int32_t do_preferred_election(const std::set<TopicPartition>* only = nullptr);
  // Kafka's checkAndTriggerAutoLeaderRebalance: per preferred broker, above the imbalance share.
  void do_auto_rebalance();

  coord::CoordinationStore& store_;
  const ControllerConfig config_;
  BrokerChannel& channel_;
  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
  std::thread thread_;
  std::once_flag stopped_;

  // Event-thread state.
  bool active_ = false;
  bool dead_ = false;        // the session is gone: never act again
  uint64_t generation_ = 0;  // bumped per term; stale watches compare and drop
  int32_t epoch_ = 0;
  coord::NodeVersion epoch_version_{0};
  std::optional<std::chrono::steady_clock::time_point> retry_at_;
  std::chrono::steady_clock::time_point next_rebalance_{};
  std::map<BrokerId, BrokerRegistration> live_;
  std::map<BrokerId, int64_t> broker_czxid_;  // a changed czxid means the broker bounced
  std::map<std::string, TopicEntry> topics_;
  std::map<TopicPartition, PartitionEntry> states_;
  std::set<BrokerId> shutting_down_;
  std::multimap<std::chrono::steady_clock::time_point, PendingStopReplica> stop_replica_retry_;

  std::atomic<bool> active_flag_{false};
  std::atomic<int32_t> epoch_flag_{0};
  std::atomic<uint64_t> unclean_elections_{0};
  std::atomic<uint64_t> fenced_writes_{0};
  std::atomic<uint64_t> offline_partitions_{0};
  std::atomic<uint64_t> live_brokers_{0};
  std::atomic<uint64_t> stop_replica_retries_{0};
};

}  // namespace meridian::controller
