#pragma once
// Producer: records in, batches out. Records are grouped per partition into one RecordBatch v2
// until `batch_size` bytes or `linger` elapses, then sent through Client::produce. At most one
// batch per partition is in flight, so retries (done by Client on retriable errors) never
// reorder a partition. Keyed records go to murmur2(key) % partitions (partitioner.h); unkeyed
// ones stick to one partition until its batch is sealed, then move round-robin (KIP-480).
//
// Strand model: runs on the Client's executor; the Client must outlive the Producer, and the
// Producer every coroutine it returns.
// Errors: those of Client::produce; unknown_topic/unknown_partition; closed after close().

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/client/client.h"
#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"

namespace meridian::client {

struct ProducerOptions {
  std::chrono::milliseconds linger{5};  // linger.ms
  size_t batch_size = 16384;            // batch.size (uncompressed bytes)
  record::Compression compression = record::Compression::kNone;
  Acks acks = Acks::kAll;
  std::chrono::milliseconds produce_timeout{30000};  // the request's timeout_ms
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
  // Sends every open batch now and waits until everything sent so far is acknowledged.
  boost::asio::awaitable<void> flush();

  const ProducerOptions& options() const noexcept;

  struct State;  // internal, defined in producer.cc (named there by free coroutines)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace meridian::client
