#include "gateway/cluster_admin.h"

#include <algorithm>
#include <set>

#include "cluster/protocol/messages.h"
#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"

namespace meridian::gateway {

namespace asio = boost::asio;
using protocol::ErrorCode;

ApiError admin_error(const std::error_code& ec, std::string detail) {
  auto kafka = client::as_kafka_error(ec);
  std::string text = detail.empty() ? ec.message() : ec.message() + ": " + detail;
  if (ec == client::errc::no_broker_reachable || ec == client::errc::bad_bootstrap) {
    return api_error(errc::broker_not_available, "Broker not available: " + text);
  }
  if (kafka) {
    switch (*kafka) {
      case ErrorCode::kUnknownTopicOrPartition:
        return api_error(errc::topic_not_found);
      case ErrorCode::kGroupIdNotFound:
        return api_error(errc::consumer_group_not_found);
      case ErrorCode::kInvalidPartitions:
      case ErrorCode::kInvalidReplicationFactor:
      case ErrorCode::kInvalidReplicaAssignment:
      case ErrorCode::kInvalidConfig:
      case ErrorCode::kInvalidTopicException:
      case ErrorCode::kInvalidRequest:
      case ErrorCode::kPolicyViolation:
      case ErrorCode::kNonEmptyGroup:
        return api_error(errc::kafka_bad_request, text);
      case ErrorCode::kTopicAuthorizationFailed:
      case ErrorCode::kGroupAuthorizationFailed:
      case ErrorCode::kClusterAuthorizationFailed:
        return api_error(errc::kafka_authorization, text);
      default:
        break;
    }
  }
  if (ec == client::errc::no_common_version) {
    return api_error(errc::kafka_error, "The cluster does not support this operation: " + text);
  }
  const bool retriable =
      client::is_retriable(ec) || (kafka && client::is_coordinator_error(*kafka));
  return api_error(retriable ? errc::kafka_retriable : errc::kafka_error,
                   (retriable ? "Retriable Kafka error: " : "Kafka error: ") + text);
}

namespace {

PartitionInfo partition_info(const client::PartitionMetadata& p) {
  PartitionInfo out;
  out.partition = p.id;
  out.leader = p.leader;
  for (BrokerId r : p.replicas) {
    const bool in_sync = std::find(p.isr.begin(), p.isr.end(), r) != p.isr.end();
    out.replicas.push_back({r, r == p.leader, in_sync});
  }
  return out;
}

json::V3Topic v3_topic_of(const client::TopicMetadata& t) {
  json::V3Topic out;
  out.topic_name = t.name;
  out.is_internal = t.internal;
  out.partitions_count = static_cast<int32_t>(t.partitions.size());
  out.replication_factor =
      t.partitions.empty() ? 0 : static_cast<int32_t>(t.partitions.front().replicas.size());
  return out;
}

// The topic's metadata, fresh. Errors: topic_not_found or the client error.
asio::awaitable<ApiResult<client::TopicMetadata>> fetch_topic(ClusterContext& ctx,
                                                             const std::string& name) {
  std::vector<std::string> wanted{name};
  auto meta = co_await ctx.client().metadata(std::move(wanted));
  if (!meta) {
    co_return admin_error(meta.error());
  }
  ctx.note_metadata_ok();
  auto it = (*meta)->topics.find(name);
  if (it == (*meta)->topics.end() || it->second.error == ErrorCode::kUnknownTopicOrPartition) {
    co_return api_error(errc::topic_not_found);
  }
  co_return it->second;
}

}  // namespace

// ---- v2 ----

ClusterAdmin::Async<std::vector<std::string>> ClusterAdmin::topics() {
  auto work = [this]() -> Async<std::vector<std::string>> {
    std::vector<std::string> none;
    auto meta = co_await ctx_.client().metadata(std::move(none));
    if (!meta) {
      co_return admin_error(meta.error());
    }
    ctx_.note_metadata_ok();
    std::vector<std::string> names;
    for (const auto& [name, t] : (*meta)->topics) {
      if (!t.internal) {
        names.push_back(name);
      }
    }
    co_return names;
  };
  co_return co_await ctx_.run<ApiResult<std::vector<std::string>>>(std::move(work));
}

ClusterAdmin::Async<TopicInfo> ClusterAdmin::topic(std::string name) {
  auto work = [this, name]() -> Async<TopicInfo> {
    auto t = co_await fetch_topic(ctx_, name);
    if (!t) {
      co_return t.error();
    }
    TopicInfo info;
    info.name = name;
    for (const auto& p : t->partitions) {
      info.partitions.push_back(partition_info(p));
    }
    auto configs = co_await configs_on_client(protocol::kConfigResourceTopic, name);
    if (configs) {
      for (const auto& c : *configs) {
        if (c.value && !c.is_default) {
          info.configs.emplace_back(c.name, *c.value);
        }
      }
    }
    co_return info;
  };
  co_return co_await ctx_.run<ApiResult<TopicInfo>>(std::move(work));
}

ClusterAdmin::Async<PartitionOffsets> ClusterAdmin::offsets(std::string topic,
                                                            PartitionId partition) {
  auto work = [this, topic, partition]() -> Async<PartitionOffsets> {
    auto t = co_await fetch_topic(ctx_, topic);
    if (!t) {
      co_return t.error();
    }
    if (partition.value >= static_cast<int32_t>(t->partitions.size())) {
      co_return api_error(errc::partition_not_found);
    }
    auto first = co_await ctx_.client().list_offsets(topic, partition, client::kEarliestTimestamp);
    if (!first) {
      co_return admin_error(first.error());
    }
    auto last = co_await ctx_.client().list_offsets(topic, partition, client::kLatestTimestamp);
    if (!last) {
      co_return admin_error(last.error());
    }
    co_return PartitionOffsets{first->offset, last->offset};
  };
  co_return co_await ctx_.run<ApiResult<PartitionOffsets>>(std::move(work));
}

ClusterAdmin::Async<std::vector<BrokerId>> ClusterAdmin::brokers() {
  auto view = co_await cluster();
  if (!view) {
    co_return view.error();
  }
  std::vector<BrokerId> ids;
  for (const auto& b : view->brokers) {
    ids.push_back(b.broker_id);
  }
  co_return ids;
}

ClusterAdmin::Async<std::vector<ConsumedRecord>> ClusterAdmin::read(
    std::string topic, PartitionId partition, Offset offset, int32_t max_bytes,
    std::chrono::milliseconds timeout) {
  auto work = [this, topic, partition, offset, max_bytes,
               timeout]() -> Async<std::vector<ConsumedRecord>> {
    auto t = co_await fetch_topic(ctx_, topic);
    if (!t) {
      co_return t.error();
    }
    if (partition.value >= static_cast<int32_t>(t->partitions.size())) {
      co_return api_error(errc::partition_not_found);
    }
    auto fetched = co_await ctx_.client().fetch(topic, partition, offset, max_bytes, timeout);
    if (!fetched) {
      if (client::as_kafka_error(fetched.error()) == ErrorCode::kOffsetOutOfRange) {
        co_return api_error(errc::bad_request, "Offset " + std::to_string(offset.value) +
                                                   " is out of range for " + topic + "-" +
                                                   std::to_string(partition.value) + ".");
      }
      co_return admin_error(fetched.error());
    }
    std::vector<ConsumedRecord> out;
    std::span<const uint8_t> rest(fetched->records);
    while (!rest.empty()) {
      auto batch = record::BatchView::parse(rest);
      if (!batch) {
        break;  // a partial batch at the end
      }
      rest = rest.subspan(batch->size_bytes());
      if (batch->next_offset() <= offset || batch->is_control()) {
        continue;
      }
      auto records = record::decode_records(*batch);
      if (!records) {
        co_return api_error(errc::kafka_error, "Corrupt record batch.");
      }
      for (auto& r : *records) {
        if (r.offset < offset) {
          continue;
        }
        ConsumedRecord c;
        c.topic = topic;
        c.key = std::move(r.key);
        c.value = std::move(r.value);
        c.partition = partition;
        c.offset = r.offset;
        c.timestamp_ms = r.timestamp;
        for (auto& h : r.headers) {
          c.headers.push_back({std::move(h.key), std::move(h.value)});
        }
        out.push_back(std::move(c));
      }
    }
    co_return out;
  };
  co_return co_await ctx_.run<ApiResult<std::vector<ConsumedRecord>>>(std::move(work));
}

// ---- v3 ----

ClusterAdmin::Async<ClusterView> ClusterAdmin::cluster() {
  auto work = [this]() -> Async<ClusterView> {
    std::vector<std::string> none;
    auto meta = co_await ctx_.client().metadata(std::move(none));
    if (!meta) {
      co_return admin_error(meta.error());
    }
    ctx_.note_metadata_ok();
    ClusterView v;
    v.cluster_id = ctx_.options().cluster_id;
    if ((*meta)->controller.value >= 0) {
      v.controller = (*meta)->controller;
    }
    for (const auto& [id, b] : (*meta)->brokers) {
      v.brokers.push_back({id, b.host, b.port, std::nullopt});
    }
    co_return v;
  };
  co_return co_await ctx_.run<ApiResult<ClusterView>>(std::move(work));
}

ClusterAdmin::Async<std::vector<json::V3Topic>> ClusterAdmin::v3_topics() {
  auto work = [this]() -> Async<std::vector<json::V3Topic>> {
    std::vector<std::string> none;
    auto meta = co_await ctx_.client().metadata(std::move(none));
    if (!meta) {
      co_return admin_error(meta.error());
    }
    std::vector<json::V3Topic> out;
    for (const auto& [name, t] : (*meta)->topics) {
      out.push_back(v3_topic_of(t));
    }
    co_return out;
  };
  co_return co_await ctx_.run<ApiResult<std::vector<json::V3Topic>>>(std::move(work));
}

ClusterAdmin::Async<json::V3Topic> ClusterAdmin::v3_topic(std::string name) {
  auto work = [this, name]() -> Async<json::V3Topic> {
    auto t = co_await fetch_topic(ctx_, name);
    if (!t) {
      co_return t.error();
    }
    co_return v3_topic_of(*t);
  };
  co_return co_await ctx_.run<ApiResult<json::V3Topic>>(std::move(work));
}

}  // namespace meridian::gateway
