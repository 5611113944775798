// Controller: handlers of store watches and API events. All run on the event thread and
// start by checking that this term is still active.
#include <algorithm>

#include "cluster/controller/controller.h"
#include "common/log.h"

namespace meridian::controller {

namespace {

std::shared_ptr<spdlog::logger> log() { return logger("controller"); }

bool contains(const std::vector<BrokerId>& ids, BrokerId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<BrokerId> without(std::vector<BrokerId> ids, const std::set<BrokerId>& gone) {
  ids.erase(std::remove_if(ids.begin(), ids.end(), [&](BrokerId id) { return gone.contains(id); }),
            ids.end());
  return ids;
}

}  // namespace

void Controller::on_brokers_changed() {
  if (!active_) {
    return;
  }
  std::map<BrokerId, int64_t> czxids;
  auto now = read_brokers(czxids);
  if (!now) {
    handle_store_error(now.error(), "reading brokers");
    return;
  }
  std::set<BrokerId> dead;
  std::set<BrokerId> started;
  for (const auto& [id, broker] : live_) {
    if (!now->contains(id) || czxids[id] != broker_czxid_[id]) {
      dead.insert(id);
    }
  }
  for (const auto& [id, broker] : *now) {
    if (!live_.contains(id) || czxids[id] != broker_czxid_[id]) {
      started.insert(id);
    }
  }
  // A bounced broker is in both sets: handle its death first, then its return.
  live_ = *now;
  for (BrokerId id : started) {
    live_.erase(id);
  }
  broker_czxid_ = czxids;
  for (BrokerId id : dead) {
    shutting_down_.erase(id);
  }
  if (!dead.empty()) {
    on_brokers_failed(dead);
  }
  for (BrokerId id : started) {
    live_[id] = now->at(id);
  }
  if (!started.empty() && active_) {
    on_brokers_started(started);
  }
}

void Controller::on_brokers_failed(const std::set<BrokerId>& dead) {
  log()->info("controller: {} broker(s) failed, first {}", dead.size(), dead.begin()->value);
  std::vector<TopicPartition> affected;
  for (const auto& [tp, entry] : states_) {
    bool in_isr = std::any_of(entry.data.isr.begin(), entry.data.isr.end(),
                              [&](BrokerId id) { return dead.contains(id); });
    if (dead.contains(entry.data.leader) || in_isr) {
      affected.push_back(tp);
    }
  }
  auto changed =
      update_partitions(affected, [this](const TopicPartition& tp, const PartitionEntry* current) {
        return decide_repair(tp, current);
      });
  send_to_replicas(changed);
  publish_stats();
}

void Controller::on_brokers_started(const std::set<BrokerId>& started) {
  log()->info("controller: {} broker(s) started, first {}", started.size(), started.begin()->value);
  // Offline partitions may have a leader again (a returning ISR member).
  std::vector<TopicPartition> offline;
  std::vector<TopicPartition> hosted;
  for (const auto& [tp, entry] : states_) {
    const auto* replicas = replicas_of(tp);
    if (replicas == nullptr) {
      continue;
    }
    if (entry.data.leader.value < 0 || !live_.contains(entry.data.leader)) {
      offline.push_back(tp);
    }
    if (std::any_of(replicas->begin(), replicas->end(),
                    [&](BrokerId r) { return started.contains(r); })) {
      hosted.push_back(tp);
    }
  }
  auto changed =
      update_partitions(offline, [this](const TopicPartition& tp, const PartitionEntry* current) {
        return decide_leader(tp, current);
      });
  send_to_replicas(changed);
  // Kafka's onBrokerStartup: the new broker learns the state of every replica it hosts.
  send_leader_and_isr(hosted, started);
  publish_stats();
}

void Controller::on_topics_changed() {
  if (!active_) {
    return;
  }
  auto names = store_.children(kTopicsPath, watch([this] { on_topics_changed(); }));
  if (!names) {
    handle_store_error(names.error(), "reading topics");
    return;
  }
  std::set<std::string> current(names->begin(), names->end());
  for (auto it = topics_.begin(); it != topics_.end();) {
    if (current.contains(it->first)) {
      ++it;
      continue;
    }
    std::erase_if(states_, [&](const auto& kv) { return kv.first.topic == it->first; });
    it = topics_.erase(it);
  }
  std::vector<TopicPartition> missing;
  for (const auto& name : current) {
    if (!topics_.contains(name) && !load_topic(name, missing)) {
      return;
    }
  }
  initialize_partitions(missing);
}

void Controller::on_topic_data_changed(const std::string& topic) {
  if (!active_ || !topics_.contains(topic)) {
    return;
  }
  std::vector<TopicPartition> missing;
  if (load_topic(topic, missing)) {
    initialize_partitions(missing);  // partitions added by create_partitions
  }
}

void Controller::initialize_partitions(const std::vector<TopicPartition>& tps) {
  if (tps.empty() || !active_) {
    return;
  }
  auto changed =
      update_partitions(tps,
                        [this](const TopicPartition& tp,
                               const PartitionEntry* current) -> std::optional<PartitionStateData> {
                          const auto* replicas = replicas_of(tp);
                          if (current != nullptr || replicas == nullptr) {
                            return std::nullopt;
                          }
                          Election e = elect_initial(*replicas, electable_ids());
                          return PartitionStateData{epoch_, e.leader, LeaderEpoch(0), e.isr};
                        });
  send_to_replicas(changed, std::set<TopicPartition>(changed.begin(), changed.end()));
  publish_stats();
}

void Controller::on_delete_topics() {
  if (!active_) {
    return;
  }
  auto markers = store_.children(kDeleteTopicsPath, watch([this] { on_delete_topics(); }));
  if (!markers) {
    handle_store_error(markers.error(), "reading topic deletions");
    return;
  }
  for (const auto& topic : *markers) {
    std::vector<TopicPartition> unused;
    if (!topics_.contains(topic) && !load_topic(topic, unused)) {
      return;  // the marker may precede our topics event; load it to learn its replicas
    }
    if (auto it = topics_.find(topic); it != topics_.end()) {
      std::map<BrokerId, std::vector<int32_t>> per_broker;
      for (size_t p = 0; p < it->second.assignment.size(); ++p) {
        for (BrokerId r : it->second.assignment[p]) {
          if (live_.contains(r)) {
            per_broker[r].push_back(static_cast<int32_t>(p));
          }
        }
      }
      for (auto& [broker, partitions] : per_broker) {
        PendingStopReplica pending{broker, broker_czxid_[broker], {}, 0};
        pending.request.controller_id = config_.broker_id.value;
        pending.request.controller_epoch = epoch_;
        pending.request.broker_epoch = pending.broker_epoch;
        pending.request.delete_partitions = true;
        pending.request.topics.push_back({topic, std::move(partitions)});
        send_stop_replica(std::move(pending));
      }
    }
    // Live brokers get StopReplica until they acknowledge it (send_stop_replica). Replicas on
    // dead brokers are not waited for (Kafka waits): each broker drops the logs of deleted
    // topics, and of older incarnations of re-created ones, when it starts
    // (remove_stale_logs in cluster/broker/broker_stale_logs.cc, ReplicaManager::apply).
    if (!delete_topic_nodes(topic)) {
      return;
    }
    topics_.erase(topic);
    std::erase_if(states_, [&](const auto& kv) { return kv.first.topic == topic; });
    log()->info("topic {} deleted", topic);
  }
  publish_stats();
}

void Controller::send_stop_replica(PendingStopReplica pending) {
  ++pending.attempt;
  BrokerId to = pending.broker;
  auto request = pending.request;
  // The answer arrives on a channel thread: hand it to the event thread, for this term only.
  channel_.send_stop_replica_acked(
      to, std::move(request),
      [queue = std::weak_ptr<Queue>(queue_), this, gen = generation_,
       pending = std::move(pending)](bool acknowledged) mutable {
        if (auto q = queue.lock()) {
          push(q, [this, gen, pending = std::move(pending), acknowledged]() mutable {
            if (gen == generation_) {
              on_stop_replica_result(std::move(pending), acknowledged);
            }
          });
        }
      });
}

void Controller::on_stop_replica_result(PendingStopReplica pending, bool acknowledged) {
  if (acknowledged || !active_) {
    return;
  }
  auto live = live_.find(pending.broker);
  if (live == live_.end() || broker_czxid_[pending.broker] != pending.broker_epoch) {
    // Down or restarted: its startup clean-up (topic_incarnations) drops the logs.
    return;
  }
  if (pending.attempt >= config_.stop_replica_attempts) {
    log()->warn("broker {} did not acknowledge StopReplica after {} attempts; its logs go at its "
                "next start",
                pending.broker.value, pending.attempt);
    return;
  }
  std::chrono::milliseconds backoff = std::min(
      config_.stop_replica_backoff * (int64_t{1} << std::min(pending.attempt - 1, 10)),
      config_.stop_replica_backoff_max);
  log()->info("broker {}: StopReplica not acknowledged (attempt {}); retrying in {} ms",
              pending.broker.value, pending.attempt, backoff.count());
  stop_replica_retry_.emplace(std::chrono::steady_clock::now() + backoff, std::move(pending));
}

void Controller::retry_stop_replicas() {
  auto now = std::chrono::steady_clock::now();
  while (active_ && !stop_replica_retry_.empty() && stop_replica_retry_.begin()->first <= now) {
    auto pending = std::move(stop_replica_retry_.begin()->second);
    stop_replica_retry_.erase(stop_replica_retry_.begin());
    if (live_.contains(pending.broker) &&
        broker_czxid_[pending.broker] == pending.broker_epoch) {
      ++stop_replica_retries_;
      send_stop_replica(std::move(pending));
    }
  }
}

bool Controller::delete_topic_nodes(const std::string& topic) {
  // One fenced multi: the states, partition nodes, topic, config and the marker go together.
  std::vector<coord::Op> ops{coord::Op::check(kControllerEpochPath, epoch_version_)};
  auto partitions = store_.children(partitions_path(topic));
  if (partitions) {
    for (const auto& p : *partitions) {
      const std::string path = partitions_path(topic) + "/" + p;
      if (auto kids = store_.children(path)) {
        for (const auto& kid : *kids) {
          ops.push_back(coord::Op::remove(path + "/" + kid));
        }
      }
      ops.push_back(coord::Op::remove(path));
    }
    ops.push_back(coord::Op::remove(partitions_path(topic)));
  }
  if (auto t = store_.exists(topic_path(topic)); t && t->has_value()) {
    ops.push_back(coord::Op::remove(topic_path(topic)));
  }
  if (auto c = store_.exists(topic_config_path(topic)); c && c->has_value()) {
    ops.push_back(coord::Op::remove(topic_config_path(topic)));
  }
  ops.push_back(coord::Op::remove(delete_topic_path(topic)));
  size_t failed = ops.size();
  auto done = store_.multi(ops, &failed);
  if (done) {
    return true;
  }
  if (failed == 0) {
    ++fenced_writes_;
    resign(/*release=*/true);
    retry_at_ = std::chrono::steady_clock::now();
    return false;
  }
  if (failed == ops.size()) {
    handle_store_error(done.error(), "topic deletion");
    return false;
  }
  // A node appeared or went meanwhile (e.g. a state created concurrently): retry soon.
  log()->warn("topic {}: deletion raced with another write ({}); retrying", topic,
              done.error().message());
  enqueue([this, gen = generation_] {
    if (gen == generation_) {
      on_delete_topics();
    }
  });
  return false;
}

void Controller::on_isr_changes() {
  if (!active_) {
    return;
  }
  auto names = store_.children(kIsrChangePath, watch([this] { on_isr_changes(); }));
  if (!names) {
    handle_store_error(names.error(), "reading ISR notifications");
    return;
  }
  std::set<TopicPartition> tps;
  for (const auto& name : *names) {
    const std::string path = std::string(kIsrChangePath) + "/" + name;
    if (auto node = store_.get(path)) {
      if (auto list = decode_isr_change(node->data)) {
        tps.insert(list->begin(), list->end());
      }
    }
    (void)store_.remove(path);  // no_node is fine: an older controller may have taken it
  }
  std::vector<TopicPartition> known;
  for (const auto& tp : tps) {
    if (replicas_of(tp) != nullptr) {
      refresh_state(tp);
      known.push_back(tp);
    }
  }
  send_to_replicas(known);
  publish_stats();
}

std::vector<TopicPartition> Controller::do_controlled_shutdown(BrokerId broker) {
  if (!live_.contains(broker)) {
    return {};
  }
  shutting_down_.insert(broker);
  std::vector<TopicPartition> led;
  std::vector<TopicPartition> following;
  for (const auto& [tp, entry] : states_) {
    if (entry.data.leader == broker) {
      led.push_back(tp);
    } else if (contains(entry.data.isr, broker) && live_.contains(entry.data.leader)) {
      following.push_back(tp);
    }
  }
  const auto live = live_ids();
  auto moved = update_partitions(
      led,
      [&](const TopicPartition& tp,
          const PartitionEntry* current) -> std::optional<PartitionStateData> {
        const auto* replicas = replicas_of(tp);
        if (current == nullptr || replicas == nullptr || current->data.leader != broker) {
          return std::nullopt;
        }
        auto e = elect_for_shutdown(*replicas, current->data.isr, live, shutting_down_);
        if (!e) {
          return std::nullopt;
        }
        return PartitionStateData{epoch_, e->leader, current->data.leader_epoch + 1, e->isr};
      });
  auto shrunk = update_partitions(
      following,
      [&](const TopicPartition&,
          const PartitionEntry* current) -> std::optional<PartitionStateData> {
        if (current == nullptr || current->data.leader == broker ||
            !contains(current->data.isr, broker) || current->data.isr.size() < 2) {
          return std::nullopt;
        }
        PartitionStateData next = current->data;
        next.isr = without(next.isr, {broker});
        next.leader_epoch = next.leader_epoch + 1;
        return next;
      });
  moved.insert(moved.end(), shrunk.begin(), shrunk.end());
  send_to_replicas(moved);
  publish_stats();
  std::vector<TopicPartition> remaining;
  for (const auto& [tp, entry] : states_) {
    if (entry.data.leader == broker) {
      remaining.push_back(tp);
    }
  }
  log()->info("controlled shutdown of broker {}: {} partition(s) changed, {} still led",
              broker.value, moved.size(), remaining.size());
  return remaining;
}

void Controller::do_auto_rebalance() {
  // Kafka's checkAndTriggerAutoLeaderRebalance: for each preferred leader (replicas[0]), the
  // share of its partitions that someone else leads; above the threshold they go back to it.
  std::map<BrokerId, std::pair<int, int>> per_broker;  // preferred -> (not led by it, total)
  for (const auto& [tp, entry] : states_) {
    const auto* replicas = replicas_of(tp);
    if (replicas == nullptr || replicas->empty()) {
      continue;
    }
    auto& [imbalanced, total] = per_broker[replicas->front()];
    ++total;
    if (entry.data.leader != replicas->front()) {
      ++imbalanced;
    }
  }
  std::set<TopicPartition> chosen;
  for (const auto& [broker, counts] : per_broker) {
    if (!live_.contains(broker) || shutting_down_.contains(broker) ||
        counts.first * 100 <= config_.imbalance_percentage * counts.second) {
      continue;
    }
    for (const auto& [tp, entry] : states_) {
      const auto* replicas = replicas_of(tp);
      if (replicas != nullptr && !replicas->empty() && replicas->front() == broker) {
        chosen.insert(tp);
      }
    }
  }
  if (!chosen.empty()) {
    do_preferred_election(&chosen);
  }
}

int32_t Controller::do_preferred_election(const std::set<TopicPartition>* only) {
  std::vector<TopicPartition> all;
  for (const auto& [tp, entry] : states_) {
    if (only == nullptr || only->contains(tp)) {
      all.push_back(tp);
    }
  }
  const auto live = live_ids();
  auto changed =
      update_partitions(all,
                        [&](const TopicPartition& tp,
                            const PartitionEntry* current) -> std::optional<PartitionStateData> {
                          const auto* replicas = replicas_of(tp);
                          if (current == nullptr || replicas == nullptr) {
                            return std::nullopt;
                          }
                          auto e = elect_preferred(*replicas, current->data.isr,
                                                   current->data.leader, live, shutting_down_);
                          if (!e) {
                            return std::nullopt;
                          }
                          PartitionStateData next = current->data;
                          next.leader = e->leader;
                          next.leader_epoch = next.leader_epoch + 1;
                          return next;
                        });
  send_to_replicas(changed);
  publish_stats();
  if (!changed.empty()) {
    log()->info("preferred leader election moved {} partition(s)", changed.size());
  }
  return static_cast<int32_t>(changed.size());
}

}  // namespace meridian::controller
