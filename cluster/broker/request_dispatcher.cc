#include "cluster/broker/request_dispatcher.h"

#include "cluster/broker/data_notifier.h"
#include "cluster/broker/detail/respond.h"
#include "cluster/broker/error_mapping.h"
#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "cluster/protocol/supported_apis.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using protocol::ErrorCode;

using detail::epoch_of;
using detail::respond;

RequestDispatcher::RequestDispatcher(DispatcherOptions options, ReplicaManager& replicas,
                                     MetadataCache& metadata, TopicAdmin* admin)
    : options_(options),
      replicas_(replicas),
      metadata_(metadata),
      admin_(admin),
      notifier_(std::make_unique<DataNotifier>()),
      replica_notifier_(std::make_unique<DataNotifier>()) {}

RequestDispatcher::~RequestDispatcher() = default;

void RequestDispatcher::notify_data(replication::DataEvent event) {
  if (replication::has(event, replication::DataEvent::kAppended)) {
    replica_notifier_->notify();
  }
  if (replication::has(event, replication::DataEvent::kHighWatermark)) {
    notifier_->notify();
  }
}

void RequestDispatcher::notify_data() { notify_data(replication::DataEvent::kBoth); }

asio::awaitable<std::optional<std::vector<uint8_t>>> RequestDispatcher::handle(
    const ConnectionInfo& connection, std::span<uint8_t> frame) {
  counters_.requests.fetch_add(1, std::memory_order_relaxed);
  auto parsed = protocol::parse_request(frame);
  if (!parsed) {
    counters_.bad_requests.fetch_add(1);
    logger("kafka")->warn("closing connection {} from {}: unparseable request header: {}",
                          connection.id, connection.peer, parsed.error().message());
    co_return std::vector<uint8_t>{};
  }
  Context ctx{connection, frame, parsed->header, parsed->body};
  if (ctx.header.api_key == protocol::ApiKey::kApiVersions) {
    co_return handle_api_versions(ctx);
  }
  if (auto ec = protocol::check_supported(ctx.header.api_key, ctx.header.api_version)) {
    counters_.bad_requests.fetch_add(1);
    logger("kafka")->warn("closing connection {} from {}: {} v{} is not supported ({})",
                          connection.id, connection.peer,
                          protocol::api_key_name(ctx.header.api_key), ctx.header.api_version,
                          ec.message());
    co_return std::vector<uint8_t>{};
  }
  auto response = co_await dispatch(ctx);
  if (response && response->empty()) {
    counters_.bad_requests.fetch_add(1);
    logger("kafka")->warn("closing connection {} from {}: malformed {} v{} request",
                          connection.id, connection.peer,
                          protocol::api_key_name(ctx.header.api_key), ctx.header.api_version);
  }
  co_return response;
}

asio::awaitable<std::optional<std::vector<uint8_t>>> RequestDispatcher::dispatch(Context& ctx) {
  std::optional<std::vector<uint8_t>> response;
  switch (ctx.header.api_key) {
    case protocol::ApiKey::kProduce:
      response = co_await handle_produce(ctx);
      co_return response;
    case protocol::ApiKey::kFetch:
      response = co_await handle_fetch(ctx);
      co_return response;
    case protocol::ApiKey::kListOffsets:
      response = co_await handle_list_offsets(ctx);
      co_return response;
    case protocol::ApiKey::kMetadata:
      response = co_await handle_metadata(ctx);
      co_return response;
    case protocol::ApiKey::kCreateTopics:
      response = co_await handle_create_topics(ctx);
      co_return response;
    case protocol::ApiKey::kDeleteTopics:
      response = co_await handle_delete_topics(ctx);
      co_return response;
    case protocol::ApiKey::kOffsetForLeaderEpoch:
      response = co_await handle_epoch_end(ctx);
      co_return response;
    case protocol::ApiKey::kLeaderAndIsr:
      response = co_await handle_leader_and_isr(ctx);
      co_return response;
    default:
      break;
  }
  for (RequestExtension* extension : extensions_) {
    if (extension->serves(ctx.header.api_key)) {
      response = co_await extension->handle(ctx.connection, ctx.header, ctx.body);
      co_return response;
    }
  }
  // Advertised (the codec has it) but not served by this broker yet: close, like an unknown key.
  co_return std::vector<uint8_t>{};
}

std::optional<std::vector<uint8_t>> RequestDispatcher::handle_api_versions(Context& ctx) {
  if (!protocol::supports_version<protocol::ApiVersionsRequest>(ctx.header.api_version)) {
    // KIP-511: librdkafka opens with ApiVersions v3; answer v0 with our ranges and it retries.
    auto frame = protocol::api_versions_fallback_frame(ctx.header.correlation_id);
    if (!frame) {
      return std::vector<uint8_t>{};
    }
    return std::move(*frame);
  }
  return respond(ctx.header, protocol::make_api_versions_response());
}

asio::awaitable<std::optional<std::vector<uint8_t>>> RequestDispatcher::handle_leader_and_isr(
    Context& ctx) {
  auto request = protocol::decode<protocol::LeaderAndIsrRequest>(ctx.body, ctx.header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  protocol::LeaderAndIsrResponse response;
  std::vector<protocol::LeaderAndIsrRequest::PartitionState> states = request->ungrouped_partition_states;
  for (auto& topic : request->topic_states) {
    for (auto& s : topic.partition_states) {
      s.topic_name = topic.topic_name;
      states.push_back(s);
    }
  }
  if (!replicas_.accept_controller_epoch(request->controller_epoch)) {
    response.error_code = ErrorCode::kStaleControllerEpoch;
    co_return respond(ctx.header, response);
  }
  for (const auto& s : states) {
    replication::PartitionState state;
    state.leader = BrokerId(s.leader);
    state.leader_epoch = LeaderEpoch(s.leader_epoch);
    for (auto r : s.isr) state.isr.push_back(BrokerId(r));
    for (auto r : s.replicas) state.replicas.push_back(BrokerId(r));
    state.partition_epoch = s.partition_epoch;
    TopicPartition tp{s.topic_name, PartitionId(s.partition_index)};
    Result<void> applied = co_await replicas_.apply(tp, state);
    response.partition_errors.push_back(
        {s.topic_name, s.partition_index, applied ? ErrorCode::kNone : to_kafka_error(applied.error())});
  }
  co_return respond(ctx.header, response);
}

asio::awaitable<std::optional<std::vector<uint8_t>>> RequestDispatcher::handle_list_offsets(
    Context& ctx) {
  auto request = protocol::decode<protocol::ListOffsetsRequest>(ctx.body, ctx.header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  protocol::ListOffsetsResponse response;
  for (const auto& topic : request->topics) {
    protocol::ListOffsetsResponse::Topic out{topic.name, {}};
    for (const auto& p : topic.partitions) {
      protocol::ListOffsetsResponse::Partition r;
      r.partition_index = p.partition_index;
      auto partition = replicas_.get({topic.name, PartitionId(p.partition_index)});
      if (!partition) {
        r.error_code = metadata_.get()->partition(topic.name, p.partition_index)
                           ? ErrorCode::kNotLeaderOrFollower
                           : ErrorCode::kUnknownTopicOrPartition;
      } else {
        auto found = co_await partition->offset_for_timestamp(p.timestamp,
                                                              epoch_of(p.current_leader_epoch));
        if (!found) {
          r.error_code = to_kafka_error(found.error());
        } else if (*found) {
          r.offset = (*found)->offset.value;
          r.timestamp = (*found)->timestamp;
          r.old_style_offsets = {r.offset};
          r.leader_epoch = partition->snapshot().state.leader_epoch.value;
        }
      }
      out.partitions.push_back(std::move(r));
    }
    response.topics.push_back(std::move(out));
  }
  co_return respond(ctx.header, response);
}

asio::awaitable<std::optional<std::vector<uint8_t>>> RequestDispatcher::handle_epoch_end(
    Context& ctx) {
  auto request =
      protocol::decode<protocol::OffsetForLeaderEpochRequest>(ctx.body, ctx.header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  protocol::OffsetForLeaderEpochResponse response;
  for (const auto& topic : request->topics) {
    protocol::OffsetForLeaderEpochResponse::Topic out;
    out.topic = topic.topic;
    for (const auto& p : topic.partitions) {
      protocol::OffsetForLeaderEpochResponse::Partition r;
      r.partition = p.partition;
      auto partition = replicas_.get({topic.topic, PartitionId(p.partition)});
      if (!partition) {
        r.error_code = ErrorCode::kUnknownTopicOrPartition;
      } else {
        auto end = co_await partition->end_offset_for_epoch(LeaderEpoch(p.leader_epoch),
                                                            epoch_of(p.current_leader_epoch));
        if (!end) {
          r.error_code = to_kafka_error(end.error());
        } else {
          r.leader_epoch = end->epoch.value;
          r.end_offset = end->end_offset.value;
        }
      }
      out.partitions.push_back(r);
    }
    response.topics.push_back(std::move(out));
  }
  co_return respond(ctx.header, response);
}

}  // namespace meridian::broker
