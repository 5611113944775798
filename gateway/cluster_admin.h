#pragma once
// ClusterAdmin: metadata, admin, stateless reads and consumer-group views over cluster/client,
// for the v2 metadata routes (it is the MetadataService), GET .../records and the v3 routes.
// Every call hops to the ClusterContext's client thread and back.
//
// Errors: topic_not_found (40401), partition_not_found (40402), consumer_group_not_found
// (40405), kafka_bad_request (40002: invalid partitions/replication/config), kafka_retriable
// (50003), kafka_error (50002), broker_not_available (50302: no broker reachable).

#include <optional>
#include <string>
#include <vector>

#include "gateway/cluster_context.h"
#include "gateway/json/metadata.h"
#include "gateway/routes/routes.h"

namespace meridian::gateway {

// The gateway errc of a Kafka error code in an admin answer.
ApiError admin_error(const std::error_code& ec, std::string detail = {});

struct ClusterView {
  std::string cluster_id;
  std::optional<BrokerId> controller;
  std::vector<json::V3Broker> brokers;
};

struct GroupView {
  json::V3ConsumerGroup group;
  std::vector<client::GroupMemberDescription> members;
};

class ClusterAdmin final : public MetadataService {
 public:
  explicit ClusterAdmin(ClusterContext& ctx) : ctx_(ctx) {}
  const std::string& cluster_id() const { return ctx_.options().cluster_id; }

  // ---- MetadataService (v2) ----
  Async<std::vector<std::string>> topics() override;
  Async<TopicInfo> topic(std::string name) override;
  Async<PartitionOffsets> offsets(std::string topic, PartitionId partition) override;
  Async<std::vector<BrokerId>> brokers() override;

  // Records from `offset` (stateless: no instance, no group), waiting up to `timeout` for one.
  Async<std::vector<ConsumedRecord>> read(std::string topic, PartitionId partition, Offset offset,
                                          int32_t max_bytes, std::chrono::milliseconds timeout);

  // ---- v3 ----
  Async<ClusterView> cluster();
  Async<std::vector<json::V3Topic>> v3_topics();
  Async<json::V3Topic> v3_topic(std::string name);
  Async<json::V3Topic> create_topic(json::V3CreateTopic request);
  Async<void> delete_topic(std::string name);
  // Grows the topic to `count` partitions (CreatePartitions).
  Async<void> create_partitions(std::string topic, int32_t count);
  // resource_type: protocol::kConfigResourceTopic or kConfigResourceBroker.
  Async<std::vector<json::V3Config>> configs(int8_t resource_type, std::string name);
  // AlterConfigs (non-incremental: `configs` replaces the resource's dynamic set).
  Async<void> alter_configs(int8_t resource_type, std::string name,
                            std::vector<std::pair<std::string, std::optional<std::string>>> configs);
  Async<std::vector<GroupView>> groups();
  Async<GroupView> group(std::string id);
  // Committed offset vs log end for every partition the group committed.
  Async<std::vector<json::V3Lag>> lags(std::string group);

 private:
  // On the client thread: DescribeConfigs of one resource.
  boost::asio::awaitable<ApiResult<std::vector<json::V3Config>>> configs_on_client(
      int8_t resource_type, std::string name);

  ClusterContext& ctx_;
};

}  // namespace meridian::gateway
