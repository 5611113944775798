// GroupCoordinator: FindCoordinator, creating __consumer_offsets, and following leadership of
// its partitions (load on election, drop on resignation).
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/broker/group_coordinator.h"
#include "cluster/broker/request_dispatcher.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr uint64_t kLoadReadBytes = 4u << 20;
constexpr int kLoadReadAttempts = 50;
constexpr std::chrono::milliseconds kLoadPause{50};

}  // namespace

int32_t GroupCoordinator::offsets_partition_count() const {
  auto snapshot = metadata_.get();
  auto it = snapshot->topics.find(kConsumerOffsetsTopic);
  return it == snapshot->topics.end() ? 0 : static_cast<int32_t>(it->second.partitions.size());
}

ErrorCode GroupCoordinator::check_owner(const std::string& group, int32_t& partition) const {
  int32_t n = offsets_partition_count();
  if (n == 0) {
    // The metadata cache may lag the LeaderAndIsr that made us leader: fall back on what we own.
    n = owned_.empty() ? 0 : options_.offsets_topic_partitions;
  }
  if (n == 0) {
    return ErrorCode::kNotCoordinator;
  }
  partition = offsets_partition_for(group, n);
  auto it = owned_.find(partition);
  if (it == owned_.end()) {
    return ErrorCode::kNotCoordinator;
  }
  return it->second.loaded ? ErrorCode::kNone : ErrorCode::kCoordinatorLoadInProgress;
}

asio::awaitable<protocol::FindCoordinatorResponse> GroupCoordinator::find_coordinator(
    std::string key, int8_t key_type) {
  protocol::FindCoordinatorResponse r;
  if (key_type != 0) {
    r.error_code = ErrorCode::kCoordinatorNotAvailable;
    r.error_message = "transaction coordinators are not supported";
    co_return r;
  }
  auto snapshot = metadata_.get();
  auto topic = snapshot->topics.find(kConsumerOffsetsTopic);
  if (topic == snapshot->topics.end() || topic->second.partitions.empty()) {
    co_await ensure_offsets_topic();
    r.error_code = ErrorCode::kCoordinatorNotAvailable;
    co_return r;
  }
  int32_t p = offsets_partition_for(key, static_cast<int32_t>(topic->second.partitions.size()));
  const PartitionInfo& info = topic->second.partitions[static_cast<size_t>(p)];
  const BrokerInfo* broker = info.leader.value >= 0 ? snapshot->broker(info.leader) : nullptr;
  if (broker == nullptr) {
    r.error_code = ErrorCode::kCoordinatorNotAvailable;
    co_return r;
  }
  r.node_id = broker->id.value;
  r.host = broker->host;
  r.port = broker->port;
  co_return r;
}

asio::awaitable<void> GroupCoordinator::ensure_offsets_topic() {
  if (admin_ == nullptr || creating_topic_.exchange(true)) {
    co_return;
  }
  auto live = static_cast<int16_t>(std::max<size_t>(1, metadata_.get()->brokers.size()));
  std::string name = kConsumerOffsetsTopic;
  int32_t partitions = options_.offsets_topic_partitions;
  int16_t rf = std::min(options_.offsets_topic_replication_factor, live);
  // Kafka's settings for the topic; compaction itself is not implemented yet (see
  // docs/formats/consumer_offsets.md), so a load replays the whole partition.
  std::map<std::string, std::string> configs{{"cleanup.policy", "compact"},
                                             {"compression.type", "producer"}};
  ErrorCode ec = co_await admin_->create_topic(name, partitions, rf, configs);
  if (ec == ErrorCode::kNone) {
    logger("groups")->info("broker {}: created {} with {} partitions, replication factor {}",
                           options_.self.value, name, partitions, rf);
  } else if (ec != ErrorCode::kTopicAlreadyExists) {
    logger("groups")->warn("cannot create {}: {}", name, protocol::error_code_name(ec));
  }
  creating_topic_ = false;
}

void GroupCoordinator::on_partition_state(const TopicPartition& tp,
                                          const std::optional<replication::PartitionState>& state) {
  if (tp.topic != kConsumerOffsetsTopic) {
    return;
  }
  int32_t partition = tp.partition.value;
  bool leader = state && state->leader == options_.self;
  LeaderEpoch epoch = state ? state->leader_epoch : LeaderEpoch(-1);
  asio::post(strand_, [this, partition, leader, epoch] {
    if (stopped_) {
      return;
    }
    if (leader) {
      become_leader(partition, epoch);
    } else {
      resign(partition);
    }
  });
}

void GroupCoordinator::become_leader(int32_t partition, LeaderEpoch epoch) {
  if (auto it = owned_.find(partition); it != owned_.end()) {
    if (it->second.epoch == epoch) {
      return;  // the same leadership (an ISR change): keep what is loaded
    }
    resign(partition);
  }
  Owned& owned = owned_[partition];
  owned.epoch = epoch;
  owned.load_id = next_load_id_++;
  logger("groups")->info("[broker={} tp={}-{} epoch={}] loading groups", options_.self.value,
                         kConsumerOffsetsTopic, partition, epoch.value);
  asio::co_spawn(strand_, load(partition, owned.load_id), asio::detached);
}

void GroupCoordinator::resign(int32_t partition) {
  if (owned_.erase(partition) == 0) {
    return;
  }
  size_t dropped = 0;
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second->partition == partition) {
      it->second->membership->shutdown(ErrorCode::kNotCoordinator);
      it = groups_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  logger("groups")->info("[broker={} tp={}-{}] no longer leader: dropped {} groups",
                         options_.self.value, kConsumerOffsetsTopic, partition, dropped);
  wake_timer();
}

asio::awaitable<void> GroupCoordinator::load(int32_t partition, uint64_t load_id) {
  auto current = [this, partition, load_id] {
    auto it = owned_.find(partition);
    return !stopped_ && it != owned_.end() && it->second.load_id == load_id;
  };
  auto started = GroupClock::now();
  TopicPartition tp{kConsumerOffsetsTopic, PartitionId(partition)};
  auto p = replicas_.get(tp);
  if (!p) {
    co_return;
  }
  asio::steady_timer pause(strand_);
  // Commits the previous leader acknowledged are below its HW, hence in our log; wait (bounded)
  // until our HW covers our log end so the load sees them.
  Offset target = p->snapshot().log_end_offset;
  while (current() && p->snapshot().high_watermark < target &&
         GroupClock::now() < started + options_.load_hw_wait) {
    pause.expires_after(kLoadPause);
    co_await pause.async_wait(kUseTuple);
  }
  OffsetsReplay replay;
  Offset from = p->snapshot().log_start_offset;
  std::optional<LeaderEpoch> any_epoch;
  int failures = 0;
  while (current()) {
    auto read = co_await p->read(from, kLoadReadBytes, any_epoch);
    if (!read) {
      if (++failures >= kLoadReadAttempts) {
        logger("groups")->error("[broker={} tp={}-{}] load failed at offset {}: {}",
                                options_.self.value, kConsumerOffsetsTopic, partition, from.value,
                                read.error().message());
        co_return;
      }
      pause.expires_after(kLoadPause);
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    if (read->data.slices.empty() || read->data.next_offset <= from) {
      break;
    }
    auto copy = [data = read->data]() -> asio::awaitable<Result<std::vector<uint8_t>>> {
      co_return data.to_bytes();
    };
    Result<std::vector<uint8_t>> bytes =
        co_await asio::co_spawn(blocking_, std::move(copy), asio::use_awaitable);
    if (!bytes) {
      logger("groups")->error("[broker={} tp={}-{}] load cannot read the log: {}",
                              options_.self.value, kConsumerOffsetsTopic, partition,
                              bytes.error().message());
      co_return;
    }
    replay_offsets_batches(*bytes, replay);
    from = read->data.next_offset;
    if (from >= read->high_watermark) {
      break;
    }
  }
  if (!current()) {
    co_return;
  }
  if (replay.skipped > 0) {
    logger("groups")->warn("[broker={} tp={}-{}] skipped {} undecodable records",
                           options_.self.value, kConsumerOffsetsTopic, partition, replay.skipped);
  }
  install(partition, replay);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(GroupClock::now() - started);
  logger("groups")->info("[broker={} tp={}-{}] loaded {} records up to offset {} in {} ms",
                         options_.self.value, kConsumerOffsetsTopic, partition, replay.records,
                         from.value, ms.count());
}

void GroupCoordinator::install(int32_t partition, OffsetsReplay& replay) {
  auto now = GroupClock::now();
  std::set<std::string> names;
  for (const auto& [name, md] : replay.groups) {
    names.insert(name);
  }
  for (const auto& [name, offsets] : replay.offsets) {
    names.insert(name);
  }
  for (const auto& name : names) {
    auto md = replay.groups.find(name);
    bool has_md = md != replay.groups.end() && md->second.has_value();
    auto offsets = replay.offsets.find(name);
    bool has_offsets = offsets != replay.offsets.end() && !offsets->second.empty();
    if (!has_md && !has_offsets) {
      continue;
    }
    auto g = std::make_unique<Group>();
    g->partition = partition;
    if (has_offsets) {
      g->offsets = std::move(offsets->second);
    }
    g->membership = has_md ? GroupMembership::restore(name, options_.group, *md->second, now)
                           : std::make_unique<GroupMembership>(name, options_.group);
    if (auto old = groups_.find(name); old != groups_.end()) {
      old->second->membership->shutdown(ErrorCode::kNotCoordinator);
    }
    groups_[name] = std::move(g);
  }
  owned_[partition].loaded = true;
  wake_timer();
}

}  // namespace meridian::broker
