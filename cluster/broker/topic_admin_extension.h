#pragma once
// TopicAdminExtension: the controller-to-broker StopReplica (key 5, v0-1) and the client's
// CreatePartitions (key 37, v0-1), served next to the dispatcher's CreateTopics/DeleteTopics
// (implemented in request_dispatcher_admin.cc).
//
//   StopReplica: fenced by the controller epoch (STALE_CONTROLLER_EPOCH); each partition is
//     stopped and, with delete_partitions, its log renamed `<t>-<p>.<id>-delete` and removed
//     in the background (ReplicaManager::stop_replica). Topic deletion is this path.
//   CreatePartitions: per topic, PartitionAdmin grows the assignment in the store (rack-aware,
//     like Kafka's AdminZkClient.addPartitions); the controller elects the new partitions'
//     leaders and tells their replicas. validate_only checks and computes, writes nothing.
//     Errors as Kafka: INVALID_PARTITIONS (not more than now), UNKNOWN_TOPIC_OR_PARTITION,
//     INVALID_REPLICATION_FACTOR (too few live brokers), INVALID_TOPIC_EXCEPTION (queued for
//     deletion), INVALID_REQUEST (manual assignments, the topic twice in one request).
//
// `replicas` and `admin` must outlive the extension.

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

#include "cluster/broker/replica_manager.h"
#include "cluster/broker/request_dispatcher.h"
#include "cluster/protocol/error_code.h"

namespace meridian::broker {

// Partition-count changes in the store; the broker implements it (broker.cc).
class PartitionAdmin {
 public:
  struct Outcome {
    protocol::ErrorCode error = protocol::ErrorCode::kNone;
    std::optional<std::string> message;
  };
  virtual ~PartitionAdmin() = default;
  // Grows `topic` to `total` partitions.
  virtual boost::asio::awaitable<Outcome> create_partitions(std::string topic, int32_t total,
                                                            bool validate_only) = 0;
};

class TopicAdminExtension final : public RequestExtension {
 public:
  TopicAdminExtension(ReplicaManager& replicas, PartitionAdmin& admin)
      : replicas_(replicas), admin_(admin) {}

  bool serves(protocol::ApiKey key) const noexcept override;
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, const protocol::RequestHeader& header,
      std::span<const uint8_t> body) override;

 private:
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> stop_replica(
      const protocol::RequestHeader& header, std::span<const uint8_t> body);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> create_partitions(
      const protocol::RequestHeader& header, std::span<const uint8_t> body);

  ReplicaManager& replicas_;
  PartitionAdmin& admin_;
};

}  // namespace meridian::broker
