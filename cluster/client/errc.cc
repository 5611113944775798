#include "cluster/client/errc.h"

#include <string>

namespace meridian::client {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.client"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok: return "ok";
      case errc::disconnected: return "connection to broker lost";
      case errc::request_timeout: return "request timed out";
      case errc::no_common_version: return "broker supports no common version of this API";
      case errc::bad_bootstrap: return "bootstrap servers must be host:port[,host:port...]";
      case errc::no_broker_reachable: return "no broker reachable";
      case errc::unknown_topic: return "unknown topic";
      case errc::unknown_partition: return "unknown partition";
      case errc::leader_not_available: return "no leader for partition";
      case errc::bad_response: return "malformed or mismatched response from broker";
      case errc::closed: return "client closed";
      case errc::corrupt_records: return "fetched records are corrupt";
    }
    return "unknown client error";
  }
};

class KafkaCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.kafka"; }
  std::string message(int value) const override {
    return std::string(protocol::error_code_name(static_cast<protocol::ErrorCode>(value)));
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

const std::error_category& kafka_category() noexcept {
  static const KafkaCategory category;
  return category;
}

bool is_retriable(const std::error_code& ec) noexcept {
  if (auto kafka = as_kafka_error(ec)) {
    return *kafka == protocol::ErrorCode::kNotLeaderOrFollower ||
           *kafka == protocol::ErrorCode::kLeaderNotAvailable ||
           *kafka == protocol::ErrorCode::kUnknownTopicOrPartition ||
           *kafka == protocol::ErrorCode::kNotEnoughReplicas ||
           *kafka == protocol::ErrorCode::kFencedLeaderEpoch ||
           *kafka == protocol::ErrorCode::kUnknownLeaderEpoch;
  }
  return ec == errc::disconnected || ec == errc::no_broker_reachable ||
         ec == errc::leader_not_available || ec == errc::unknown_partition;
}

}  // namespace meridian::client
