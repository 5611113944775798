#pragma once
// ConfigExtension: DescribeConfigs (key 32, v0-2) and AlterConfigs (key 33, v0-1) for topic and
// broker resources (config_catalog.h has the keys, defaults and validation).
//
//   topic:  overrides live in the coordination store at /config/topics/<t> (Kafka's format);
//           AlterConfigs replaces the whole set (it is not incremental, as in Kafka), after
//           validating every key and value: unknown key or bad value -> INVALID_CONFIG with
//           Kafka's message; missing topic -> UNKNOWN_TOPIC_OR_PARTITION. Every broker's
//           ConfigApplier then applies the change to the partitions it hosts.
//   broker: described from this broker's effective config (read-only); the name must be empty
//           or this broker's id. AlterConfigs on a broker -> INVALID_REQUEST: Meridian has no
//           dynamic broker configs (change the YAML file or --set and restart).
//
// Store calls run on the `blocking` executor. `store`, `config` and `applier` must outlive it.

#include <boost/asio/any_io_executor.hpp>

#include "cluster/broker/broker_config.h"
#include "cluster/broker/request_dispatcher.h"
#include "cluster/coord/coordination_store.h"

namespace meridian::broker {

class ConfigApplier;

class ConfigExtension final : public RequestExtension {
 public:
  ConfigExtension(coord::CoordinationStore& store, boost::asio::any_io_executor blocking,
                  const BrokerConfig& config, ConfigApplier* applier = nullptr);

  bool serves(protocol::ApiKey key) const noexcept override;
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, const protocol::RequestHeader& header,
      std::span<const uint8_t> body) override;

 private:
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> describe(
      const protocol::RequestHeader& header, std::span<const uint8_t> body);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> alter(
      const protocol::RequestHeader& header, std::span<const uint8_t> body);

  coord::CoordinationStore& store_;
  boost::asio::any_io_executor blocking_;
  const BrokerConfig& config_;
  ConfigApplier* applier_;
};

}  // namespace meridian::broker
