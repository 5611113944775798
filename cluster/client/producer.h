#pragma once
// Producer: records in, batches out. Records are grouped per partition into one RecordBatch v2
// until `batch_size` bytes or `linger` elapses, then sent to the partition's leader. Up to
// `max_in_flight` batches per partition are in flight at once, pipelined on the leader's
// connection in order (Kafka's max.in.flight.requests.per.connection). On a retriable error
// nothing new is sent until every in-flight batch answered; the failed ones are then re-sent
// in their original order. Without idempotence a batch that failed may still land after a
// later one that succeeded (as in Kafka when max_in_flight > 1); use max_in_flight = 1 or
// enable_idempotence to rule that out.
//
// Idempotence (enable.idempotence): InitProducerId, then every batch carries the producer
// id/epoch and per-partition sequence numbers; retries keep their sequence, the broker drops
// duplicates (DUPLICATE_SEQUENCE_NUMBER counts as success), OUT_OF_ORDER_SEQUENCE_NUMBER /
// UNKNOWN_PRODUCER_ID are handled as Kafka's Java client does (detail/producer_pipeline.h).
// It forces acks=all and max_in_flight <= 5, and retries request timeouts too.
//
// Keyed records go to murmur2(key) % partitions (partitioner.h); unkeyed ones stick to one
// partition until its batch is sealed, then move round-robin (KIP-480).
//
// Strand model: runs on the Client's executor; the Client must outlive the Producer, and the
// Producer every coroutine it returns.
// Errors: those of Client::produce; unknown_topic/unknown_partition; closed after close().

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/client/client.h"
#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"

namespace meridian::client {

struct ProducerOptions {
  // linger.ms, kept in microseconds: the REST gateway lingers under a millisecond (its
  // single-record requests wait for the batch; a whole 1 ms was a third of their latency).
  // Assigning std::chrono::milliseconds still works.
  std::chrono::microseconds linger{5000};
  size_t batch_size = 16384;  // batch.size (uncompressed bytes)
  record::Compression compression = record::Compression::kNone;
  Acks acks = Acks::kAll;
  std::chrono::milliseconds produce_timeout{30000};  // the request's timeout_ms
  // max.in.flight.requests.per.connection, per partition; clamped to [1, 5] with idempotence.
  int max_in_flight = 5;
  bool enable_idempotence = false;  // enable.idempotence (forces acks=all)
  int retries = 10;  // re-sends of one batch after retriable errors (backoff: the Client's)
};

struct ProducerRecord {
  std::string topic;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<record::Header> headers;
  std::optional<PartitionId> partition;  // overrides the partitioner
  std::optional<int64_t> timestamp;      // ms; now when absent
};

struct RecordMetadata {
  PartitionId partition;
  Offset offset{-1};  // -1 with Acks::kNone
  int64_t timestamp = -1;
};

class Producer {
 public:
  Producer(Client& client, ProducerOptions options);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Completes when the record's batch is acknowledged (or failed). Pass the record as a named
  // variable (std::move(record)), never a temporary: g++ 12 coroutine bug.
  boost::asio::awaitable<Result<RecordMetadata>> send(ProducerRecord record);
  // send() without a coroutine per record, for callers that hand over many records (the REST
  // gateway): appends the record now and calls `done` on the Client's executor once its batch
  // is answered (or at once with unknown_partition). Must be called on the Client's executor.
  // Returns false, record untouched and `done` not called, when the topic's partition count is
  // not known yet (only send() may wait for a Metadata answer).
  using SendCallback = std::function<void(Result<RecordMetadata>)>;
  bool try_send(ProducerRecord& record, SendCallback done);
  // Sends every open batch now and waits until everything sent so far is acknowledged.
  boost::asio::awaitable<void> flush();

  const ProducerOptions& options() const noexcept;

  struct State;  // internal, defined in producer.cc (named there by free coroutines)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace meridian::client
