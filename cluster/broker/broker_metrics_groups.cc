#include "cluster/broker/broker_metrics_groups.h"

#include <algorithm>
#include <chrono>

#include "cluster/broker/broker.h"
#include "cluster/broker/group_coordinator.h"

namespace meridian::broker {

namespace {

// The coordinator copies its groups on its strand; a scrape-sized wait, not a request's.
constexpr std::chrono::milliseconds kViewTimeout{1000};

prometheus::Labels to_labels(const std::map<std::string, std::string>& labels) {
  return prometheus::Labels(labels.begin(), labels.end());
}

}  // namespace

GroupMetricsSampler::GroupMetricsSampler(const Broker& broker,
                                         const std::map<std::string, std::string>& labels)
    : broker_(broker), metrics_(admin::group_metrics(to_labels(labels))) {}

void GroupMetricsSampler::set(const admin::GaugeFamily& family, const prometheus::Labels& labels,
                              double value) {
  family.add(labels).Set(value);
  current_.emplace(&family, labels);
}

void GroupMetricsSampler::sample(const HighWatermark& high_watermark) {
  const GroupCoordinator* coordinator = broker_.group_coordinator();
  auto views = coordinator ? coordinator->views(kViewTimeout) : std::nullopt;
  if (coordinator && !views) {
    return;  // the strand is busy or stopping: keep the last values rather than drop them
  }
  for (const auto& view : views.value_or(std::vector<GroupCoordinator::GroupView>{})) {
    set(metrics_.members, {{"group", view.group}}, static_cast<double>(view.members));
    std::map<std::string, int64_t> topic_lag;
    for (const auto& [tp, offset] : view.offsets) {
      const auto& [topic, partition] = tp;
      if (offset < 0) {
        continue;
      }
      prometheus::Labels labels{
          {"group", view.group}, {"topic", topic}, {"partition", std::to_string(partition)}};
      set(metrics_.committed_offset, labels, static_cast<double>(offset));
      auto hw = high_watermark(TopicPartition{topic, PartitionId(partition)});
      if (hw) {
        int64_t lag = std::max<int64_t>(0, *hw - offset);
        set(metrics_.lag, labels, static_cast<double>(lag));
        topic_lag[topic] += lag;
      }
    }
    for (const auto& [topic, lag] : topic_lag) {
      set(metrics_.topic_lag, {{"group", view.group}, {"topic", topic}}, static_cast<double>(lag));
    }
  }
  for (const auto& [family, labels] : previous_) {
    if (!current_.contains({family, labels})) {
      family->remove(labels);
    }
  }
  previous_ = std::move(current_);
  current_.clear();
}

}  // namespace meridian::broker
