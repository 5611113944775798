#pragma once
// Consumer (lite): reads manually assigned partitions, no consumer groups yet. It keeps one
// position per partition (the next offset to return), fetches from each partition's leader
// through Client::fetch, decodes the batches and skips records below the position (a fetch
// from the middle of a batch returns the whole batch, as in Kafka).
//
// Strand model: runs on the Client's executor; the Client must outlive the Consumer. Not for
// concurrent poll() calls.
// Errors: those of Client::fetch / list_offsets; corrupt_records for undecodable batches.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <compare>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/client/client.h"
#include "cluster/record/record.h"

namespace meridian::client {

struct TopicPartition {
  std::string topic;
  PartitionId partition;
  auto operator<=>(const TopicPartition&) const = default;
};

enum class OffsetReset { kEarliest, kLatest };

struct ConsumerOptions {
  int32_t max_partition_bytes = 1024 * 1024;  // max.partition.fetch.bytes
  std::chrono::milliseconds fetch_max_wait{100};  // fetch.max.wait.ms of the long poll
  OffsetReset auto_offset_reset = OffsetReset::kEarliest;  // where a partition without a position starts
};

struct ConsumerRecord {
  TopicPartition tp;
  record::Record record;  // offset, timestamp, key, value, headers
};

class Consumer {
 public:
  Consumer(Client& client, ConsumerOptions options);

  // Replaces the assignment; positions of partitions kept stay, new ones start unset.
  void assign(std::vector<TopicPartition> partitions);
  std::vector<TopicPartition> assignment() const;
  // The next offset poll() returns for `tp` (unset until resolved or sought).
  std::optional<Offset> position(const TopicPartition& tp) const;
  void seek(const TopicPartition& tp, Offset offset);
  // Seeks to the log start or the end (high watermark) as the leader reports it now.
  boost::asio::awaitable<Result<void>> seek_to(TopicPartition tp, OffsetReset where);

  // Returns the records available, waiting up to `timeout` for at least one. An empty vector
  // means none arrived in time.
  boost::asio::awaitable<Result<std::vector<ConsumerRecord>>> poll(
      std::chrono::milliseconds timeout);

 private:
  boost::asio::awaitable<Result<size_t>> fetch_one(TopicPartition tp,
                                                   std::chrono::milliseconds max_wait,
                                                   std::vector<ConsumerRecord>& out);

  Client& client_;
  ConsumerOptions options_;
  std::vector<TopicPartition> assignment_;
  std::map<TopicPartition, Offset> positions_;
  size_t next_ = 0;  // round-robin start, so one busy partition does not starve the others
};

}  // namespace meridian::client
