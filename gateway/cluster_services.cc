#include "gateway/cluster_services.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <pthread.h>

namespace meridian::gateway {

namespace asio = boost::asio;
using protocol::ErrorCode;

errc gateway_errc_for(const std::error_code& ec) noexcept {
  if (ec == client::errc::unknown_topic ||
      client::as_kafka_error(ec) == ErrorCode::kUnknownTopicOrPartition) {
    return errc::topic_not_found;
  }
  if (ec == client::errc::unknown_partition) {
    return errc::partition_not_found;
  }
  return client::is_retriable(ec) ? errc::kafka_retriable : errc::kafka_error;
}

namespace {

// The Confluent per-record error_code of a failed send.
int32_t record_error_code(const std::error_code& ec) {
  return client::is_retriable(ec) ? 50003 : 50002;
}

client::ProducerRecord to_producer_record(const std::string& topic,
                                          std::optional<PartitionId> partition,
                                          ProduceRecord& r) {
  client::ProducerRecord out;
  out.topic = topic;
  out.key = std::move(r.key);
  out.value = std::move(r.value);
  out.partition = partition ? partition : r.partition;
  out.timestamp = r.timestamp_ms;
  for (auto& h : r.headers) {
    out.headers.push_back(record::Header{std::move(h.name), std::move(h.value)});
  }
  return out;
}

// Sends one record and stores its outcome; the last one to finish wakes the request.
struct Pending {
  std::vector<ProduceOffset> offsets;
  size_t remaining = 0;
  asio::steady_timer done;
  explicit Pending(asio::any_io_executor ex) : done(std::move(ex)) {}
};

// One record's answer into its slot of the request's offsets.
void store(ProduceOffset& slot, const Result<client::RecordMetadata>& sent) {
  if (sent) {
    slot.partition = sent->partition;
    slot.offset = sent->offset;
  } else {
    slot.error_code = record_error_code(sent.error());
    slot.error = sent.error().message();
  }
}

asio::awaitable<void> send_one(client::Producer& producer, std::shared_ptr<Pending> pending,
                               size_t index, client::ProducerRecord record) {
  auto sent = co_await producer.send(std::move(record));
  store(pending->offsets[index], sent);
  if (--pending->remaining == 0) {
    pending->done.cancel();
  }
}

}  // namespace

ClusterProduceService::ClusterProduceService(ClusterServiceOptions options)
    : options_(std::move(options)),
      ioc_(std::make_unique<asio::io_context>(1)),
      work_(std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
          ioc_->get_executor())) {
  client::ClientOptions copts;
  copts.bootstrap_servers = options_.bootstrap_servers;
  copts.client_id = "meridian-gateway";
  client_ = std::make_unique<client::Client>(ioc_->get_executor(), copts);
  client::ProducerOptions popts;
  popts.linger = options_.producer_linger;
  // 16 KiB (Kafka's default) batches capped batched produce near 30 MB/s; 256 KiB stays well
  // under the brokers' message.max.bytes (1 MiB) plus one record.
  popts.batch_size = kProducerBatchBytes;
  // Kafka's default of 5 batches per partition in flight: with one, each partition waited a
  // full acks=all round trip per batch while the next one filled.
  popts.max_in_flight = kProducerMaxInFlight;
  producer_ = std::make_unique<client::Producer>(*client_, popts);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "gw-producer");  // per-thread CPU in top, perf, /proc
    ioc_->run();
  });
}

ClusterProduceService::~ClusterProduceService() {
  work_.reset();
  ioc_->stop();
  thread_.join();
  // The client objects close their sockets while the io_context still exists.
  producer_.reset();
  client_.reset();
  ioc_.reset();
}

asio::awaitable<ApiResult<ProduceResponse>> ClusterProduceService::produce(
    std::string topic, std::optional<PartitionId> partition, ProduceRequest request) {
  // One post to the client thread and one back to the caller's strand, without a coroutine on
  // the client side (co_spawn's frame, executor and completion were a visible share of the
  // per-request CPU in the profile).
  auto initiate = [this](auto handler, std::string t, std::optional<PartitionId> p,
                         ProduceRequest r) {
    using Handler = decltype(handler);
    auto h = std::make_shared<Handler>(std::move(handler));
    asio::post(ioc_->get_executor(), [this, h, t = std::move(t), p, r = std::move(r)]() mutable {
      start_on_client(std::move(t), p, std::move(r), [h](Outcome out) {
        auto ex = asio::get_associated_executor(*h);
        asio::post(ex, [h, out = std::move(out)]() mutable { std::move(*h)(std::move(out)); });
      });
    });
  };
  Outcome outcome = co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Outcome)>(
      initiate, asio::use_awaitable, std::move(topic), partition, std::move(request));
  if (outcome.error) {
    co_return std::move(*outcome.error);
  }
  co_return std::move(outcome.response);
}

namespace {

// The topic's partition count from the client's cached metadata when every partition there has
// a leader; nullopt sends the caller to a Metadata request. The cache is safe to trust: the
// producer refreshes it itself on NOT_LEADER / UNKNOWN_TOPIC and a partition count only grows
// (a partition added since is picked up by the next request that misses).
std::optional<int32_t> cached_partition_count(const client::Client& client,
                                              const std::string& topic) {
  auto meta = client.cached_metadata();
  auto it = meta->topics.find(topic);
  if (it == meta->topics.end() || it->second.error != ErrorCode::kNone ||
      it->second.partitions.empty()) {
    return std::nullopt;
  }
  for (const auto& p : it->second.partitions) {
    if (p.leader.value < 0) {
      return std::nullopt;
    }
  }
  return static_cast<int32_t>(it->second.partitions.size());
}

}  // namespace

asio::awaitable<ApiResult<int32_t>> ClusterProduceService::partition_count(
    const std::string& topic) {
  if (auto cached = cached_partition_count(*client_, topic)) {
    co_return *cached;  // the common case: no Metadata round trip per request
  }
  // A Metadata request auto-creates an unknown topic (when the brokers allow it) and answers
  // LEADER_NOT_AVAILABLE until leaders are elected: wait for them, boundedly.
  bool create_sent = false;  // after it, "unknown" means "not in the metadata yet"
  for (int attempt = 0; attempt < kMetadataAttempts; ++attempt) {
    std::vector<std::string> topics{topic};
    auto meta = co_await client_->metadata(std::move(topics));
    if (!meta) {
      co_return api_error(gateway_errc_for(meta.error()));
    }
    auto it = (*meta)->topics.find(topic);
    bool unknown =
        it == (*meta)->topics.end() || it->second.error == ErrorCode::kUnknownTopicOrPartition;
    if (unknown && !options_.auto_create_topics) {
      co_return api_error(errc::topic_not_found);
    }
    if (unknown && !create_sent) {
      create_sent = true;
      // cluster/client never asks Metadata to auto-create, so do what a Kafka producer's
      // Metadata request would: create it with the brokers' defaults.
      std::vector<client::NewTopic> create{client::NewTopic{.name = topic}};
      auto created = co_await client_->create_topics(std::move(create), kCreateTimeout);
      if (!created) {
        co_return api_error(gateway_errc_for(created.error()));
      }
      for (const auto& r : *created) {
        if (r.error && client::as_kafka_error(r.error) != ErrorCode::kTopicAlreadyExists) {
          co_return api_error(errc::kafka_error, r.error.message() + ": " + r.message);
        }
      }
      continue;
    }
    bool led = !unknown && !it->second.partitions.empty() && it->second.error == ErrorCode::kNone;
    for (size_t i = 0; led && i < it->second.partitions.size(); ++i) {
      led = it->second.partitions[i].leader.value >= 0;
    }
    if (led) {
      co_return static_cast<int32_t>(it->second.partitions.size());
    }
    asio::steady_timer backoff(co_await asio::this_coro::executor, kMetadataBackoff);
    co_await backoff.async_wait(asio::use_awaitable);
  }
  co_return api_error(errc::kafka_retriable, "Leader not available for topic " + topic + ".");
}

namespace {

// The records of one request sent with try_send: the last answer completes the request.
struct FastPending {
  std::vector<ProduceOffset> offsets;
  size_t remaining = 0;
  std::function<void(ClusterProduceService::Outcome)> done;
};

// Whether the request's partition and every record's own partition exist in a topic of `count`.
bool partitions_in_range(int32_t count, std::optional<PartitionId> partition,
                         const ProduceRequest& request) {
  auto in_range = [count](std::optional<PartitionId> p) {
    return !p || (p->value >= 0 && p->value < count);
  };
  bool all = in_range(partition);
  for (const auto& r : request.records) {
    all = all && in_range(r.partition);
  }
  return all;
}

}  // namespace

void ClusterProduceService::start_on_client(std::string topic,
                                            std::optional<PartitionId> partition,
                                            ProduceRequest request,
                                            std::function<void(Outcome)> done) {
  auto count = cached_partition_count(*client_, topic);
  if (!count || request.records.empty()) {
    // Unknown or leaderless topic: the coroutine path waits for metadata (or creates it).
    auto slow = [this, topic = std::move(topic), partition, request = std::move(request),
                 done = std::move(done)]() mutable -> asio::awaitable<void> {
      Outcome out = co_await produce_on_client(std::move(topic), partition, std::move(request));
      done(std::move(out));
    };
    asio::co_spawn(ioc_->get_executor(), std::move(slow), asio::detached);
    return;
  }
  if (!partitions_in_range(*count, partition, request)) {
    Outcome out;
    out.error = api_error(errc::partition_not_found);
    done(std::move(out));
    return;
  }
  auto pending = std::make_shared<FastPending>();
  pending->offsets.resize(request.records.size());
  pending->remaining = request.records.size();
  pending->done = std::move(done);
  for (size_t i = 0; i < request.records.size(); ++i) {
    auto record = to_producer_record(topic, partition, request.records[i]);
    auto on_sent = [pending, i](Result<client::RecordMetadata> sent) {
      store(pending->offsets[i], sent);
      if (--pending->remaining == 0) {
        Outcome out;
        out.response.offsets = std::move(pending->offsets);
        auto finish = std::move(pending->done);
        finish(std::move(out));
      }
    };
    if (!producer_->try_send(record, on_sent)) {
      // The producer has not seen the topic (the cache above has): send() fetches it.
      auto send = [this, record = std::move(record), on_sent]() mutable -> asio::awaitable<void> {
        auto sent = co_await producer_->send(std::move(record));
        on_sent(std::move(sent));
      };
      asio::co_spawn(ioc_->get_executor(), std::move(send), asio::detached);
    }
  }
}

asio::awaitable<ClusterProduceService::Outcome> ClusterProduceService::produce_on_client(
    std::string topic, std::optional<PartitionId> partition, ProduceRequest request) {
  Outcome out;
  auto count = co_await partition_count(topic);
  if (!count) {
    out.error = std::move(count.error());
    co_return out;
  }
  if (!partitions_in_range(*count, partition, request)) {
    out.error = api_error(errc::partition_not_found);
    co_return out;
  }
  if (request.records.size() == 1) {
    // The common single-record request: no fan-out, no completion timer.
    auto record = to_producer_record(topic, partition, request.records.front());
    auto sent = co_await producer_->send(std::move(record));
    ProduceOffset o;
    store(o, sent);
    out.response.offsets.push_back(std::move(o));
    co_return out;
  }
  auto pending = std::make_shared<Pending>(co_await asio::this_coro::executor);
  pending->offsets.resize(request.records.size());
  pending->remaining = request.records.size();
  for (size_t i = 0; i < request.records.size(); ++i) {
    auto record = to_producer_record(topic, partition, request.records[i]);
    asio::co_spawn(ioc_->get_executor(), send_one(*producer_, pending, i, std::move(record)),
                   asio::detached);
  }
  if (pending->remaining > 0) {
    pending->done.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await pending->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  out.response.offsets = std::move(pending->offsets);
  co_return out;
}

}  // namespace meridian::gateway
