#pragma once
// Consumer-group series of a broker's metrics collector (broker_metrics.h, CONVENTIONS.md §1
// rows 18-20): committed offset and lag per group / topic / partition, lag per group / topic,
// members per group. Reported only by the group's coordinator (GroupCoordinator::views), so a
// sum over brokers counts each group once.
//
// Lag = the partition's high watermark - the committed offset, from the replica this process
// holds (`HighWatermark`); a partition with no local replica has a committed-offset series but
// no lag series. Series of groups, topics or partitions that went away are removed.
//
// Threading: the collector's thread only.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "cluster/broker/replica_manager.h"
#include "common/admin/metrics.h"

namespace meridian::broker {

class Broker;

class GroupMetricsSampler {
 public:
  using HighWatermark = std::function<std::optional<int64_t>(const TopicPartition&)>;

  GroupMetricsSampler(const Broker& broker, const std::map<std::string, std::string>& labels);

  void sample(const HighWatermark& high_watermark);

 private:
  void set(const admin::GaugeFamily& family, const prometheus::Labels& labels, double value);

  const Broker& broker_;
  admin::GroupMetrics metrics_;
  std::set<std::pair<const admin::GaugeFamily*, prometheus::Labels>> previous_;
  std::set<std::pair<const admin::GaugeFamily*, prometheus::Labels>> current_;
};

}  // namespace meridian::broker
