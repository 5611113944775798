#pragma once
// StoreTopicAdmin: CreateTopics / DeleteTopics / CreatePartitions through the coordination
// store (cluster/controller/topic_admin.h). Each runs on the blocking pool, so no io_context
// thread waits for the store; the metadata refresher is triggered after each change.
// Lifetime: `store`, `config` and `refresher` must outlive it.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <map>
#include <string>

#include "cluster/broker/broker_config.h"
#include "cluster/broker/request_dispatcher.h"
#include "cluster/broker/topic_admin_extension.h"
#include "cluster/coord/coordination_store.h"

namespace meridian::broker {

class MetadataRefresher;

class StoreTopicAdmin final : public TopicAdmin, public PartitionAdmin {
 public:
  StoreTopicAdmin(coord::CoordinationStore& store, boost::asio::any_io_executor blocking,
                  const BrokerConfig& config, MetadataRefresher& refresher)
      : store_(store), blocking_(std::move(blocking)), config_(config), refresher_(refresher) {}

  boost::asio::awaitable<protocol::ErrorCode> create_topic(
      std::string name, int32_t partitions, int16_t replication_factor,
      std::map<std::string, std::string> configs) override;
  boost::asio::awaitable<protocol::ErrorCode> delete_topic(std::string name) override;
  boost::asio::awaitable<Outcome> create_partitions(std::string topic, int32_t total,
                                                    bool validate_only) override;

 private:
  // Blocking: CreatePartitions for one topic, with Kafka's error messages.
  Outcome grow(const std::string& topic, int32_t total, bool validate_only);

  coord::CoordinationStore& store_;
  boost::asio::any_io_executor blocking_;
  const BrokerConfig& config_;
  MetadataRefresher& refresher_;
};

}  // namespace meridian::broker
