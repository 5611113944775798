// ClusterAdmin's changing operations (topics, partitions, configs) and consumer-group views.
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <set>

#include "cluster/protocol/messages.h"
#include "gateway/cluster_admin.h"

namespace meridian::gateway {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {

constexpr std::chrono::milliseconds kAdminTimeout{15000};

asio::awaitable<Result<std::shared_ptr<client::Connection>>> any_admin_connection(
    client::Client& c) {
  std::vector<std::string> none;
  auto meta = co_await c.metadata(std::move(none));
  if (!meta) {
    co_return meta.error();
  }
  std::vector<BrokerId> order;
  if ((*meta)->controller.value >= 0) {
    order.push_back((*meta)->controller);
  }
  for (const auto& [id, b] : (*meta)->brokers) {
    order.push_back(id);
  }
  std::error_code last = make_error_code(client::errc::no_broker_reachable);
  for (BrokerId id : order) {
    auto conn = co_await c.connection(id);
    if (conn) {
      co_return conn;
    }
    last = conn.error();
  }
  co_return last;
}

std::string source_name(int8_t source, int8_t resource_type) {
  switch (source) {
    case 1: return "DYNAMIC_TOPIC_CONFIG";
    case 2: return "DYNAMIC_BROKER_CONFIG";
    case 3: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case 4: return "STATIC_BROKER_CONFIG";
    case 5: return "DEFAULT_CONFIG";
    default:
      return resource_type == protocol::kConfigResourceTopic ? "DYNAMIC_TOPIC_CONFIG"
                                                             : "STATIC_BROKER_CONFIG";
  }
}

std::string upper_state(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out.empty() ? "UNKNOWN" : out;
}

GroupView group_view(const client::GroupDescription& d) {
  GroupView v;
  v.group.consumer_group_id = d.group_id;
  v.group.is_simple = d.protocol_type.empty();
  v.group.partition_assignor = d.protocol;
  v.group.state = upper_state(d.state);
  v.group.coordinator = d.coordinator;
  v.members = d.members;
  return v;
}

}  // namespace

ClusterAdmin::Async<json::V3Topic> ClusterAdmin::create_topic(json::V3CreateTopic request) {
  auto work = [this, request]() -> Async<json::V3Topic> {
    client::NewTopic t;
    t.name = request.topic_name;
    t.partitions = request.partitions_count.value_or(-1);
    t.replication_factor = request.replication_factor.value_or(-1);
    for (const auto& [k, v] : request.configs) {
      t.configs[k] = v;
    }
    std::vector<client::NewTopic> create;
    create.push_back(t);
    auto created = co_await ctx_.client().create_topics(std::move(create), kAdminTimeout);
    if (!created) {
      co_return admin_error(created.error());
    }
    for (const auto& r : *created) {
      if (client::as_kafka_error(r.error) == ErrorCode::kTopicAlreadyExists) {
        co_return api_error(errc::kafka_bad_request,
                            "Topic '" + request.topic_name + "' already exists.");
      }
      if (r.error) {
        co_return admin_error(r.error, r.message);
      }
    }
    json::V3Topic out;
    out.topic_name = request.topic_name;
    out.partitions_count = t.partitions;
    out.replication_factor = t.replication_factor;
    // Wait (boundedly) for the topic's metadata so the answer has real counts.
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::vector<std::string> wanted{request.topic_name};
      auto meta = co_await ctx_.client().metadata(std::move(wanted));
      if (meta) {
        auto it = (*meta)->topics.find(request.topic_name);
        if (it != (*meta)->topics.end() && !it->second.partitions.empty()) {
          out.partitions_count = static_cast<int32_t>(it->second.partitions.size());
          out.replication_factor =
              static_cast<int32_t>(it->second.partitions.front().replicas.size());
          break;
        }
      }
      asio::steady_timer pause(ctx_.executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::use_awaitable);
    }
    co_return out;
  };
  co_return co_await ctx_.run<ApiResult<json::V3Topic>>(std::move(work));
}

ClusterAdmin::Async<void> ClusterAdmin::delete_topic(std::string name) {
  auto work = [this, name]() -> Async<void> {
    std::vector<std::string> topics{name};
    auto deleted = co_await ctx_.client().delete_topics(std::move(topics), kAdminTimeout);
    if (!deleted) {
      co_return admin_error(deleted.error());
    }
    for (const auto& r : *deleted) {
      if (r.error) {
        co_return admin_error(r.error, r.message);
      }
    }
    co_return ApiResult<void>{};
  };
  co_return co_await ctx_.run<ApiResult<void>>(std::move(work));
}

ClusterAdmin::Async<void> ClusterAdmin::create_partitions(std::string topic, int32_t count) {
  auto work = [this, topic, count]() -> Async<void> {
    auto conn = co_await any_admin_connection(ctx_.client());
    if (!conn) {
      co_return admin_error(conn.error());
    }
    protocol::CreatePartitionsRequest request;
    request.topics.push_back({topic, count, std::nullopt});
    request.timeout_ms = static_cast<int32_t>(kAdminTimeout.count());
    auto response = co_await (*conn)->request(request);
    if (!response) {
      co_return admin_error(response.error());
    }
    for (const auto& r : response->results) {
      if (r.error_code != ErrorCode::kNone) {
        co_return admin_error(client::kafka_error(r.error_code), r.error_message.value_or(""));
      }
    }
    // Wait (boundedly) until metadata shows the new partitions, so the PATCH answer and the
    // requests that follow it see them.
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::vector<std::string> wanted{topic};
      auto meta = co_await ctx_.client().metadata(std::move(wanted));
      if (meta) {
        auto it = (*meta)->topics.find(topic);
        if (it != (*meta)->topics.end() &&
            static_cast<int32_t>(it->second.partitions.size()) >= count) {
          break;
        }
      }
      asio::steady_timer pause(ctx_.executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::use_awaitable);
    }
    co_return ApiResult<void>{};
  };
  co_return co_await ctx_.run<ApiResult<void>>(std::move(work));
}

asio::awaitable<ApiResult<std::vector<json::V3Config>>> ClusterAdmin::configs_on_client(
    int8_t resource_type, std::string name) {
  // A broker's own configs are described by that broker (Kafka answers INVALID_REQUEST
  // elsewhere); topic configs by any broker.
  Result<std::shared_ptr<client::Connection>> conn = make_error_code(client::errc::closed);
  if (resource_type == protocol::kConfigResourceBroker) {
    const BrokerId broker(std::stoi(name));
    conn = co_await ctx_.client().connection(broker);
  } else {
    conn = co_await any_admin_connection(ctx_.client());
  }
  if (!conn) {
    co_return admin_error(conn.error());
  }
  protocol::DescribeConfigsRequest request;
  request.resources.push_back({resource_type, name, std::nullopt});
  auto response = co_await (*conn)->request(request);
  if (!response) {
    co_return admin_error(response.error());
  }
  std::vector<json::V3Config> out;
  for (const auto& r : response->results) {
    if (r.error_code != ErrorCode::kNone) {
      co_return admin_error(client::kafka_error(r.error_code), r.error_message.value_or(""));
    }
    for (const auto& c : r.configs) {
      json::V3Config v;
      v.name = c.name;
      v.value = c.value;
      v.is_read_only = c.read_only;
      v.is_sensitive = c.is_sensitive;
      v.is_default = c.is_default || c.config_source == 5;
      v.source = source_name(c.config_source, resource_type);
      out.push_back(std::move(v));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  co_return out;
}

ClusterAdmin::Async<std::vector<json::V3Config>> ClusterAdmin::configs(int8_t resource_type,
                                                                       std::string name) {
  auto work = [this, resource_type, name]() -> Async<std::vector<json::V3Config>> {
    co_return co_await configs_on_client(resource_type, name);
  };
  co_return co_await ctx_.run<ApiResult<std::vector<json::V3Config>>>(std::move(work));
}

ClusterAdmin::Async<void> ClusterAdmin::alter_configs(
    int8_t resource_type, std::string name,
    std::vector<std::pair<std::string, std::optional<std::string>>> configs) {
  auto work = [this, resource_type, name, configs]() -> Async<void> {
    auto conn = co_await any_admin_connection(ctx_.client());
    if (!conn) {
      co_return admin_error(conn.error());
    }
    protocol::AlterConfigsRequest request;
    protocol::AlterConfigsRequest::Resource resource;
    resource.resource_type = resource_type;
    resource.resource_name = name;
    for (const auto& [k, v] : configs) {
      resource.configs.push_back({k, v});
    }
    request.resources.push_back(std::move(resource));
    auto response = co_await (*conn)->request(request);
    if (!response) {
      co_return admin_error(response.error());
    }
    for (const auto& r : response->responses) {
      if (r.error_code != ErrorCode::kNone) {
        co_return admin_error(client::kafka_error(r.error_code), r.error_message.value_or(""));
      }
    }
    co_return ApiResult<void>{};
  };
  co_return co_await ctx_.run<ApiResult<void>>(std::move(work));
}

ClusterAdmin::Async<std::vector<GroupView>> ClusterAdmin::groups() {
  auto work = [this]() -> Async<std::vector<GroupView>> {
    auto listed = co_await ctx_.groups().list_groups();
    if (!listed) {
      co_return admin_error(listed.error());
    }
    std::vector<std::string> ids;
    for (const auto& g : *listed) {
      ids.push_back(g.group_id);
    }
    std::vector<GroupView> out;
    if (ids.empty()) {
      co_return out;
    }
    auto described = co_await ctx_.groups().describe_groups(std::move(ids));
    if (!described) {
      co_return admin_error(described.error());
    }
    for (const auto& d : *described) {
      out.push_back(group_view(d));
    }
    co_return out;
  };
  co_return co_await ctx_.run<ApiResult<std::vector<GroupView>>>(std::move(work));
}

ClusterAdmin::Async<GroupView> ClusterAdmin::group(std::string id) {
  auto work = [this, id]() -> Async<GroupView> {
    std::vector<std::string> ids{id};
    auto described = co_await ctx_.groups().describe_groups(std::move(ids));
    if (!described) {
      co_return admin_error(described.error());
    }
    if (described->empty() || (*described)[0].state == "Dead" || (*described)[0].error) {
      co_return api_error(errc::consumer_group_not_found);
    }
    co_return group_view((*described)[0]);
  };
  co_return co_await ctx_.run<ApiResult<GroupView>>(std::move(work));
}

ClusterAdmin::Async<std::vector<json::V3Lag>> ClusterAdmin::lags(std::string group) {
  auto work = [this, group]() -> Async<std::vector<json::V3Lag>> {
    std::vector<std::string> ids{group};
    auto described = co_await ctx_.groups().describe_groups(std::move(ids));
    if (!described) {
      co_return admin_error(described.error());
    }
    std::vector<client::TopicPartition> all;
    auto committed = co_await ctx_.groups().fetch_offsets(group, std::move(all));
    if (!committed) {
      co_return admin_error(committed.error());
    }
    if (committed->empty() && (described->empty() || (*described)[0].state == "Dead")) {
      co_return api_error(errc::consumer_group_not_found);
    }
    std::vector<json::V3Lag> out;
    for (const auto& [tp, c] : *committed) {
      if (c.offset.value < 0) {
        continue;
      }
      auto end = co_await ctx_.client().list_offsets(tp.topic, tp.partition,
                                                     client::kLatestTimestamp);
      json::V3Lag lag;
      lag.consumer_group_id = group;
      lag.topic_name = tp.topic;
      lag.partition_id = tp.partition;
      lag.current_offset = c.offset;
      lag.log_end_offset = end ? end->offset : c.offset;
      for (const auto& m : (*described)[0].members) {
        for (const auto& a : m.assignment) {
          if (a.topic == tp.topic && a.partition == tp.partition) {
            lag.consumer_id = m.member_id;
            lag.instance_id = m.group_instance_id;
            lag.client_id = m.client_id;
          }
        }
      }
      out.push_back(std::move(lag));
    }
    co_return out;
  };
  co_return co_await ctx_.run<ApiResult<std::vector<json::V3Lag>>>(std::move(work));
}

}  // namespace meridian::gateway
