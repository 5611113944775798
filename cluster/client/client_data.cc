// The partition-routed requests (produce, fetch, list offsets) and the admin requests of
// Client. Each partition request is tried on the leader from the cached metadata; retriable
// failures (errc.h is_retriable) refresh the metadata and try again, up to max_retries times.
#include "cluster/client/client.h"
#include "cluster/client/detail/client_state.h"

namespace meridian::client {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {

template <class Response>
const auto* find_partition(const Response& topics, const std::string& topic, int32_t index) {
  using Partition = std::remove_cvref_t<decltype(topics[0].partitions[0])>;
  for (const auto& t : topics) {
    const std::string& name = [&]() -> const std::string& {
      if constexpr (requires { t.topic; }) {
        return t.topic;
      } else {
        return t.name;
      }
    }();
    if (name != topic) {
      continue;
    }
    for (const auto& p : t.partitions) {
      const int32_t i = [&] {
        if constexpr (requires { p.partition_index; }) {
          return p.partition_index;
        } else {
          return p.index;
        }
      }();
      if (i == index) {
        return &p;
      }
    }
  }
  return static_cast<const Partition*>(nullptr);
}

Result<ProduceResult> parse_produce(const protocol::ProduceResponse& response,
                                    const std::string& topic, PartitionId partition) {
  const auto* p = find_partition(response.responses, topic, partition.value);
  if (p == nullptr) {
    return make_error_code(errc::bad_response);
  }
  if (p->error_code != ErrorCode::kNone) {
    return kafka_error(p->error_code);
  }
  return ProduceResult{Offset(p->base_offset), p->log_append_time_ms, Offset(p->log_start_offset)};
}

}  // namespace

asio::awaitable<Result<ProduceResult>> Client::produce(std::string topic, PartitionId partition,
                                                       std::vector<uint8_t> batch, Acks acks,
                                                       std::chrono::milliseconds timeout) {
  // A view request: the batch is copied once, into the frame, however often we retry.
  protocol::ProduceRequestView request;
  request.acks = static_cast<int16_t>(acks);
  request.timeout_ms = static_cast<int32_t>(timeout.count());
  request.topics.push_back({topic, {{partition.value, std::span<const uint8_t>(batch)}}});
  for (int attempt = 0;; ++attempt) {
    Result<ProduceResult> outcome = make_error_code(errc::disconnected);
    auto conn = co_await state_->leader(topic, partition);
    if (!conn) {
      outcome = conn.error();
    } else if (acks == Acks::kNone) {
      auto sent = co_await (*conn)->send_only(request);
      outcome = sent ? Result<ProduceResult>(ProduceResult{}) : Result<ProduceResult>(sent.error());
    } else {
      auto response = co_await (*conn)->request(request);
      outcome = response ? parse_produce(*response, topic, partition)
                         : Result<ProduceResult>(response.error());
    }
    if (outcome || !is_retriable(outcome.error()) || attempt >= state_->options.max_retries) {
      co_return outcome;
    }
    co_await state_->recover(topic);
  }
}

asio::awaitable<Result<FetchResult>> Client::fetch(std::string topic, PartitionId partition,
                                                   Offset offset, int32_t max_bytes,
                                                   std::chrono::milliseconds max_wait) {
  protocol::FetchRequest request;
  request.max_wait_ms = static_cast<int32_t>(max_wait.count());
  request.min_bytes = 1;
  request.max_bytes = max_bytes;
  protocol::FetchRequest::Partition wanted;
  wanted.partition = partition.value;
  wanted.fetch_offset = offset.value;
  wanted.partition_max_bytes = max_bytes;
  request.topics.push_back({topic, {wanted}});
  for (int attempt = 0;; ++attempt) {
    Result<FetchResult> outcome = make_error_code(errc::disconnected);
    auto conn = co_await state_->leader(topic, partition);
    if (!conn) {
      outcome = conn.error();
    } else {
      auto response = co_await (*conn)->request(request);
      if (!response) {
        outcome = response.error();
      } else if (response->error_code != ErrorCode::kNone) {
        outcome = kafka_error(response->error_code);
      } else if (auto* p = find_partition(response->responses, topic, partition.value); !p) {
        outcome = make_error_code(errc::bad_response);
      } else if (p->error_code != ErrorCode::kNone) {
        outcome = kafka_error(p->error_code);
      } else {
        FetchResult result;
        if (p->records) {
          result.records = std::move(*const_cast<protocol::Records&>(p->records));
        }
        result.high_watermark = Offset(p->high_watermark);
        result.last_stable_offset = Offset(p->last_stable_offset);
        result.log_start_offset = Offset(p->log_start_offset);
        outcome = std::move(result);
      }
    }
    if (outcome || !is_retriable(outcome.error()) || attempt >= state_->options.max_retries) {
      co_return outcome;
    }
    co_await state_->recover(topic);
  }
}

namespace {

// One Fetch covering every wanted partition, each topic once (brokers answer per topic entry;
// Kafka's own clients never repeat a topic).
protocol::FetchRequest multi_fetch_request(const std::vector<FetchPartition>& partitions,
                                           int32_t max_bytes, std::chrono::milliseconds max_wait) {
  protocol::FetchRequest request;
  request.max_wait_ms = static_cast<int32_t>(max_wait.count());
  request.min_bytes = 1;
  request.max_bytes = max_bytes;
  // session_id 0 + session_epoch -1 (the defaults): a full, session-less fetch (KIP-227).
  std::map<std::string, size_t> topic_index;
  for (const auto& p : partitions) {
    auto [it, added] = topic_index.try_emplace(p.topic, request.topics.size());
    if (added) {
      request.topics.push_back({p.topic, {}});
    }
    protocol::FetchRequest::Partition wanted;
    wanted.partition = p.partition.value;
    wanted.fetch_offset = p.offset.value;
    wanted.partition_max_bytes = p.max_bytes;
    request.topics[it->second].partitions.push_back(wanted);
  }
  return request;
}

// Splits a multi-partition answer into per-partition results, in the order asked.
std::vector<PartitionFetchResult> split_fetch(protocol::FetchResponse& response,
                                              const std::vector<FetchPartition>& partitions) {
  std::map<std::pair<std::string, int32_t>, protocol::FetchResponse::Partition*> answered;
  for (auto& t : response.responses) {
    for (auto& p : t.partitions) {
      answered.try_emplace({t.topic, p.partition_index}, &p);
    }
  }
  std::vector<PartitionFetchResult> out;
  out.reserve(partitions.size());
  for (const auto& wanted : partitions) {
    PartitionFetchResult r{wanted.topic, wanted.partition, FetchResult{}};
    auto it = answered.find({wanted.topic, wanted.partition.value});
    if (it == answered.end() || it->second == nullptr) {
      r.result = make_error_code(errc::bad_response);  // also a partition asked for twice
    } else if (it->second->error_code != ErrorCode::kNone) {
      r.result = kafka_error(it->second->error_code);
    } else {
      auto& p = *it->second;
      FetchResult result;
      if (p.records) {
        result.records = std::move(*p.records);
      }
      result.high_watermark = Offset(p.high_watermark);
      result.last_stable_offset = Offset(p.last_stable_offset);
      result.log_start_offset = Offset(p.log_start_offset);
      r.result = std::move(result);
    }
    if (it != answered.end()) {
      it->second = nullptr;  // moved from: a repeated partition gets bad_response
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

asio::awaitable<Result<std::vector<PartitionFetchResult>>> Client::fetch_partitions(
    BrokerId broker, std::vector<FetchPartition> partitions, int32_t max_bytes,
    std::chrono::milliseconds max_wait) {
  if (partitions.empty()) {
    co_return std::vector<PartitionFetchResult>{};
  }
  auto request = multi_fetch_request(partitions, max_bytes, max_wait);
  auto conn = co_await connection(broker);
  if (!conn) {
    co_return conn.error();
  }
  auto response = co_await (*conn)->request(request);
  if (!response) {
    co_return response.error();
  }
  if (response->error_code != ErrorCode::kNone) {
    co_return kafka_error(response->error_code);
  }
  co_return split_fetch(*response, partitions);
}

asio::awaitable<Result<ListOffsetsResult>> Client::list_offsets(std::string topic,
                                                                PartitionId partition,
                                                                int64_t timestamp) {
  protocol::ListOffsetsRequest request;
  protocol::ListOffsetsRequest::Partition wanted;
  wanted.partition_index = partition.value;
  wanted.timestamp = timestamp;
  request.topics.push_back({topic, {wanted}});
  for (int attempt = 0;; ++attempt) {
    Result<ListOffsetsResult> outcome = make_error_code(errc::disconnected);
    auto conn = co_await state_->leader(topic, partition);
    if (!conn) {
      outcome = conn.error();
    } else {
      auto response = co_await (*conn)->request(request);
      if (!response) {
        outcome = response.error();
      } else if (auto* p = find_partition(response->topics, topic, partition.value); !p) {
        outcome = make_error_code(errc::bad_response);
      } else if (p->error_code != ErrorCode::kNone) {
        outcome = kafka_error(p->error_code);
      } else if (!p->old_style_offsets.empty()) {  // v0
        outcome = ListOffsetsResult{Offset(p->old_style_offsets.front()), -1};
      } else {
        outcome = ListOffsetsResult{Offset(p->offset), p->timestamp};
      }
    }
    if (outcome || !is_retriable(outcome.error()) || attempt >= state_->options.max_retries) {
      co_return outcome;
    }
    co_await state_->recover(topic);
  }
}

namespace {

// Admin requests go to the controller when known, like Kafka's AdminClient; a broker that is
// not the controller answers NOT_CONTROLLER per topic and the caller may retry.
asio::awaitable<Result<std::shared_ptr<Connection>>> controller_connection(
    Client& client, const ClusterMetadata& metadata) {
  if (metadata.controller.value >= 0) {
    BrokerId controller = metadata.controller;
    auto conn = co_await client.connection(controller);
    if (conn) {
      co_return conn;
    }
  }
  for (const auto& [id, addr] : metadata.brokers) {
    BrokerId broker = id;
    auto conn = co_await client.connection(broker);
    if (conn) {
      co_return conn;
    }
  }
  co_return make_error_code(errc::no_broker_reachable);
}

}  // namespace

asio::awaitable<Result<std::vector<TopicResult>>> Client::create_topics(
    std::vector<NewTopic> topics, std::chrono::milliseconds timeout) {
  std::vector<std::string> none;
  auto metadata = co_await state_->refresh(std::move(none));
  if (!metadata) {
    co_return metadata.error();
  }
  auto conn = co_await controller_connection(*this, **metadata);
  if (!conn) {
    co_return conn.error();
  }
  protocol::CreateTopicsRequest request;
  request.timeout_ms = static_cast<int32_t>(timeout.count());
  for (const auto& t : topics) {
    protocol::CreateTopicsRequest::Topic topic;
    topic.name = t.name;
    topic.num_partitions = t.partitions;
    topic.replication_factor = t.replication_factor;
    for (const auto& [name, value] : t.configs) {
      topic.configs.push_back({name, value});
    }
    request.topics.push_back(std::move(topic));
  }
  auto response = co_await (*conn)->request(request);
  if (!response) {
    co_return response.error();
  }
  std::vector<TopicResult> results;
  for (const auto& t : response->topics) {
    std::error_code ec;
    if (t.error_code != ErrorCode::kNone) {
      ec = kafka_error(t.error_code);
    }
    results.push_back({t.name, ec, t.error_message.value_or("")});
  }
  co_return results;
}

asio::awaitable<Result<std::vector<TopicResult>>> Client::delete_topics(
    std::vector<std::string> topics, std::chrono::milliseconds timeout) {
  std::vector<std::string> none;
  auto metadata = co_await state_->refresh(std::move(none));
  if (!metadata) {
    co_return metadata.error();
  }
  auto conn = co_await controller_connection(*this, **metadata);
  if (!conn) {
    co_return conn.error();
  }
  protocol::DeleteTopicsRequest request;
  request.timeout_ms = static_cast<int32_t>(timeout.count());
  request.topic_names = std::move(topics);
  auto response = co_await (*conn)->request(request);
  if (!response) {
    co_return response.error();
  }
  std::vector<TopicResult> results;
  for (const auto& t : response->responses) {
    std::error_code ec;
    if (t.error_code != ErrorCode::kNone) {
      ec = kafka_error(t.error_code);
    }
    results.push_back({t.name, ec, {}});
  }
  co_return results;
}

}  // namespace meridian::client
