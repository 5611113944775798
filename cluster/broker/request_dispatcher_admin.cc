// Metadata, CreateTopics and DeleteTopics: the topic-facing side of the dispatcher; and the
// TopicAdminExtension (StopReplica, CreatePartitions).
#include <set>

#include "cluster/broker/detail/respond.h"
#include "cluster/broker/error_mapping.h"
#include "cluster/broker/request_dispatcher.h"
#include "cluster/broker/topic_admin_extension.h"
#include "cluster/protocol/messages.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using detail::respond;
using protocol::ErrorCode;

namespace {

void add_topic(protocol::MetadataResponse& response, const std::string& name,
               const TopicInfo* info, ErrorCode missing_error) {
  protocol::MetadataResponse::Topic t;
  t.name = name;
  if (info == nullptr) {
    t.error_code = missing_error;
    response.topics.push_back(std::move(t));
    return;
  }
  t.is_internal = info->internal;
  for (size_t i = 0; i < info->partitions.size(); ++i) {
    const auto& p = info->partitions[i];
    protocol::MetadataResponse::Partition mp;
    mp.partition_index = static_cast<int32_t>(i);
    mp.leader_id = p.leader.value;
    mp.leader_epoch = p.leader_epoch.value;
    mp.error_code = p.leader.value < 0 ? ErrorCode::kLeaderNotAvailable : ErrorCode::kNone;
    for (auto r : p.replicas) mp.replica_nodes.push_back(r.value);
    for (auto r : p.isr) mp.isr_nodes.push_back(r.value);
    for (auto r : p.offline_replicas) mp.offline_replicas.push_back(r.value);
    t.partitions.push_back(std::move(mp));
  }
  response.topics.push_back(std::move(t));
}

}  // namespace

asio::awaitable<std::optional<std::vector<uint8_t>>> RequestDispatcher::handle_metadata(
    Context& ctx) {
  auto request = protocol::decode<protocol::MetadataRequest>(ctx.body, ctx.header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  auto snapshot = metadata_.get();
  // Kafka: an unknown topic is created on a Metadata request when the client allows it (v4+,
  // always before v4) and auto.create.topics.enable is on; the client sees LEADER_NOT_AVAILABLE
  // and retries until the controller has elected leaders.
  bool may_create = options_.auto_create_topics && admin_ != nullptr &&
                    (ctx.header.api_version < 4 || request->allow_auto_topic_creation);
  std::map<std::string, ErrorCode> created;
  if (request->topics && may_create) {
    for (const auto& requested : *request->topics) {
      if (snapshot->topics.count(requested.name) == 0 && created.count(requested.name) == 0) {
        std::string name = requested.name;
        ErrorCode ec = co_await admin_->create_topic(name, -1, -1, {});
        created[name] = ec == ErrorCode::kNone || ec == ErrorCode::kTopicAlreadyExists
                            ? ErrorCode::kLeaderNotAvailable
                            : ec;
      }
    }
  }
  protocol::MetadataResponse response;
  for (const auto& b : snapshot->brokers) {
    response.brokers.push_back({b.id.value, b.host, b.port, b.rack});
  }
  response.cluster_id = snapshot->cluster_id;
  response.controller_id = snapshot->controller_id.value;
  if (!request->topics) {
    for (const auto& [name, info] : snapshot->topics) {
      add_topic(response, name, &info, ErrorCode::kNone);
    }
  } else {
    for (const auto& requested : *request->topics) {
      auto it = snapshot->topics.find(requested.name);
      auto made = created.find(requested.name);
      add_topic(response, requested.name, it == snapshot->topics.end() ? nullptr : &it->second,
                made == created.end() ? ErrorCode::kUnknownTopicOrPartition : made->second);
    }
  }
  co_return respond(ctx.header, response);
}

asio::awaitable<std::optional<std::vector<uint8_t>>> RequestDispatcher::handle_create_topics(
    Context& ctx) {
  auto request = protocol::decode<protocol::CreateTopicsRequest>(ctx.body, ctx.header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  protocol::CreateTopicsResponse response;
  for (const auto& topic : request->topics) {
    protocol::CreateTopicsResponse::Topic out;
    out.name = topic.name;
    if (admin_ == nullptr) {
      out.error_code = ErrorCode::kNotController;
    } else if (!topic.assignments.empty()) {
      out.error_code = ErrorCode::kInvalidRequest;
      out.error_message = "manual replica assignments are not supported yet";
    } else {
      std::map<std::string, std::string> configs;
      for (const auto& c : topic.configs) {
        if (c.value) {
          configs[c.name] = *c.value;
        }
      }
      std::string name = topic.name;
      out.error_code =
          co_await admin_->create_topic(name, topic.num_partitions, topic.replication_factor,
                                        configs);
    }
    response.topics.push_back(std::move(out));
  }
  co_return respond(ctx.header, response);
}

asio::awaitable<std::optional<std::vector<uint8_t>>> RequestDispatcher::handle_delete_topics(
    Context& ctx) {
  auto request = protocol::decode<protocol::DeleteTopicsRequest>(ctx.body, ctx.header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  protocol::DeleteTopicsResponse response;
  for (const auto& name : request->topic_names) {
    protocol::DeleteTopicsResponse::TopicResult out;
    out.name = name;
    if (admin_ == nullptr) {
      out.error_code = ErrorCode::kNotController;
    } else {
      std::string topic = name;
      out.error_code = co_await admin_->delete_topic(topic);
    }
    response.responses.push_back(std::move(out));
  }
  co_return respond(ctx.header, response);
}

bool TopicAdminExtension::serves(protocol::ApiKey key) const noexcept {
  return key == protocol::ApiKey::kStopReplica || key == protocol::ApiKey::kCreatePartitions;
}

asio::awaitable<std::optional<std::vector<uint8_t>>> TopicAdminExtension::handle(
    const ConnectionInfo&, const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  std::optional<std::vector<uint8_t>> response;
  if (header.api_key == protocol::ApiKey::kStopReplica) {
    response = co_await stop_replica(header, body);
  } else {
    response = co_await create_partitions(header, body);
  }
  co_return response;
}

asio::awaitable<std::optional<std::vector<uint8_t>>> TopicAdminExtension::stop_replica(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::StopReplicaRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  protocol::StopReplicaResponse response;
  if (!replicas_.accept_controller_epoch(request->controller_epoch)) {
    response.error_code = ErrorCode::kStaleControllerEpoch;
    co_return respond(header, response);
  }
  std::vector<TopicPartition> tps;
  for (const auto& p : request->ungrouped_partitions) {
    tps.push_back({p.topic_name, PartitionId(p.partition_index)});
  }
  for (const auto& t : request->topics) {
    for (int32_t p : t.partition_indexes) {
      tps.push_back({t.name, PartitionId(p)});
    }
  }
  for (const auto& tp : tps) {
    Result<void> stopped = co_await replicas_.stop_replica(tp, request->delete_partitions);
    response.partition_errors.push_back(
        {tp.topic, tp.partition.value,
         stopped ? ErrorCode::kNone : to_kafka_error(stopped.error())});
  }
  logger("broker")->info("StopReplica from controller {} (epoch {}): {} partition(s), delete={}",
                         request->controller_id, request->controller_epoch, tps.size(),
                         request->delete_partitions);
  co_return respond(header, response);
}

asio::awaitable<std::optional<std::vector<uint8_t>>> TopicAdminExtension::create_partitions(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::CreatePartitionsRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  protocol::CreatePartitionsResponse response;
  std::set<std::string> seen;
  std::set<std::string> duplicated;
  for (const auto& t : request->topics) {
    if (!seen.insert(t.name).second) {
      duplicated.insert(t.name);
    }
  }
  for (const auto& t : request->topics) {
    protocol::CreatePartitionsResponse::TopicResult out;
    out.name = t.name;
    if (duplicated.contains(t.name)) {
      out.error_code = ErrorCode::kInvalidRequest;
      out.error_message = "Duplicate topic in request.";
    } else if (t.assignments && !t.assignments->empty()) {
      out.error_code = ErrorCode::kInvalidRequest;
      out.error_message = "manual replica assignments are not supported yet";
    } else {
      std::string topic = t.name;
      PartitionAdmin::Outcome outcome =
          co_await admin_.create_partitions(topic, t.count, request->validate_only);
      out.error_code = outcome.error;
      out.error_message = outcome.message;
    }
    response.results.push_back(std::move(out));
  }
  co_return respond(header, response);
}

}  // namespace meridian::broker
