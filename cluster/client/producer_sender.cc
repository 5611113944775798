// Producer, batches out: each partition's pipeline (detail/producer_pipeline.h) decides what
// to send; a dispatch coroutine gets the leader's connection and starts one request coroutine
// per batch, in order, so the batches of a partition are written to the socket in sequence
// and several are in flight at once. Answers go back to the pipeline, which says whether to
// complete the records, retry (after a backoff and a metadata refresh) or reset the producer
// id. InitProducerId runs here too.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <span>

#include "cluster/client/connection.h"
#include "cluster/client/detail/producer_state.h"
#include "cluster/protocol/messages.h"
#include "cluster/record/crc32c.h"
#include "cluster/record/format.h"
#include "common/byte_order.h"
#include "common/log.h"

namespace meridian::client::detail {

namespace asio = boost::asio;
using State = Producer::State;

namespace {

// Writes the producer fields into a built batch and recomputes its CRC (they are covered).
void stamp(std::vector<uint8_t>& bytes, const Dispatch& d) {
  namespace f = record::format;
  if (bytes.size() < f::kHeaderSize) {
    return;
  }
  store_be<int64_t>(bytes.data() + f::kProducerIdPos, d.producer_id);
  store_be<int16_t>(bytes.data() + f::kProducerEpochPos, d.epoch);
  store_be<int32_t>(bytes.data() + f::kBaseSequencePos, d.base_sequence);
  store_be<uint32_t>(bytes.data() + f::kCrcPos,
                     record::crc32c(bytes.data() + f::kCrcCoveredFrom,
                                    bytes.size() - f::kCrcCoveredFrom));
}

Result<ProduceResult> parse(const protocol::ProduceResponse& response, const QueueKey& key) {
  for (const auto& t : response.responses) {
    if (t.name != key.first) {
      continue;
    }
    for (const auto& p : t.partitions) {
      if (p.index != key.second) {
        continue;
      }
      if (p.error_code != protocol::ErrorCode::kNone) {
        return kafka_error(p.error_code);
      }
      return ProduceResult{Offset(p.base_offset), p.log_append_time_ms, Offset(p.log_start_offset)};
    }
  }
  return make_error_code(errc::bad_response);
}

void complete(Batch& batch, Verdict verdict, const Result<ProduceResult>& outcome,
              PartitionId partition) {
  for (size_t i = 0; i < batch.waiters.size(); ++i) {
    if (verdict == Verdict::kFailed) {
      batch.waiters[i]->complete(outcome.error());
      continue;
    }
    RecordMetadata meta;
    meta.partition = partition;
    meta.timestamp = batch.timestamps[i];
    // A duplicate answered with an error code has no offset to report.
    if (outcome && outcome->base_offset.value >= 0) {
      meta.offset = outcome->base_offset + static_cast<int64_t>(i);
    }
    if (outcome && outcome->log_append_time >= 0) {
      meta.timestamp = outcome->log_append_time;
    }
    batch.waiters[i]->complete(meta);
  }
}

asio::awaitable<void> sleep_for(const std::shared_ptr<State>& s, std::chrono::milliseconds d) {
  asio::steady_timer timer(s->client.executor());
  timer.expires_after(d);
  [[maybe_unused]] auto [ec] = co_await timer.async_wait(kProducerUseTuple);
}

asio::awaitable<void> retry_later(std::shared_ptr<State> s, QueueKey key) {
  co_await sleep_for(s, s->client.options().retry_backoff);
  std::vector<std::string> wanted{key.first};
  auto refreshed = co_await s->client.metadata(std::move(wanted));
  (void)refreshed;  // the next attempt reports what still fails
  s->queue(key).pipeline.resume();
  pump(s, key);
}

void reset_identity(const std::shared_ptr<State>& s) {
  if (!s->identity.valid()) {
    return;  // a reset is under way already
  }
  logger("client")->warn("idempotent producer {} epoch {}: sequence gap, new producer id",
                         s->identity.producer_id, s->identity.epoch);
  s->identity = ProducerIdentity{};
  request_producer_id(s);
}

void on_answer(const std::shared_ptr<State>& s, const QueueKey& key, uint64_t id,
               const Result<ProduceResult>& outcome) {
  auto& queue = s->queue(key);
  const std::error_code error = outcome ? std::error_code{} : outcome.error();
  const ResponseAction action = queue.pipeline.on_response(id, error);
  if (action.verdict != Verdict::kRetrying) {
    auto node = queue.sealed.extract(id);
    if (!node.empty()) {
      complete(node.mapped(), action.verdict, outcome, PartitionId(key.second));
    }
  }
  if (action.reset_producer_id) {
    reset_identity(s);
  }
  if (action.retry_due) {
    asio::co_spawn(s->client.executor(), [s, key] { return retry_later(s, key); },
                   asio::detached);
  }
  pump(s, key);
}

asio::awaitable<void> send_batch(std::shared_ptr<State> s, QueueKey key, uint64_t id,
                                 std::shared_ptr<Connection> conn) {
  Result<ProduceResult> outcome = make_error_code(errc::closed);
  {
    auto& queue = s->queue(key);
    auto it = queue.sealed.find(id);
    if (it == queue.sealed.end()) {
      co_return;
    }
    // The batch stays in `sealed` until answered, so the span outlives the request.
    protocol::ProduceRequestView request;
    request.acks = static_cast<int16_t>(s->options.acks);
    request.timeout_ms = static_cast<int32_t>(s->options.produce_timeout.count());
    request.topics.push_back({key.first, {{key.second, std::span<const uint8_t>(it->second.bytes)}}});
    if (s->options.acks == Acks::kNone) {
      auto sent = co_await conn->send_only(request);
      outcome = sent ? Result<ProduceResult>(ProduceResult{}) : Result<ProduceResult>(sent.error());
    } else {
      auto response = co_await conn->request(request);
      outcome = response ? parse(*response, key) : Result<ProduceResult>(response.error());
    }
  }
  on_answer(s, key, id, outcome);
}

asio::awaitable<Result<std::shared_ptr<Connection>>> leader_of(std::shared_ptr<State> s,
                                                               QueueKey key) {
  auto metadata = s->client.cached_metadata();
  const PartitionMetadata* p = metadata->partition(key.first, PartitionId(key.second));
  if (p == nullptr || p->leader.value < 0) {
    co_return make_error_code(errc::leader_not_available);  // retriable: metadata is refreshed
  }
  auto conn = co_await s->client.connection(p->leader);
  co_return conn;
}

asio::awaitable<void> dispatch(std::shared_ptr<State> s, QueueKey key) {
  auto conn = co_await leader_of(s, key);
  auto& queue = s->queue(key);
  queue.dispatching = false;
  while (auto d = queue.pipeline.next(s->identity)) {
    // Stamped now whatever happens next: the pipeline counts the batch as stamped.
    if (d->restamp && s->options.enable_idempotence) {
      stamp(queue.sealed.at(d->batch).bytes, *d);
    }
    if (!conn) {
      // Fails like a request would: the pipeline retries it after a refresh, in order.
      Result<ProduceResult> failed = conn.error();
      on_answer(s, key, d->batch, failed);
      co_return;
    }
    asio::co_spawn(
        s->client.executor(),
        [s, key, id = d->batch, c = *conn] { return send_batch(s, key, id, c); },
        asio::detached);
  }
}

asio::awaitable<Result<protocol::InitProducerIdResponse>> init_once(std::shared_ptr<State> s,
                                                                    int attempt) {
  auto metadata = s->client.cached_metadata();
  if (metadata->brokers.empty()) {
    std::vector<std::string> none;
    auto refreshed = co_await s->client.metadata(std::move(none));
    if (!refreshed) {
      co_return refreshed.error();
    }
    metadata = *refreshed;
  }
  if (metadata->brokers.empty()) {
    co_return make_error_code(errc::no_broker_reachable);
  }
  auto it = metadata->brokers.begin();
  std::advance(it, attempt % static_cast<int>(metadata->brokers.size()));
  auto conn = co_await s->client.connection(it->first);
  if (!conn) {
    co_return conn.error();
  }
  protocol::InitProducerIdRequest request;
  request.transaction_timeout_ms = 60000;
  auto response = co_await (*conn)->request(request);
  if (!response) {
    co_return response.error();
  }
  if (response->error_code != protocol::ErrorCode::kNone) {
    co_return kafka_error(response->error_code);
  }
  co_return std::move(*response);
}

void pump_all(const std::shared_ptr<State>& s) {
  std::vector<QueueKey> keys;
  for (const auto& [key, queue] : s->queues) {
    keys.push_back(key);
  }
  for (const auto& key : keys) {
    pump(s, key);
  }
}

asio::awaitable<void> init_producer_id(std::shared_ptr<State> s) {
  std::error_code last;
  for (int attempt = 0; attempt <= s->options.retries; ++attempt) {
    if (attempt > 0) {
      co_await sleep_for(s, s->client.options().retry_backoff);
    }
    auto got = co_await init_once(s, attempt);
    if (got) {
      s->identity = ProducerIdentity{got->producer_id, got->producer_epoch,
                                     ++s->identity_generations};
      s->initializing = false;
      pump_all(s);
      co_return;
    }
    last = got.error();
  }
  logger("client")->warn("InitProducerId failed: {}", last.message());
  s->initializing = false;
  // Nothing can be sent without an id: fail what waits, the next batch tries again.
  for (auto& [key, queue] : s->queues) {
    for (uint64_t id : queue.pipeline.take_queued()) {
      auto node = queue.sealed.extract(id);
      if (!node.empty()) {
        Result<ProduceResult> failed = last;
        complete(node.mapped(), Verdict::kFailed, failed, PartitionId(key.second));
      }
    }
  }
}

}  // namespace

void pump(const std::shared_ptr<State>& s, const QueueKey& key) {
  auto& queue = s->queue(key);
  if (queue.dispatching || queue.pipeline.queued() == 0 || queue.pipeline.retry_pending()) {
    return;
  }
  if (s->options.enable_idempotence && !s->identity.valid()) {
    request_producer_id(s);  // pumps every partition once the id is there
    return;
  }
  queue.dispatching = true;
  asio::co_spawn(s->client.executor(), [s, key] { return dispatch(s, key); }, asio::detached);
}

void request_producer_id(const std::shared_ptr<State>& s) {
  if (s->initializing) {
    return;
  }
  s->initializing = true;
  asio::co_spawn(s->client.executor(), [s] { return init_producer_id(s); }, asio::detached);
}

}  // namespace meridian::client::detail
