#pragma once
// Topic and broker configuration through DescribeConfigs (key 32) and AlterConfigs (key 33).
// AlterConfigs replaces a resource's whole set of dynamic configs (the non-incremental API), so
// update_configs() reads the current dynamic entries first, applies the changes, and writes the
// result back: two requests, not atomic against a concurrent writer (Kafka's kafka-configs did
// the same before KIP-339).
//
// Strand model: runs on the Client's executor; the Client must outlive every coroutine here.
// Errors: those of Client::connection / Connection::request; a resource's own failure comes
// back as kafka_error(code) (UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG, ...); no_common_version
// when the broker does not serve the API.

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/client/client.h"
#include "common/result.h"

namespace meridian::client {

enum class ConfigResourceType : int8_t { kTopic = 2, kBroker = 4 };

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;  // null for sensitive values
  bool read_only = false;
  bool is_default = false;  // the value comes from a default, not from this resource
  bool sensitive = false;
  std::string source;  // "topic", "broker", "default", ... ("" when the broker does not say)
};

// Every config of one resource (topic name, or broker id as a string).
boost::asio::awaitable<Result<std::vector<ConfigEntry>>> describe_configs(
    Client& client, ConfigResourceType type, std::string name);

// Sets `set` and removes `remove` on top of the resource's current dynamic configs.
// `validate_only`: the broker checks the change without applying it.
boost::asio::awaitable<Result<void>> update_configs(Client& client, ConfigResourceType type,
                                                    std::string name,
                                                    std::map<std::string, std::string> set,
                                                    std::vector<std::string> remove,
                                                    bool validate_only);

// CreatePartitions (key 37): grows `topic` to `total` partitions (the controller places the
// new replicas rack-aware). `validate_only`: checked, nothing changes. A topic's failure comes
// back as kafka_error(code) (INVALID_PARTITIONS, UNKNOWN_TOPIC_OR_PARTITION, ...) with Kafka's
// message in `message` when given.
boost::asio::awaitable<Result<void>> create_partitions(Client& client, std::string topic,
                                                       int32_t total, bool validate_only,
                                                       std::string* message = nullptr);

}  // namespace meridian::client
