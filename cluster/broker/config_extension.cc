#include "cluster/broker/config_extension.h"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/broker/config_applier.h"
#include "cluster/broker/config_catalog.h"
#include "cluster/broker/detail/respond.h"
#include "cluster/broker/error_mapping.h"
#include "cluster/controller/state_codec.h"
#include "cluster/controller/topic_admin.h"
#include "cluster/protocol/messages.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {

struct Outcome {
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> message;
};

// A topic's stored overrides. Errors as Outcome: unknown topic, store failures.
Result<controller::TopicConfig> read_topic_config(coord::CoordinationStore& store,
                                                  const std::string& topic) {
  if (!controller::is_valid_topic_name(topic)) {
    return make_error_code(controller::errc::invalid_topic);
  }
  auto exists = store.exists(controller::topic_path(topic));
  if (!exists) {
    return exists.error();
  }
  if (!exists->has_value()) {
    return make_error_code(controller::errc::unknown_topic);
  }
  auto node = store.get(controller::topic_config_path(topic));
  if (!node) {
    if (node.error() == coord::errc::no_node) {
      return controller::TopicConfig{};
    }
    return node.error();
  }
  return controller::decode_topic_config(node->data);
}

Outcome outcome_of(std::error_code ec, const std::string& topic) {
  Outcome out{to_kafka_error(ec), ec.message()};
  if (ec == controller::errc::unknown_topic) {
    out.message = "Topic " + topic + " does not exist";
  }
  if (ec.category() == coord::error_category()) {
    out.error = ErrorCode::kUnknownServerError;
  }
  return out;
}

// Writes the whole override set (create or replace), like AdminZkClient.changeTopicConfig.
Result<void> write_topic_config(coord::CoordinationStore& store, const std::string& topic,
                                const controller::TopicConfig& config) {
  auto data = controller::encode_topic_config(config);
  auto set = store.set(controller::topic_config_path(topic), data);
  if (set) {
    return {};
  }
  if (set.error() != coord::errc::no_node) {
    return set.error();
  }
  if (auto ok = coord::ensure_path(store, controller::kTopicConfigsPath); !ok) {
    return ok.error();
  }
  auto created =
      store.create(controller::topic_config_path(topic), data, coord::CreateMode::kPersistent);
  return created ? Result<void>() : Result<void>(created.error());
}

protocol::DescribeConfigsResponse::Config to_wire(const DescribedConfig& c, bool synonyms) {
  protocol::DescribeConfigsResponse::Config out;
  out.name = c.name;
  out.value = c.value;
  out.read_only = c.read_only;
  out.is_default = c.source == ConfigSource::kDefault;
  out.config_source = static_cast<int8_t>(c.source);
  if (synonyms) {
    for (const auto& [name, value] : c.synonyms) {
      out.synonyms.push_back({name, value.first, static_cast<int8_t>(value.second)});
    }
  }
  return out;
}

bool is_this_broker(const std::string& name, BrokerId self) {
  return name.empty() || name == std::to_string(self.value);
}

}  // namespace

ConfigExtension::ConfigExtension(coord::CoordinationStore& store, asio::any_io_executor blocking,
                                 const BrokerConfig& config, ConfigApplier* applier)
    : store_(store), blocking_(std::move(blocking)), config_(config), applier_(applier) {}

bool ConfigExtension::serves(protocol::ApiKey key) const noexcept {
  return key == protocol::ApiKey::kDescribeConfigs || key == protocol::ApiKey::kAlterConfigs;
}

asio::awaitable<std::optional<std::vector<uint8_t>>> ConfigExtension::handle(
    const ConnectionInfo&, const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  std::optional<std::vector<uint8_t>> response;
  if (header.api_key == protocol::ApiKey::kDescribeConfigs) {
    response = co_await describe(header, body);
  } else {
    response = co_await alter(header, body);
  }
  co_return response;
}

asio::awaitable<std::optional<std::vector<uint8_t>>> ConfigExtension::describe(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::DescribeConfigsRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  auto work = [this, request = std::move(*request),
               version =
                   header.api_version]() -> asio::awaitable<protocol::DescribeConfigsResponse> {
    protocol::DescribeConfigsResponse response;
    bool synonyms = version >= 1 && request.include_synonyms;
    for (const auto& resource : request.resources) {
      auto& out = response.results.emplace_back();
      out.resource_type = resource.resource_type;
      out.resource_name = resource.resource_name;
      std::vector<DescribedConfig> configs;
      if (resource.resource_type == protocol::kConfigResourceTopic) {
        auto overrides = read_topic_config(store_, resource.resource_name);
        if (!overrides) {
          auto o = outcome_of(overrides.error(), resource.resource_name);
          out.error_code = o.error;
          out.error_message = o.message;
          continue;
        }
        configs = describe_topic_configs(*overrides, config_);
      } else if (resource.resource_type == protocol::kConfigResourceBroker) {
        if (!is_this_broker(resource.resource_name, config_.broker_id)) {
          out.error_code = ErrorCode::kInvalidRequest;
          out.error_message = "Unexpected broker id, expected " +
                              std::to_string(config_.broker_id.value) + " but received " +
                              resource.resource_name;
          continue;
        }
        configs = describe_broker_configs(config_);
      } else {
        out.error_code = ErrorCode::kInvalidRequest;
        out.error_message = "Unsupported resource type " + std::to_string(resource.resource_type);
        continue;
      }
      for (const auto& c : configs) {
        const auto& keys = resource.configuration_keys;
        if (keys && std::find(keys->begin(), keys->end(), c.name) == keys->end()) {
          continue;
        }
        out.configs.push_back(to_wire(c, synonyms));
      }
    }
    co_return response;
  };
  auto response = co_await asio::co_spawn(blocking_, std::move(work), asio::use_awaitable);
  co_return detail::respond(header, response);
}

asio::awaitable<std::optional<std::vector<uint8_t>>> ConfigExtension::alter(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::AlterConfigsRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  auto work = [this,
               request = std::move(*request)]() -> asio::awaitable<protocol::AlterConfigsResponse> {
    protocol::AlterConfigsResponse response;
    for (const auto& resource : request.resources) {
      auto& out = response.responses.emplace_back();
      out.resource_type = resource.resource_type;
      out.resource_name = resource.resource_name;
      if (resource.resource_type == protocol::kConfigResourceBroker) {
        out.error_code = ErrorCode::kInvalidRequest;
        out.error_message =
            "broker configs are read-only in Meridian (no dynamic broker configs): change the "
            "broker's YAML file, MERIDIAN_* environment or --set and restart it";
        continue;
      }
      if (resource.resource_type != protocol::kConfigResourceTopic) {
        out.error_code = ErrorCode::kInvalidRequest;
        out.error_message = "Unsupported resource type " + std::to_string(resource.resource_type);
        continue;
      }
      controller::TopicConfig next;
      for (const auto& c : resource.configs) {
        if (!c.value) {
          continue;  // null: not set (the set replaces the old one, so the key reverts)
        }
        if (auto invalid = validate_topic_config(c.name, *c.value)) {
          out.error_code = ErrorCode::kInvalidConfig;
          out.error_message = *invalid;
          break;
        }
        next[c.name] = *c.value;
      }
      if (out.error_code != ErrorCode::kNone) {
        continue;
      }
      auto current = read_topic_config(store_, resource.resource_name);
      if (!current) {
        auto o = outcome_of(current.error(), resource.resource_name);
        out.error_code = o.error;
        out.error_message = o.message;
        continue;
      }
      if (request.validate_only) {
        continue;
      }
      if (auto written = write_topic_config(store_, resource.resource_name, next); !written) {
        auto o = outcome_of(written.error(), resource.resource_name);
        out.error_code = o.error;
        out.error_message = o.message;
        continue;
      }
      logger("broker")->info("topic {}: configs set to {}", resource.resource_name,
                             controller::encode_topic_config(next));
      if (applier_ != nullptr) {
        applier_->trigger(resource.resource_name);
      }
    }
    co_return response;
  };
  auto response = co_await asio::co_spawn(blocking_, std::move(work), asio::use_awaitable);
  co_return detail::respond(header, response);
}

}  // namespace meridian::broker
