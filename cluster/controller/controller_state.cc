// Controller: reading the tree into the event thread's cache, fenced state writes, and the
// LeaderAndIsr fan-out. Everything here runs on the event thread.
#include <algorithm>
#include <charconv>

#include "cluster/controller/controller.h"
#include "common/log.h"

namespace meridian::controller {

namespace {

std::shared_ptr<spdlog::logger> log() { return logger("controller"); }

bool contains(const std::vector<BrokerId>& ids, BrokerId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<int32_t> raw(const std::vector<BrokerId>& ids) {
  std::vector<int32_t> out;
  for (BrokerId id : ids) {
    out.push_back(id.value);
  }
  return out;
}

}  // namespace

Result<std::map<BrokerId, BrokerRegistration>> Controller::read_brokers(
    std::map<BrokerId, int64_t>& czxids) {
  auto names = store_.children(kBrokerIdsPath, watch([this] { on_brokers_changed(); }));
  if (!names) {
    return names.error();
  }
  std::map<BrokerId, BrokerRegistration> out;
  for (const auto& name : *names) {
    int32_t id = -1;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc() || ptr != name.data() + name.size()) {
      continue;
    }
    auto node = store_.get(broker_path(BrokerId(id)));
    if (!node) {
      if (node.error() == coord::errc::no_node) {
        continue;  // gone already; the next children event tells us
      }
      return node.error();
    }
    auto broker = decode_broker(BrokerId(id), node->data);
    if (!broker) {
      log()->error("broker {} registration is malformed; ignored", id);
      continue;
    }
    out.emplace(BrokerId(id), std::move(*broker));
    // The creation txid is Kafka's broker epoch: a restart within one watch period shows here.
    czxids[BrokerId(id)] = node->stat.create_txid;
  }
  return out;
}

bool Controller::load_all(std::vector<TopicPartition>& missing_states) {
  std::map<BrokerId, int64_t> czxids;
  auto brokers = read_brokers(czxids);
  if (!brokers) {
    handle_store_error(brokers.error(), "reading brokers");
    return false;
  }
  live_ = std::move(*brokers);
  broker_czxid_ = std::move(czxids);
  auto topics = store_.children(kTopicsPath, watch([this] { on_topics_changed(); }));
  if (!topics) {
    handle_store_error(topics.error(), "reading topics");
    return false;
  }
  for (const auto& topic : *topics) {
    if (!load_topic(topic, missing_states)) {
      return false;
    }
  }
  return true;
}

bool Controller::load_topic(const std::string& topic, std::vector<TopicPartition>& missing_states) {
  auto node = store_.get(topic_path(topic), watch([this, topic] { on_topic_data_changed(topic); }));
  if (!node) {
    if (node.error() == coord::errc::no_node) {
      return true;  // deleted meanwhile
    }
    handle_store_error(node.error(), "reading a topic");
    return false;
  }
  auto assignment = decode_assignment(node->data);
  if (!assignment) {
    log()->error("topic {}: malformed assignment; ignored", topic);
    return true;
  }
  topics_[topic].assignment = *assignment;
  for (size_t p = 0; p < assignment->size(); ++p) {
    TopicPartition tp{topic, PartitionId(static_cast<int32_t>(p))};
    if (states_.contains(tp)) {
      continue;
    }
    auto state = store_.get(partition_state_path(tp.topic, tp.partition));
    if (!state) {
      if (state.error() != coord::errc::no_node) {
        handle_store_error(state.error(), "reading a partition state");
        return false;
      }
      missing_states.push_back(tp);
      continue;
    }
    auto data = decode_partition_state(state->data);
    if (!data) {
      log()->error("[tp={}-{}] malformed partition state; ignored", topic, p);
      continue;
    }
    states_[tp] = {*data, state->stat.version};
  }
  return true;
}

void Controller::refresh_state(const TopicPartition& tp) {
  auto state = store_.get(partition_state_path(tp.topic, tp.partition));
  if (!state) {
    if (state.error() == coord::errc::no_node) {
      states_.erase(tp);
    } else {
      handle_store_error(state.error(), "re-reading a partition state");
    }
    return;
  }
  if (auto data = decode_partition_state(state->data)) {
    states_[tp] = {*data, state->stat.version};
  }
}

std::set<BrokerId> Controller::live_ids() const {
  std::set<BrokerId> out;
  for (const auto& [id, broker] : live_) {
    out.insert(id);
  }
  return out;
}

std::set<BrokerId> Controller::electable_ids() const {
  std::set<BrokerId> out;
  for (const auto& [id, broker] : live_) {
    if (!shutting_down_.contains(id)) {
      out.insert(id);
    }
  }
  return out;
}

bool Controller::unclean_allowed(const std::string& topic) {
  auto node = store_.get(topic_config_path(topic));
  if (node) {
    if (auto config = decode_topic_config(node->data)) {
      if (auto it = config->find("unclean.leader.election.enable"); it != config->end()) {
        return it->second == "true";
      }
    }
  }
  return config_.unclean_leader_election;
}

const std::vector<BrokerId>* Controller::replicas_of(const TopicPartition& tp) const {
  auto it = topics_.find(tp.topic);
  if (it == topics_.end() || tp.partition.value < 0 ||
      static_cast<size_t>(tp.partition.value) >= it->second.assignment.size()) {
    return nullptr;
  }
  return &it->second.assignment[static_cast<size_t>(tp.partition.value)];
}

std::optional<PartitionStateData> Controller::decide_leader(const TopicPartition& tp,
                                                            const PartitionEntry* current) {
  const auto* replicas = replicas_of(tp);
  if (current == nullptr || replicas == nullptr) {
    return std::nullopt;
  }
  const auto live = electable_ids();
  const auto& old = current->data;
  if (old.leader.value >= 0 && live_.contains(old.leader)) {
    return std::nullopt;  // the leader is fine (even if it is shutting down: nobody else may be)
  }
  Election e = elect_offline(*replicas, old.isr, live, /*unclean_allowed=*/false);
  bool any_live =
      std::any_of(replicas->begin(), replicas->end(), [&](BrokerId r) { return live.contains(r); });
  if (e.leader.value < 0 && any_live && unclean_allowed(tp.topic)) {
    e = elect_offline(*replicas, old.isr, live, /*unclean_allowed=*/true);
  }
  if (e.leader == old.leader && e.isr == old.isr) {
    return std::nullopt;  // still offline, nothing new to write
  }
  if (e.unclean) {
    ++unclean_elections_;
    log()->warn(
        "[tp={}-{}] UNCLEAN leader election: broker {} was not in the ISR; data may be lost",
        tp.topic, tp.partition.value, e.leader.value);
  } else if (e.leader.value < 0) {
    log()->warn("[tp={}-{}] offline: no live ISR member and unclean election disabled", tp.topic,
                tp.partition.value);
  }
  return PartitionStateData{epoch_, e.leader, old.leader_epoch + 1, e.isr};
}

std::optional<PartitionStateData> Controller::decide_repair(const TopicPartition& tp,
                                                            const PartitionEntry* current) {
  if (current == nullptr) {
    return std::nullopt;
  }
  const auto& old = current->data;
  if (old.leader.value < 0 || !live_.contains(old.leader)) {
    return decide_leader(tp, current);
  }
  // Kafka's OfflineReplica transition: the leader lives, dead followers leave the ISR.
  std::vector<BrokerId> isr;
  std::copy_if(old.isr.begin(), old.isr.end(), std::back_inserter(isr),
               [&](BrokerId id) { return live_.contains(id); });
  if (isr == old.isr || isr.empty()) {
    return std::nullopt;
  }
  return PartitionStateData{epoch_, old.leader, old.leader_epoch + 1, std::move(isr)};
}

std::vector<TopicPartition> Controller::update_partitions(const std::vector<TopicPartition>& tps,
                                                          const Decide& decide) {
  std::vector<TopicPartition> changed;
  for (const auto& tp : tps) {
    // A CAS conflict (the leader wrote its ISR meanwhile) re-reads the state and decides
    // again; a few attempts are plenty since leaders write rarely.
    for (int attempt = 0; attempt < 3 && active_; ++attempt) {
      auto it = states_.find(tp);
      auto next = decide(tp, it == states_.end() ? nullptr : &it->second);
      if (!next) {
        break;
      }
      if (commit(tp, *next)) {
        changed.push_back(tp);
        break;
      }
    }
    if (!active_) {
      break;
    }
  }
  return changed;
}

bool Controller::commit(const TopicPartition& tp, const PartitionStateData& next) {
  PartitionStateData data = next;
  data.controller_epoch = epoch_;
  const std::string path = partition_state_path(tp.topic, tp.partition);
  // The check op first: a controller deposed by a newer epoch writes nothing (Kafka's
  // zkVersion fencing on /controller_epoch, KAFKA-6082).
  std::vector<coord::Op> ops{coord::Op::check(kControllerEpochPath, epoch_version_)};
  auto it = states_.find(tp);
  if (it != states_.end()) {
    ops.push_back(coord::Op::set(path, encode_partition_state(data), it->second.version));
  } else {
    for (const auto& parent : {partitions_path(tp.topic), partition_path(tp.topic, tp.partition)}) {
      auto exists = store_.exists(parent);
      if (!exists) {
        handle_store_error(exists.error(), "partition state write");
        return false;
      }
      if (!exists->has_value()) {
        ops.push_back(coord::Op::create(parent, "", coord::CreateMode::kPersistent));
      }
    }
    ops.push_back(
        coord::Op::create(path, encode_partition_state(data), coord::CreateMode::kPersistent));
  }
  size_t failed = ops.size();
  auto done = store_.multi(ops, &failed);
  if (done) {
    auto version = it != states_.end() ? coord::NodeVersion(it->second.version.value + 1)
                                       : coord::NodeVersion(0);
    states_[tp] = {data, version};
    log()->info("[tp={}-{} epoch={}] leader {} isr {} (controller epoch {})", tp.topic,
                tp.partition.value, data.leader_epoch.value, data.leader.value, data.isr.size(),
                epoch_);
    return true;
  }
  if (failed == 0) {
    ++fenced_writes_;
    log()->warn("broker {}: controller epoch {} is fenced by a newer controller; resigning",
                config_.broker_id.value, epoch_);
    resign(/*release=*/true);
    retry_at_ = std::chrono::steady_clock::now();
    return false;
  }
  if (failed == ops.size()) {
    handle_store_error(done.error(), "partition state write");
    return false;
  }
  refresh_state(tp);  // the state moved under us (a leader's ISR write, or the topic went)
  return false;
}

void Controller::send_leader_and_isr(const std::vector<TopicPartition>& tps,
                                     const std::set<BrokerId>& to,
                                     const std::set<TopicPartition>& is_new) {
  if (!active_) {
    return;
  }
  std::vector<TopicPartition> sorted = tps;  // one TopicState per topic
  std::sort(sorted.begin(), sorted.end());
  for (BrokerId broker : to) {
    if (!live_.contains(broker)) {
      continue;
    }
    protocol::LeaderAndIsrRequest request;
    request.controller_id = config_.broker_id.value;
    request.controller_epoch = epoch_;
    request.broker_epoch = broker_czxid_[broker];
    std::set<BrokerId> leaders;
    for (const auto& tp : sorted) {
      const auto* replicas = replicas_of(tp);
      auto state = states_.find(tp);
      if (replicas == nullptr || state == states_.end() || !contains(*replicas, broker)) {
        continue;
      }
      const auto& d = state->second.data;
      if (request.topic_states.empty() || request.topic_states.back().topic_name != tp.topic) {
        request.topic_states.push_back({tp.topic, {}});
      }
      protocol::LeaderAndIsrRequest::PartitionState ps;
      ps.topic_name = tp.topic;
      ps.partition_index = tp.partition.value;
      ps.controller_epoch = d.controller_epoch;
      ps.leader = d.leader.value;
      ps.leader_epoch = d.leader_epoch.value;
      ps.isr = raw(d.isr);
      ps.partition_epoch = state->second.version.value;
      ps.replicas = raw(*replicas);
      ps.is_new = is_new.contains(tp);
      request.topic_states.back().partition_states.push_back(std::move(ps));
      leaders.insert(d.leader);
    }
    if (request.topic_states.empty()) {
      continue;
    }
    for (BrokerId leader : leaders) {
      if (auto it = live_.find(leader); it != live_.end()) {
        request.live_leaders.push_back({leader.value, it->second.host, it->second.port});
      }
    }
    channel_.send_leader_and_isr(broker, std::move(request));
  }
}

void Controller::send_to_replicas(const std::vector<TopicPartition>& tps,
                                  const std::set<TopicPartition>& is_new) {
  send_leader_and_isr(tps, live_ids(), is_new);
}

void Controller::publish_stats() {
  uint64_t offline = 0;
  for (const auto& [tp, entry] : states_) {
    if (entry.data.leader.value < 0 || !live_.contains(entry.data.leader)) {
      ++offline;
    }
  }
  offline_partitions_ = offline;
  live_brokers_ = live_.size();
}

}  // namespace meridian::controller
