#include "cluster/client/producer.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <map>

#include "cluster/client/partitioner.h"

namespace meridian::client {

namespace asio = boost::asio;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// One send() parked until its batch is answered; the timer is the wake-up signal (cancelled
// when `result` is set), so any number of coroutines (send, flush) can wait on it.
struct RecordWaiter {
  explicit RecordWaiter(const asio::any_io_executor& ex) : timer(ex) {
    timer.expires_at(asio::steady_timer::time_point::max());
  }
  void complete(Result<RecordMetadata> r) {
    result = std::move(r);
    timer.cancel();
  }
  asio::steady_timer timer;
  std::optional<Result<RecordMetadata>> result;
};

asio::awaitable<void> wait_for(const std::shared_ptr<RecordWaiter>& waiter) {
  while (!waiter->result) {
    [[maybe_unused]] auto [ec] = co_await waiter->timer.async_wait(kUseTuple);
  }
}

struct Batch {
  explicit Batch(record::BatchOptions options) : builder(options) {}
  record::RecordBatchBuilder builder;
  std::vector<std::shared_ptr<RecordWaiter>> waiters;
  std::vector<int64_t> timestamps;
  uint64_t generation = 0;
};

// Per partition: the batch being filled, sealed batches in order, and whether one is in flight.
struct PartitionQueue {
  std::optional<Batch> open;
  std::deque<Batch> ready;
  std::shared_ptr<RecordWaiter> in_flight_last;  // last record of the batch being sent
  bool sending = false;
  uint64_t generations = 0;
};

using QueueKey = std::pair<std::string, int32_t>;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct Producer::State {
  State(Client& c, ProducerOptions o) : client(c), options(o) {}
  Client& client;
  ProducerOptions options;
  std::map<QueueKey, PartitionQueue> queues;
  std::map<std::string, int32_t> sticky;  // partition for unkeyed records, per topic
};

namespace {

asio::awaitable<void> drain(std::shared_ptr<Producer::State> s, QueueKey key) {
  for (;;) {
    auto& queue = s->queues[key];
    if (queue.ready.empty()) {
      queue.sending = false;
      queue.in_flight_last.reset();
      co_return;
    }
    Batch batch = std::move(queue.ready.front());
    queue.ready.pop_front();
    queue.in_flight_last = batch.waiters.back();
    const PartitionId partition(key.second);
    Result<ProduceResult> produced = make_error_code(errc::closed);
    auto bytes = std::move(batch.builder).build();
    if (!bytes) {
      produced = bytes.error();
    } else {
      std::vector<uint8_t> payload = std::move(*bytes);
      produced = co_await s->client.produce(key.first, partition, std::move(payload),
                                            s->options.acks, s->options.produce_timeout);
    }
    for (size_t i = 0; i < batch.waiters.size(); ++i) {
      if (!produced) {
        batch.waiters[i]->complete(produced.error());
        continue;
      }
      RecordMetadata meta;
      meta.partition = partition;
      if (produced->base_offset.value >= 0) {
        meta.offset = produced->base_offset + static_cast<int64_t>(i);
      }
      meta.timestamp =
          produced->log_append_time >= 0 ? produced->log_append_time : batch.timestamps[i];
      batch.waiters[i]->complete(meta);
    }
  }
}

void seal(const std::shared_ptr<Producer::State>& s, const QueueKey& key) {
  auto& queue = s->queues[key];
  if (!queue.open) {
    return;
  }
  queue.ready.push_back(std::move(*queue.open));
  queue.open.reset();
  // Sticky partitioning: unkeyed records move on once their batch is full or lingered out.
  auto sticky = s->sticky.find(key.first);
  if (sticky != s->sticky.end() && sticky->second == key.second) {
    auto metadata = s->client.cached_metadata();
    auto topic = metadata->topics.find(key.first);
    if (topic != metadata->topics.end() && !topic->second.partitions.empty()) {
      sticky->second = (sticky->second + 1) % static_cast<int32_t>(topic->second.partitions.size());
    }
  }
  if (!queue.sending) {
    queue.sending = true;
    asio::co_spawn(s->client.executor(), [s, key] { return drain(s, key); }, asio::detached);
  }
}

asio::awaitable<void> linger(std::shared_ptr<Producer::State> s, QueueKey key,
                             uint64_t generation) {
  asio::steady_timer timer(s->client.executor());
  timer.expires_after(s->options.linger);
  [[maybe_unused]] auto [ec] = co_await timer.async_wait(kUseTuple);
  auto& queue = s->queues[key];
  if (queue.open && queue.open->generation == generation) {
    seal(s, key);
  }
}

}  // namespace

Producer::Producer(Client& client, ProducerOptions options)
    : state_(std::make_shared<State>(client, options)) {}

Producer::~Producer() = default;

const ProducerOptions& Producer::options() const noexcept { return state_->options; }

asio::awaitable<Result<RecordMetadata>> Producer::send(ProducerRecord record) {
  auto s = state_;
  auto metadata = s->client.cached_metadata();
  if (!metadata->topics.contains(record.topic)) {
    std::vector<std::string> wanted{record.topic};
    auto refreshed = co_await s->client.metadata(std::move(wanted));
    if (!refreshed) {
      co_return refreshed.error();
    }
    metadata = *refreshed;
  }
  auto topic = metadata->topics.find(record.topic);
  if (topic == metadata->topics.end() || topic->second.partitions.empty()) {
    co_return make_error_code(errc::unknown_topic);
  }
  const auto count = static_cast<int32_t>(topic->second.partitions.size());
  int32_t partition = 0;
  if (record.partition) {
    partition = record.partition->value;
    if (partition < 0 || partition >= count) {
      co_return make_error_code(errc::unknown_partition);
    }
  } else if (record.key) {
    partition = partition_for_key(*record.key, count);
  } else {
    auto [it, inserted] = s->sticky.try_emplace(record.topic, 0);
    partition = it->second % count;
  }
  QueueKey key{record.topic, partition};
  auto& queue = s->queues[key];
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
  auto waiter = std::make_shared<RecordWaiter>(s->client.executor());
  queue.open->waiters.push_back(waiter);
  queue.open->timestamps.push_back(timestamp);
  if (queue.open->builder.size_bytes() >= s->options.batch_size) {
    seal(s, key);
  }
  co_await wait_for(waiter);
  co_return std::move(*waiter->result);
}

asio::awaitable<void> Producer::flush() {
  auto s = state_;
  std::vector<std::shared_ptr<RecordWaiter>> last;
  std::vector<QueueKey> keys;
  for (auto& [key, queue] : s->queues) {
    keys.push_back(key);
  }
  for (const auto& key : keys) {
    seal(s, key);
    auto& queue = s->queues[key];
    if (!queue.ready.empty()) {
      last.push_back(queue.ready.back().waiters.back());
    } else if (queue.in_flight_last) {
      last.push_back(queue.in_flight_last);
    }
  }
  for (const auto& waiter : last) {
    co_await wait_for(waiter);
  }
}

}  // namespace meridian::client
