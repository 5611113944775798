#include "cluster/broker/store_topic_admin.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

#include "cluster/broker/error_mapping.h"
#include "cluster/broker/metadata_refresher.h"
#include "cluster/controller/topic_admin.h"

namespace meridian::broker {

namespace asio = boost::asio;
using protocol::ErrorCode;

asio::awaitable<ErrorCode> StoreTopicAdmin::create_topic(
    std::string name, int32_t partitions, int16_t replication_factor,
    std::map<std::string, std::string> configs) {
  auto body = [this, name, partitions, replication_factor,
               configs]() -> asio::awaitable<ErrorCode> {
    auto live = controller::read_live_brokers(store_);
    if (!live) {
      co_return ErrorCode::kUnknownServerError;
    }
    int32_t n = partitions > 0 ? partitions : config_.num_partitions;
    int16_t rf = replication_factor > 0 ? replication_factor : config_.default_replication_factor;
    auto created = controller::create_topic(store_, name, n, rf, configs,
                                            controller::racks_of(*live));
    refresher_.trigger();
    co_return created ? ErrorCode::kNone : to_kafka_error(created.error());
  };
  ErrorCode ec = co_await asio::co_spawn(blocking_, std::move(body), asio::use_awaitable);
  co_return ec;
}

asio::awaitable<ErrorCode> StoreTopicAdmin::delete_topic(std::string name) {
  auto body = [this, name]() -> asio::awaitable<ErrorCode> {
    auto r = controller::delete_topic(store_, name);
    refresher_.trigger();
    co_return r ? ErrorCode::kNone : to_kafka_error(r.error());
  };
  ErrorCode ec = co_await asio::co_spawn(blocking_, std::move(body), asio::use_awaitable);
  co_return ec;
}

asio::awaitable<PartitionAdmin::Outcome> StoreTopicAdmin::create_partitions(std::string topic,
                                                                          int32_t total,
                                                                          bool validate_only) {
  auto body = [this, topic, total, validate_only]() -> asio::awaitable<Outcome> {
    co_return grow(topic, total, validate_only);
  };
  Outcome outcome = co_await asio::co_spawn(blocking_, std::move(body), asio::use_awaitable);
  co_return outcome;
}

PartitionAdmin::Outcome StoreTopicAdmin::grow(const std::string& topic, int32_t total, bool validate_only) {
  auto live = controller::read_live_brokers(store_);
  if (!live) {
    return {ErrorCode::kUnknownServerError, live.error().message()};
  }
  int32_t current = -1;
  auto grown = controller::create_partitions(store_, topic, total, controller::racks_of(*live),
                                             std::nullopt, validate_only, &current);
  if (grown) {
    refresher_.trigger();
    return {};
  }
  Outcome out{to_kafka_error(grown.error()), std::nullopt};
  if (out.error == ErrorCode::kInvalidPartitions && current >= 0) {
    out.message = total == current ? "Topic already has " + std::to_string(current) +
                                         " partitions."
                                   : "Topic currently has " + std::to_string(current) +
                                         " partitions, which is higher than the requested " +
                                         std::to_string(total) + ".";
  } else if (out.error == ErrorCode::kInvalidReplicationFactor) {
    out.message = "The target replication factor cannot be reached because only " +
                  std::to_string(live->size()) + " broker(s) are registered.";
  } else if (out.error == ErrorCode::kInvalidTopicException) {
    out.message = "The topic " + topic + " is invalid or queued for deletion.";
  }
  return out;
}

}  // namespace meridian::broker
