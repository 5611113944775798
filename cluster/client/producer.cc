// Producer, records in: partitioning, batching per partition, linger timers, flush. Sealed
// batches are handed to the partition's pipeline; producer_sender.cc sends them.
#include "cluster/client/producer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>

#include "cluster/client/detail/producer_state.h"
#include "cluster/client/partitioner.h"

namespace meridian::client {

namespace asio = boost::asio;
using detail::QueueKey;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ProducerOptions normalized(ProducerOptions o) {
  o.max_in_flight = std::max(1, o.max_in_flight);
  if (o.enable_idempotence) {
    // Kafka requires these for idempotence: the broker caches 5 batches per producer, and a
    // batch acknowledged by the leader alone may vanish in a failover, leaving a gap.
    o.max_in_flight = std::min(o.max_in_flight, 5);
    o.acks = Acks::kAll;
  }
  return o;
}

asio::awaitable<void> wait_for(const std::shared_ptr<detail::RecordWaiter>& waiter) {
  while (!waiter->result) {
    [[maybe_unused]] auto [ec] = co_await waiter->wake().async_wait(detail::kProducerUseTuple);
  }
}

void seal(const std::shared_ptr<Producer::State>& s, const QueueKey& key) {
  auto& queue = s->queue(key);
  if (!queue.open) {
    return;
  }
  detail::Batch batch = std::move(*queue.open);
  queue.open.reset();
  // Sticky partitioning: unkeyed records move on once their batch is full or lingered out.
  auto sticky = s->sticky.find(key.first);
  auto count = s->partition_counts.find(key.first);
  if (sticky != s->sticky.end() && sticky->second == key.second &&
      count != s->partition_counts.end()) {
    sticky->second = (sticky->second + 1) % count->second;
  }
  const auto records = static_cast<int32_t>(batch.waiters.size());
  auto bytes = std::move(batch.builder).build();
  if (!bytes) {
    for (auto& waiter : batch.waiters) {
      waiter->complete(bytes.error());
    }
    return;
  }
  batch.bytes = std::move(*bytes);
  const uint64_t id = s->next_batch_id++;
  queue.sealed.emplace(id, std::move(batch));
  queue.pipeline.enqueue(id, records);
  detail::pump(s, key);  // also asks for a producer id first when idempotent
}

asio::awaitable<void> linger(std::shared_ptr<Producer::State> s, QueueKey key,
                             uint64_t generation) {
  asio::steady_timer timer(s->client.executor());
  timer.expires_after(s->options.linger);
  [[maybe_unused]] auto [ec] = co_await timer.async_wait(detail::kProducerUseTuple);
  auto& queue = s->queue(key);
  if (queue.open && queue.open->generation == generation) {
    seal(s, key);
  }
}

}  // namespace

Producer::State::State(Client& c, ProducerOptions o) : client(c), options(normalized(o)) {}

detail::PartitionQueue& Producer::State::queue(const QueueKey& key) {
  auto it = queues.find(key);
  if (it == queues.end()) {
    it = queues
             .try_emplace(key, options.max_in_flight, options.enable_idempotence,
                          options.retries)
             .first;
  }
  return it->second;
}

Producer::Producer(Client& client, ProducerOptions options)
    : state_(std::make_shared<State>(client, options)) {}

Producer::~Producer() = default;

const ProducerOptions& Producer::options() const noexcept { return state_->options; }

namespace {

// The topic's partition count from the cached metadata (remembered), or the last one known.
std::optional<int32_t> known_partition_count(Producer::State& s, const std::string& topic) {
  if (s.awaiting_topic.contains(topic)) {
    return std::nullopt;  // earlier records wait for its metadata: queue behind them
  }
  auto metadata = s.client.cached_metadata();
  auto it = metadata->topics.find(topic);
  if (it != metadata->topics.end() && !it->second.partitions.empty()) {
    const auto n = static_cast<int32_t>(it->second.partitions.size());
    s.partition_counts[topic] = n;
    return n;
  }
  auto known = s.partition_counts.find(topic);
  if (known == s.partition_counts.end()) {
    return std::nullopt;
  }
  return known->second;
}

// Appends the record to its partition's open batch (no suspension: concurrent callers append
// in call order) and returns its waiter; `callback`, if any, moves to the waiter (not on error).
Result<std::shared_ptr<detail::RecordWaiter>> append(const std::shared_ptr<Producer::State>& s,
                                                     ProducerRecord& record, int32_t count,
                                                     Producer::SendCallback& callback) {
  int32_t partition = 0;
  if (record.partition) {
    partition = record.partition->value;
    if (partition < 0 || partition >= count) {
      return make_error_code(errc::unknown_partition);
    }
  } else if (record.key) {
    partition = partition_for_key(*record.key, count);
  } else {
    auto [it, inserted] = s->sticky.try_emplace(record.topic, 0);
    partition = it->second % count;
  }
  QueueKey key{record.topic, partition};
  auto& queue = s->queue(key);
  if (!queue.open) {
    record::BatchOptions batch_options;
    batch_options.compression = s->options.compression;
    queue.open.emplace(batch_options);
    queue.open->generation = ++queue.generations;
    asio::co_spawn(
        s->client.executor(), [s, key, g = queue.open->generation] { return linger(s, key, g); },
        asio::detached);
  }
  const int64_t timestamp = record.timestamp.value_or(now_ms());
  std::optional<std::string_view> k;
  std::optional<std::string_view> v;
  if (record.key) {
    k = *record.key;
  }
  if (record.value) {
    v = *record.value;
  }
  queue.open->builder.append(timestamp, k, v, record.headers);
  auto waiter = std::make_shared<detail::RecordWaiter>(s->client.executor());
  waiter->callback = std::move(callback);
  queue.open->waiters.push_back(waiter);
  queue.open->timestamps.push_back(timestamp);
  if (queue.open->builder.size_bytes() >= s->options.batch_size) {
    seal(s, key);
  }
  return waiter;
}

}  // namespace

bool Producer::try_send(ProducerRecord& record, SendCallback done) {
  auto count = known_partition_count(*state_, record.topic);
  if (!count) {
    return false;
  }
  auto appended = append(state_, record, *count, done);
  if (!appended) {
    done(appended.error());
  }
  return true;
}

namespace {

// Fetches a never-seen topic's metadata, then appends (or fails) every record queued for it in
// s->awaiting_topic, in call order, without suspending in between. A topic just created may be
// missing from a broker's metadata for a moment: asked again up to `retries` times, each after
// the Client's retry_backoff (Kafka's producer blocks up to max.block.ms for it).
asio::awaitable<void> resolve_topic(std::shared_ptr<Producer::State> s, std::string topic) {
  std::optional<int32_t> count;
  std::error_code failure = make_error_code(errc::unknown_topic);
  asio::steady_timer backoff(s->client.executor());
  for (int attempt = 0; !count && attempt <= s->options.retries; ++attempt) {
    if (attempt > 0) {
      backoff.expires_after(s->client.options().retry_backoff);
      co_await backoff.async_wait(detail::kProducerUseTuple);
    }
    std::vector<std::string> wanted{topic};
    auto refreshed = co_await s->client.metadata(std::move(wanted));
    if (!refreshed) {
      failure = refreshed.error();
    } else if (auto found = (*refreshed)->topics.find(topic);
               found != (*refreshed)->topics.end() && !found->second.partitions.empty()) {
      count = static_cast<int32_t>(found->second.partitions.size());
      s->partition_counts[topic] = *count;
    }
  }
  auto queued = std::move(s->awaiting_topic[topic]);
  s->awaiting_topic.erase(topic);
  for (auto& [record, waiter] : queued) {
    if (!count) {
      waiter->complete(failure);
      continue;
    }
    Producer::SendCallback done = [waiter](Result<RecordMetadata> r) {
      waiter->complete(std::move(r));
    };
    if (auto appended = append(s, record, *count, done); !appended) {
      waiter->complete(appended.error());
    }
  }
}

}  // namespace

asio::awaitable<Result<RecordMetadata>> Producer::send(ProducerRecord record) {
  auto s = state_;
  if (!known_partition_count(*s, record.topic)) {
    // Only a topic never seen waits here (one that briefly drops out of the cache, e.g. a broker
    // answering UNKNOWN_TOPIC_OR_PARTITION while it restarts, must not suspend send()); the
    // first caller fetches it and the others queue behind, so all append in call order.
    std::string topic = record.topic;
    auto waiter = std::make_shared<detail::RecordWaiter>(s->client.executor());
    auto& queued = s->awaiting_topic[topic];
    queued.emplace_back(std::move(record), waiter);
    if (queued.size() == 1) {
      co_await resolve_topic(s, std::move(topic));
    }
    co_await wait_for(waiter);
    co_return std::move(*waiter->result);
  }
  Producer::SendCallback none;
  auto appended = append(s, record, s->partition_counts[record.topic], none);
  if (!appended) {
    co_return appended.error();
  }
  auto waiter = std::move(*appended);
  co_await wait_for(waiter);
  co_return std::move(*waiter->result);
}

asio::awaitable<void> Producer::flush() {
  auto s = state_;
  // Batches of one partition may complete out of order (a retried one after a later one), so
  // wait for the last record of every batch sealed so far.
  std::vector<std::shared_ptr<detail::RecordWaiter>> last;
  std::vector<QueueKey> keys;
  for (auto& [key, queue] : s->queues) {
    keys.push_back(key);
  }
  for (const auto& key : keys) {
    seal(s, key);
    for (auto& [id, batch] : s->queue(key).sealed) {
      last.push_back(batch.waiters.back());
    }
  }
  for (const auto& waiter : last) {
    co_await wait_for(waiter);
  }
}

}  // namespace meridian::client
