// DescribeConfigs / AlterConfigs for the CLI and the gateway's admin routes. Broker resources
// go to that broker (only it knows its static config); topic resources go to the controller,
// or any broker when there is none, as Kafka's AdminClient does.
#include "cluster/client/admin_configs.h"

#include <algorithm>
#include <charconv>

#include "cluster/client/connection.h"
#include "cluster/protocol/messages.h"

namespace meridian::client {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {

// Kafka's ConfigSource (DescribeConfigs v1+).
std::string source_name(int8_t source) {
  switch (source) {
    case 1: return "topic";
    case 2: return "dynamic-broker";
    case 3: return "dynamic-default-broker";
    case 4: return "static-broker";
    case 5: return "default";
    case 6: return "dynamic-broker-logger";
    default: return "";
  }
}

asio::awaitable<Result<std::shared_ptr<Connection>>> target(Client& client, ConfigResourceType type,
                                                            const std::string& name) {
  std::vector<std::string> none;
  auto metadata = co_await client.metadata(std::move(none));
  if (!metadata) {
    co_return metadata.error();
  }
  std::vector<BrokerId> order;
  if (type == ConfigResourceType::kBroker) {
    int32_t id = -1;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc() || ptr != name.data() + name.size() ||
        !(*metadata)->brokers.contains(BrokerId(id))) {
      co_return make_error_code(errc::no_broker_reachable);
    }
    order.push_back(BrokerId(id));
  } else {
    if ((*metadata)->controller.value >= 0) {
      order.push_back((*metadata)->controller);
    }
    for (const auto& [id, addr] : (*metadata)->brokers) {
      order.push_back(id);
    }
  }
  std::error_code last = make_error_code(errc::no_broker_reachable);
  for (BrokerId id : order) {
    auto conn = co_await client.connection(id);
    if (conn) {
      co_return conn;
    }
    last = conn.error();
  }
  co_return last;
}

ConfigEntry to_entry(const protocol::DescribeConfigsResponse::Config& c) {
  ConfigEntry e;
  e.name = c.name;
  e.value = c.value;
  e.read_only = c.read_only;
  e.sensitive = c.is_sensitive;
  e.source = source_name(c.config_source);
  // v0 says is_default; v1+ says it with the source (4 static broker, 5 default).
  e.is_default = c.is_default || c.config_source == 4 || c.config_source == 5;
  return e;
}

}  // namespace

asio::awaitable<Result<std::vector<ConfigEntry>>> describe_configs(Client& client,
                                                                   ConfigResourceType type,
                                                                   std::string name) {
  auto conn = co_await target(client, type, name);
  if (!conn) {
    co_return conn.error();
  }
  protocol::DescribeConfigsRequest request;
  request.resources.push_back({static_cast<int8_t>(type), name, std::nullopt});
  auto response = co_await (*conn)->request(request);
  if (!response) {
    co_return response.error();
  }
  for (const auto& r : response->results) {
    if (r.resource_name != name) {
      continue;
    }
    if (r.error_code != ErrorCode::kNone) {
      co_return kafka_error(r.error_code);
    }
    std::vector<ConfigEntry> out;
    for (const auto& c : r.configs) {
      out.push_back(to_entry(c));
    }
    std::sort(out.begin(), out.end(),
              [](const ConfigEntry& a, const ConfigEntry& b) { return a.name < b.name; });
    co_return out;
  }
  co_return make_error_code(errc::bad_response);
}

asio::awaitable<Result<void>> update_configs(Client& client, ConfigResourceType type,
                                             std::string name,
                                             std::map<std::string, std::string> set,
                                             std::vector<std::string> remove, bool validate_only) {
  auto current = co_await describe_configs(client, type, name);
  if (!current) {
    co_return current.error();
  }
  // Only the resource's own (dynamic) entries are carried over: defaults must stay defaults.
  std::map<std::string, std::optional<std::string>> next;
  for (const auto& e : *current) {
    if (!e.is_default && !e.read_only && e.value) {
      next[e.name] = e.value;
    }
  }
  for (const auto& key : remove) {
    next.erase(key);
  }
  for (const auto& [key, value] : set) {
    next[key] = value;
  }
  auto conn = co_await target(client, type, name);
  if (!conn) {
    co_return conn.error();
  }
  protocol::AlterConfigsRequest request;
  request.validate_only = validate_only;
  protocol::AlterConfigsRequest::Resource resource;
  resource.resource_type = static_cast<int8_t>(type);
  resource.resource_name = name;
  for (const auto& [key, value] : next) {
    resource.configs.push_back({key, value});
  }
  request.resources.push_back(std::move(resource));
  auto response = co_await (*conn)->request(request);
  if (!response) {
    co_return response.error();
  }
  for (const auto& r : response->responses) {
    if (r.resource_name == name) {
      if (r.error_code != ErrorCode::kNone) {
        co_return kafka_error(r.error_code);
      }
      co_return Result<void>{};
    }
  }
  co_return make_error_code(errc::bad_response);
}

asio::awaitable<Result<void>> create_partitions(Client& client, std::string topic, int32_t total,
                                                bool validate_only, std::string* message) {
  auto conn = co_await target(client, ConfigResourceType::kTopic, topic);
  if (!conn) {
    co_return conn.error();
  }
  protocol::CreatePartitionsRequest request;
  request.topics.push_back({topic, total, std::nullopt});
  request.validate_only = validate_only;
  auto response = co_await (*conn)->request(request);
  if (!response) {
    co_return response.error();
  }
  for (const auto& r : response->results) {
    if (r.name == topic) {
      if (r.error_code != ErrorCode::kNone) {
        if (message != nullptr) {
          *message = r.error_message.value_or("");
        }
        co_return kafka_error(r.error_code);
      }
      co_return Result<void>{};
    }
  }
  co_return make_error_code(errc::bad_response);
}

}  // namespace meridian::client
