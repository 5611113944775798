#pragma once
// ClusterConsumerService: v2 consumer instances over cluster/client. An instance is a
// client::Consumer (positions, fetch) plus, once it subscribes, a client::GroupMember: a real
// member of the consumer group in the cluster, so instances on several gateways share a group's
// partitions. Positions start from the group's committed offsets (OffsetFetch), else
// auto.offset.reset; commits go to the cluster (OffsetCommit), so another gateway resumes where
// this one committed. An instance unknown here (expired, or created on another gateway) answers
// 404/40403 with a hint, never a silent restart.
//
// Strands: instance state lives on the ClusterContext's client thread only; every call hops
// there. Instances are shared_ptr so a call in flight survives a concurrent delete.
// Errors: consumer_instance_not_found (40403), consumer_already_exists (40902),
// illegal_state (40903), invalid_consumer_config (42204), kafka_retriable/kafka_error (500xx).

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "gateway/cluster_context.h"
#include "gateway/routes/routes.h"

namespace meridian::gateway {

struct ConsumerServiceOptions {
  std::chrono::milliseconds instance_timeout{300000};  // consumer.instance.timeout.ms
  std::chrono::milliseconds request_timeout{1000};     // consumer.request.timeout.ms default
  std::chrono::milliseconds max_request_timeout{30000};
  int64_t request_max_bytes = 64 * 1024 * 1024;  // consumer.request.max.bytes
  std::chrono::milliseconds session_timeout{10000};
  std::chrono::milliseconds heartbeat_interval{1000};
};

class ClusterConsumerService final : public ConsumerService {
 public:
  struct Instance;
  ClusterConsumerService(ClusterContext& ctx, ConsumerServiceOptions options);
  ~ClusterConsumerService() override;

  Async<std::string> create(std::string group, ConsumerCreateRequest request) override;
  Async<void> remove(std::string group, std::string instance) override;
  Async<void> subscribe(std::string group, std::string instance, Subscription s) override;
  Async<std::vector<std::string>> subscription(std::string group, std::string instance) override;
  Async<void> unsubscribe(std::string group, std::string instance) override;
  Async<void> assign(std::string group, std::string instance,
                     std::vector<TopicPartition> partitions) override;
  Async<std::vector<TopicPartition>> assignments(std::string group,
                                                 std::string instance) override;
  Async<void> seek(std::string group, std::string instance, SeekRequest request) override;
  Async<void> seek_to(std::string group, std::string instance,
                      std::vector<TopicPartition> partitions, SeekTo where) override;
  Async<EmbeddedFormat> format(std::string group, std::string instance) override;
  Async<std::vector<ConsumedRecord>> records(std::string group, std::string instance,
                                             RecordsQuery query) override;
  Async<std::vector<CommitResult>> commit(std::string group, std::string instance,
                                          CommitOffsetsRequest request) override;
  Async<std::vector<TopicPartitionOffset>> committed(
      std::string group, std::string instance, std::vector<TopicPartition> partitions) override;

  // Leaves every group and drops every instance (blocks up to a few seconds). Any thread.
  void close();
  size_t instance_count_for_test();

 private:
  using InstancePtr = std::shared_ptr<Instance>;
  // On the client thread: the instance or 40403 with the hint.
  ApiResult<InstancePtr> find(const std::string& group, const std::string& instance);
  void start_sweeper();

  ClusterContext& ctx_;
  ConsumerServiceOptions options_;
  std::map<std::string, InstancePtr> instances_;  // "group/instance"; client thread only
  uint64_t next_id_ = 1;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace meridian::gateway
