#pragma once
// Fixture pieces shared by the producer-state tests that drive a real Partition: an ISR writer
// that accepts every proposal, idempotent batches, and a driver that runs one awaitable to
// completion on a test's io_context. Header-only.

#include <future>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "cluster/record/record.h"
#include "cluster/replication/partition.h"

namespace meridian::replication::test {

// Accepts every ISR proposal with the next partition epoch, as the store's CAS would when nobody
// else wrote the node.
class AcceptingIsrWriter : public IsrWriter {
 public:
  boost::asio::awaitable<Result<int32_t>> write_isr(const std::string&, PartitionId,
                                                    PartitionState proposed) override {
    co_return proposed.partition_epoch + 1;
  }
};

// One batch of `records` records from producer `pid`/`epoch` starting at sequence `seq`. Each
// value is its record's sequence number, or `value_size` filler bytes when given (for tests that
// size segments in bytes).
inline std::vector<uint8_t> idempotent_batch(int64_t pid, int16_t epoch, int32_t seq, int records,
                                             size_t value_size = 0) {
  record::BatchOptions options;
  options.producer_id = pid;
  options.producer_epoch = epoch;
  options.base_sequence = seq;
  record::RecordBatchBuilder b(options);
  for (int i = 0; i < records; ++i) {
    std::string value = value_size > 0 ? std::string(value_size, 'v') : std::to_string(seq + i);
    b.append(1000 + i, std::nullopt, value);
  }
  return b.build().value();
}

// Runs `op` on `io` (the test thread is the io_context's only thread) until it completes.
template <class T>
T run_on(boost::asio::io_context& io, boost::asio::awaitable<T> op) {
  auto future = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
  io.restart();
  while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    io.run_one();
  }
  return future.get();
}

}  // namespace meridian::replication::test
