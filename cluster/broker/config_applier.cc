#include "cluster/broker/config_applier.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/controller/state_codec.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;

ConfigApplier::ConfigApplier(coord::CoordinationStore& store, asio::any_io_executor io,
                             asio::any_io_executor blocking, ReplicaManager& replicas)
    : store_(store),
      io_(std::move(io)),
      blocking_(std::move(blocking)),
      replicas_(replicas),
      timer_(std::make_shared<asio::steady_timer>(io_)),
      maintenance_timer_(std::make_shared<asio::steady_timer>(io_)),
      dirty_(std::make_shared<Dirty>()) {}

ConfigApplier::~ConfigApplier() { stop(); }

void ConfigApplier::start() {
  asio::co_spawn(
      io_, [this]() -> asio::awaitable<void> { co_await run(); }, asio::detached);
  asio::co_spawn(
      io_, [this]() -> asio::awaitable<void> { co_await run_maintenance(); }, asio::detached);
}

void ConfigApplier::stop() {
  if (stopped_.exchange(true)) {
    return;
  }
  asio::post(io_, [timer = timer_, maintenance = maintenance_timer_] {
    timer->cancel();
    maintenance->cancel();
  });
}

void ConfigApplier::trigger(const std::string& topic) {
  std::lock_guard lock(dirty_->mutex);
  dirty_->topics.insert(topic);
}

asio::awaitable<void> ConfigApplier::run() {
  for (int tick = 0; !stopped_.load(); ++tick) {
    co_await pass(tick % kFullRefreshTicks == 0);
    if (stopped_.load()) {
      break;
    }
    timer_->expires_after(kTick);
    co_await timer_->async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> ConfigApplier::run_maintenance() {
  while (!stopped_.load()) {
    maintenance_timer_->expires_after(kTick * kMaintenanceTicks);
    co_await maintenance_timer_->async_wait(asio::as_tuple(asio::use_awaitable));
    for (const auto& [tp, partition] : replicas_.all()) {
      if (stopped_.load()) {
        break;
      }
      co_await partition->maintain();
    }
  }
}

asio::awaitable<void> ConfigApplier::pass(bool full_refresh) {
  auto partitions = replicas_.all();
  std::set<std::string> hosted;
  for (const auto& [tp, partition] : partitions) {
    hosted.insert(tp.topic);
  }
  std::set<std::string> to_read;
  {
    std::lock_guard lock(dirty_->mutex);
    for (const auto& topic : hosted) {
      if (full_refresh || !cache_.contains(topic) || dirty_->topics.contains(topic)) {
        to_read.insert(topic);
      }
    }
    for (const auto& topic : to_read) {
      dirty_->topics.erase(topic);
    }
  }
  std::erase_if(cache_, [&](const auto& kv) { return !hosted.contains(kv.first); });
  if (!to_read.empty()) {
    auto read = [this, to_read]() -> asio::awaitable<std::map<std::string, Overrides>> {
      co_return read_configs(to_read);
    };
    auto fresh = co_await asio::co_spawn(blocking_, std::move(read), asio::use_awaitable);
    for (auto& [topic, overrides] : fresh) {
      cache_[topic] = std::move(overrides);
    }
  }
  const auto& base = replicas_.options();
  std::map<TopicPartition, std::pair<const replication::Partition*, EffectiveTopicConfig>> next;
  for (const auto& [tp, partition] : partitions) {
    auto cached = cache_.find(tp.topic);
    if (cached == cache_.end()) {
      continue;  // the read failed; retried at the next tick
    }
    auto effective = effective_topic_config(cached->second, base.log_config, base.partition_config);
    auto it = applied_.find(tp);
    if (it != applied_.end() && it->second.first == partition.get() &&
        it->second.second == effective && log::same_cleanup(it->second.second.log, effective.log)) {
      next.emplace(tp, it->second);
      continue;
    }
    Result<void> updated = co_await partition->update_config(effective.partition, effective.log);
    if (!updated) {
      logger("broker")->warn("[tp={}-{}] topic config not applied: {}", tp.topic,
                             tp.partition.value, updated.error().message());
      continue;
    }
    next.emplace(tp, std::pair{partition.get(), effective});
  }
  applied_ = std::move(next);
}

std::map<std::string, ConfigApplier::Overrides> ConfigApplier::read_configs(
    const std::set<std::string>& topics) {
  std::map<std::string, Overrides> out;
  for (const auto& topic : topics) {
    std::weak_ptr<Dirty> dirty = dirty_;
    auto watch = [dirty, topic](const coord::WatchEvent&) {
      if (auto d = dirty.lock()) {
        std::lock_guard lock(d->mutex);
        d->topics.insert(topic);
      }
    };
    auto path = controller::topic_config_path(topic);
    auto node = store_.get(path, watch);
    if (!node) {
      if (node.error() != coord::errc::no_node) {
        trigger(topic);  // connection trouble: keep the old value, retry at the next tick
        continue;
      }
      // No override node yet: watch for its creation. If it appeared between get() and
      // exists(), the watch is a data watch that will not fire for it: read again next tick.
      if (auto created = store_.exists(path, watch); !created || created->has_value()) {
        trigger(topic);
      }
      out[topic] = {};
      continue;
    }
    auto decoded = controller::decode_topic_config(node->data);
    if (!decoded) {
      logger("broker")->warn("topic {}: unreadable config node {}: {}", topic, path,
                             decoded.error().message());
      out[topic] = {};
      continue;
    }
    out[topic] = std::move(*decoded);
  }
  return out;
}

std::optional<EffectiveTopicConfig> read_effective_topic_config(
    coord::CoordinationStore& store, const std::string& topic, const log::LogConfig& base_log,
    const replication::PartitionConfig& base_partition) {
  controller::TopicConfig overrides;
  if (auto node = store.get(controller::topic_config_path(topic)); node) {
    auto decoded = controller::decode_topic_config(node->data);
    if (!decoded) {
      return std::nullopt;
    }
    overrides = std::move(*decoded);
  } else if (node.error() != coord::errc::no_node) {
    return std::nullopt;
  }
  return effective_topic_config(overrides, base_log, base_partition);
}

}  // namespace meridian::broker
