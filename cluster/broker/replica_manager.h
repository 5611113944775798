#pragma once
// ReplicaManager: the partitions this broker hosts, created and changed by the controller's
// LeaderAndIsr and StopReplica (docs/design/cluster.md). It opens each partition's log under the
// broker's log directory and fences requests from controllers older than the newest seen.
//
// Threading: the partition map is guarded by a mutex held only for lookups and inserts, never
// across I/O or an await. Partition work runs on each partition's strand.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <compare>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/log/log_types.h"
#include "cluster/replication/partition.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::broker {

struct TopicPartition {
  std::string topic;
  PartitionId partition;
  auto operator<=>(const TopicPartition&) const = default;
};

struct ReplicaManagerOptions {
  BrokerId self{0};
  std::filesystem::path log_dir;
  log::LogConfig log_config;
  replication::PartitionConfig partition_config;
  // Where deleted logs are removed, after the rename that hides them; unset: inline.
  std::optional<boost::asio::any_io_executor> blocking;
  // The topic's incarnation: the store's creation id of /brokers/topics/<t> (Kafka's topic id),
  // nullopt if the topic is gone or unknown. BLOCKING (runs on `blocking`). Set, it lets apply()
  // drop a log left by an older topic of the same name (deleted and re-created while this
  // broker missed the StopReplica).
  std::function<std::optional<int64_t>(const std::string& topic)> incarnation_of;
  // The topic's effective config: its stored overrides on top of log_config/partition_config;
  // nullopt if unreadable (ConfigApplier applies it later). BLOCKING (runs on `blocking`). Set,
  // a new partition opens with it, so its first appends already honour segment.bytes & co.
  // instead of waiting for the ConfigApplier's next pass.
  std::function<std::optional<std::pair<log::LogConfig, replication::PartitionConfig>>(
      const std::string& topic)>
      config_of;
};

// What the store says about one partition directory found at startup.
enum class LogFate { kKeep, kDelete };

class ReplicaManager {
 public:
  // `isr_writer` must outlive the manager; `on_data` is passed to every partition.
  ReplicaManager(boost::asio::any_io_executor executor, ReplicaManagerOptions options,
                 replication::IsrWriter& isr_writer,
                 std::function<void(replication::DataEvent)> on_data);
  ~ReplicaManager();

  // Controller epoch fencing (Kafka's STALE_CONTROLLER_EPOCH): false when `epoch` is older than
  // the newest epoch accepted so far; otherwise remembers it.
  bool accept_controller_epoch(int32_t epoch);

  // LeaderAndIsr for one partition: opens or creates its log, then applies the state.
  // Errors: stale_state, log open errors.
  boost::asio::awaitable<Result<void>> apply(TopicPartition tp, replication::PartitionState state);
  // StopReplica: stops the partition; with delete_log renames its directory to
  // `<topic>-<p>.<uuid>-delete` (so a re-created partition starts empty at once) and removes it
  // on the blocking executor, as Kafka does.
  boost::asio::awaitable<Result<void>> stop_replica(TopicPartition tp, bool delete_log);
  // Startup, before any apply() and before the broker registers: removes leftover `-delete`
  // directories and every partition directory `fate` condemns (topic deleted while this broker
  // was down, partition not assigned here, or a different incarnation). BLOCKING. Returns the
  // number of partition directories deleted.
  using FateFn = std::function<LogFate(const TopicPartition&, std::optional<int64_t> incarnation)>;
  size_t remove_stale_logs(const FateFn& fate);
  // Stops every partition (clean log close) for shutdown.
  boost::asio::awaitable<void> stop_all();

  std::shared_ptr<replication::Partition> get(const TopicPartition& tp) const;
  std::vector<std::pair<TopicPartition, std::shared_ptr<replication::Partition>>> all() const;

  const ReplicaManagerOptions& options() const noexcept { return options_; }

  // Called after each state applied by apply() (follower fetchers subscribe here) and after
  // stop_replica() with nullopt. Set before the first apply(); runs on the applying coroutine.
  using StateListener =
      std::function<void(const TopicPartition&, const std::optional<replication::PartitionState>&)>;
  void set_state_listener(StateListener listener) { listener_ = std::move(listener); }
  // More listeners (the group coordinator follows __consumer_offsets leadership here); called
  // after the one above, in the order added. Add before the first apply().
  void add_state_listener(StateListener listener) { more_listeners_.push_back(std::move(listener)); }

 private:
  // Opens a partition not hosted yet with `config` (the options' defaults if unset).
  Result<std::shared_ptr<replication::Partition>> get_or_open(
      const TopicPartition& tp,
      const std::optional<std::pair<log::LogConfig, replication::PartitionConfig>>& config);
  // Renames `dir` out of the way and removes it (asynchronously when `blocking` is set).
  Result<void> discard_dir(const std::filesystem::path& dir);
  // Remembers `incarnation` for the topic; a different one recorded before means the log on
  // disk belongs to an older topic: it is discarded first.
  Result<void> check_incarnation(const TopicPartition& tp, int64_t incarnation);
  void load_incarnations();
  Result<void> save_incarnations_locked();

  boost::asio::any_io_executor executor_;
  ReplicaManagerOptions options_;
  replication::IsrWriter& isr_writer_;
  std::function<void(replication::DataEvent)> on_data_;
  mutable std::mutex mutex_;
  std::map<TopicPartition, std::shared_ptr<replication::Partition>> partitions_;
  int32_t controller_epoch_ = -1;
  // Topic -> the incarnation its logs on disk belong to (file `topic_incarnations`); guarded by
  // its own mutex, held across the file write, so partition lookups never wait for an fsync.
  std::mutex incarnation_mutex_;
  std::map<std::string, int64_t> incarnations_;
  StateListener listener_;
  std::vector<StateListener> more_listeners_;
};

}  // namespace meridian::broker
