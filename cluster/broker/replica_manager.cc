#include "cluster/broker/replica_manager.h"

#include "cluster/log/partition_log.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;

ReplicaManager::ReplicaManager(asio::any_io_executor executor, ReplicaManagerOptions options,
                               replication::IsrWriter& isr_writer, std::function<void()> on_data)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      isr_writer_(isr_writer),
      on_data_(std::move(on_data)) {}

ReplicaManager::~ReplicaManager() = default;

bool ReplicaManager::accept_controller_epoch(int32_t epoch) {
  std::lock_guard lock(mutex_);
  if (epoch < controller_epoch_) {
    return false;
  }
  controller_epoch_ = epoch;
  return true;
}

Result<std::shared_ptr<replication::Partition>> ReplicaManager::get_or_open(
    const TopicPartition& tp) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = partitions_.find(tp); it != partitions_.end()) {
      return it->second;
    }
  }
  // TODO(lead): open (and recover) on the broker's blocking thread pool, not the io thread.
  auto dir = log::partition_dir(options_.log_dir, tp.topic, tp.partition);
  auto opened = log::PartitionLog::open(dir, options_.log_config);
  if (!opened) {
    logger("broker")->error("[tp={}-{}] cannot open log {}: {}", tp.topic, tp.partition.value,
                            dir.string(), opened.error().message());
    return opened.error();
  }
  auto partition = std::make_shared<replication::Partition>(
      executor_, tp.topic, tp.partition, options_.self, std::move(*opened),
      options_.partition_config, isr_writer_, on_data_);
  std::lock_guard lock(mutex_);
  auto [it, inserted] = partitions_.emplace(tp, partition);
  return it->second;
}

asio::awaitable<Result<void>> ReplicaManager::apply(TopicPartition tp,
                                                    replication::PartitionState state) {
  auto opened = get_or_open(tp);
  if (!opened) {
    co_return opened.error();
  }
  std::shared_ptr<replication::Partition> partition = *opened;
  // Awaited into a named result: g++ 12 mishandles temporaries in `co_return co_await`.
  replication::PartitionState applied_state = state;
  Result<void> applied = co_await partition->apply_state(std::move(state));
  if (applied && listener_) {
    listener_(tp, applied_state);
  }
  for (const auto& more : more_listeners_) {
    if (applied) {
      more(tp, applied_state);
    }
  }
  co_return applied;
}

asio::awaitable<Result<void>> ReplicaManager::stop_replica(TopicPartition tp, bool delete_log) {
  std::shared_ptr<replication::Partition> partition;
  {
    std::lock_guard lock(mutex_);
    auto it = partitions_.find(tp);
    if (it != partitions_.end()) {
      partition = it->second;
      partitions_.erase(it);
    }
  }
  if (listener_) {
    listener_(tp, std::nullopt);
  }
  for (const auto& more : more_listeners_) {
    more(tp, std::nullopt);
  }
  if (partition) {
    co_await partition->stop();
  }
  if (delete_log) {
    std::error_code ec;
    std::filesystem::remove_all(log::partition_dir(options_.log_dir, tp.topic, tp.partition), ec);
    if (ec) {
      co_return ec;
    }
  }
  co_return Result<void>();
}

asio::awaitable<void> ReplicaManager::stop_all() {
  for (auto& [tp, partition] : all()) {
    co_await partition->stop();
  }
}

std::shared_ptr<replication::Partition> ReplicaManager::get(const TopicPartition& tp) const {
  std::lock_guard lock(mutex_);
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? nullptr : it->second;
}

std::vector<std::pair<TopicPartition, std::shared_ptr<replication::Partition>>>
ReplicaManager::all() const {
  std::lock_guard lock(mutex_);
  return {partitions_.begin(), partitions_.end()};
}

}  // namespace meridian::broker
