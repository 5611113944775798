#include "cluster/broker/metadata_refresher.h"

#include "cluster/controller/state_codec.h"
#include "common/log.h"

namespace meridian::broker {

namespace ctl = controller;

MetadataRefresher::MetadataRefresher(coord::CoordinationStore& store, MetadataCache& cache,
                                     std::string cluster_id, std::chrono::milliseconds interval)
    : store_(store), cache_(cache), cluster_id_(std::move(cluster_id)), interval_(interval) {}

MetadataRefresher::~MetadataRefresher() { stop(); }

void MetadataRefresher::start() { thread_ = std::thread([this] { run(); }); }

void MetadataRefresher::trigger() {
  std::lock_guard lock(mutex_);
  triggered_ = true;
  cv_.notify_one();
}

void MetadataRefresher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void MetadataRefresher::run() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, interval_, [this] { return triggered_ || stopping_; });
      if (stopping_) {
        return;
      }
      triggered_ = false;
    }
    if (auto r = refresh_now(); !r) {
      logger("broker")->debug("metadata refresh failed: {}", r.error().message());
    }
  }
}

Result<void> MetadataRefresher::refresh_now() {
  ClusterMetadata m;
  m.cluster_id = cluster_id_;
  if (auto controller = store_.get(ctl::kControllerPath); controller) {
    if (auto data = ctl::decode_controller(controller->data); data) {
      m.controller_id = data->broker_id;
    }
  }
  auto ids = store_.children(ctl::kBrokerIdsPath);
  if (!ids) {
    return ids.error();
  }
  for (const auto& id : *ids) {
    BrokerId broker(std::stoi(id));
    auto node = store_.get(ctl::broker_path(broker));
    if (!node) {
      continue;  // gone between children() and get()
    }
    auto reg = ctl::decode_broker(broker, node->data);
    if (reg) {
      m.brokers.push_back({reg->id, reg->host, reg->port, reg->rack});
    }
  }
  std::sort(m.brokers.begin(), m.brokers.end(),
            [](const BrokerInfo& a, const BrokerInfo& b) { return a.id < b.id; });
  auto topics = store_.children(ctl::kTopicsPath);
  if (!topics) {
    return topics.error();
  }
  for (const auto& topic : *topics) {
    auto node = store_.get(ctl::topic_path(topic));
    if (!node) {
      continue;
    }
    auto assignment = ctl::decode_assignment(node->data);
    if (!assignment) {
      continue;
    }
    TopicInfo info;
    info.internal = topic.starts_with("__");
    for (size_t p = 0; p < assignment->size(); ++p) {
      PartitionInfo pi;
      pi.replicas = (*assignment)[p];
      auto state = store_.get(ctl::partition_state_path(topic, PartitionId(static_cast<int32_t>(p))));
      if (state) {
        if (auto decoded = ctl::decode_partition_state(state->data); decoded) {
          pi.leader = decoded->leader;
          pi.leader_epoch = decoded->leader_epoch;
          pi.isr = decoded->isr;
        }
      }
      for (auto r : pi.replicas) {
        if (!m.broker(r)) {
          pi.offline_replicas.push_back(r);
        }
      }
      info.partitions.push_back(std::move(pi));
    }
    m.topics[topic] = std::move(info);
  }
  cache_.publish(std::move(m));
  return {};
}

}  // namespace meridian::broker
