#pragma once
// Producer internals shared by producer.cc (records in, batches sealed) and producer_sender.cc
// (batches out: pipelining, retries, idempotence). Runs on the Client's executor only.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/client/detail/producer_pipeline.h"
#include "cluster/client/producer.h"

namespace meridian::client {

namespace detail {

inline constexpr auto kProducerUseTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// One send() parked until its batch is answered; the timer is the wake-up signal (cancelled
// when `result` is set), so any number of coroutines (send, flush) can wait on it. A record of
// try_send() has a `callback` instead of a waiting coroutine (flush still waits on the timer).
// The timer is made by the first wait only: a try_send record nobody flushes never has one (a
// timer per record cost a service lookup and two reactor-mutex cancels on the client thread).
struct RecordWaiter {
  explicit RecordWaiter(const boost::asio::any_io_executor& ex) : executor(ex) {}
  void complete(Result<RecordMetadata> r) {
    result = r;
    if (timer) {
      timer->cancel();
    }
    if (callback) {
      auto cb = std::move(callback);
      cb(std::move(r));
    }
  }
  // Wait on this (only while `result` is empty) to be woken by complete().
  boost::asio::steady_timer& wake() {
    if (!timer) {
      timer.emplace(executor);
      timer->expires_at(boost::asio::steady_timer::time_point::max());
    }
    return *timer;
  }
  boost::asio::any_io_executor executor;
  std::optional<boost::asio::steady_timer> timer;
  std::optional<Result<RecordMetadata>> result;
  std::function<void(Result<RecordMetadata>)> callback;
};

struct Batch {
  explicit Batch(record::BatchOptions options) : builder(options) {}
  record::RecordBatchBuilder builder;
  std::vector<uint8_t> bytes;  // built when sealed; re-sent as is on retries
  std::vector<std::shared_ptr<RecordWaiter>> waiters;
  std::vector<int64_t> timestamps;
  uint64_t generation = 0;  // of the open batch, for its linger timer
};

// Per partition: the batch being filled, sealed batches by id (ids grow in seal order) and
// the pipeline that sends them.
struct PartitionQueue {
  PartitionQueue(int max_in_flight, bool idempotent, int retries)
      : pipeline(max_in_flight, idempotent, retries) {}
  std::optional<Batch> open;
  std::map<uint64_t, Batch> sealed;
  PartitionPipeline pipeline;
  bool dispatching = false;  // a dispatch coroutine is acquiring the leader's connection
  uint64_t generations = 0;
};

using QueueKey = std::pair<std::string, int32_t>;

}  // namespace detail

struct Producer::State {
  State(Client& c, ProducerOptions o);
  Client& client;
  ProducerOptions options;
  std::map<detail::QueueKey, detail::PartitionQueue> queues;
  std::map<std::string, int32_t> sticky;  // partition for unkeyed records, per topic
  std::map<std::string, int32_t> partition_counts;  // last known, per topic
  // Records sent to a never-seen topic while its metadata is fetched, in call order.
  std::map<std::string, std::vector<std::pair<ProducerRecord, std::shared_ptr<detail::RecordWaiter>>>>
      awaiting_topic;
  uint64_t next_batch_id = 1;
  detail::ProducerIdentity identity;  // idempotence only
  uint64_t identity_generations = 0;
  bool initializing = false;  // an InitProducerId coroutine runs

  detail::PartitionQueue& queue(const detail::QueueKey& key);
};

namespace detail {

// Starts sending what the partition's pipeline allows (no-op if a dispatch is under way).
void pump(const std::shared_ptr<Producer::State>& s, const QueueKey& key);
// Starts InitProducerId unless it runs already; pumps every partition once it has an id.
void request_producer_id(const std::shared_ptr<Producer::State>& s);

}  // namespace detail

}  // namespace meridian::client
