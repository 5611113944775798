#pragma once
// Client: the cluster client used by gateway/ and mirror/ (DESIGN.md §1, §5). It bootstraps from
// "host:port[,host:port]", keeps a metadata view (brokers, partition leaders), holds one
// pipelined Connection per broker id and routes each partition request to its leader. On
// NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION or a lost
// connection it refreshes metadata and retries, at most `max_retries` times with
// `retry_backoff` between attempts. A request that timed out is never retried (it may have been
// applied).
//
// Strand model: every method runs on the executor given to the constructor (one thread or a
// strand). The object must outlive every coroutine it returns.
// Errors: see errc.h; broker errors come back as kafka_error(code).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/client/errc.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::client {

class Connection;

struct ClientOptions {
  std::string bootstrap_servers;  // "host:port[,host:port]"
  std::string client_id = "meridian-client";
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  int max_retries = 5;
  std::chrono::milliseconds retry_backoff{100};
  size_t max_in_flight_per_connection = 64;
};

struct BrokerAddress {
  BrokerId id;
  std::string host;
  uint16_t port = 0;
};

struct PartitionMetadata {
  PartitionId id;
  protocol::ErrorCode error = protocol::ErrorCode::kNone;
  BrokerId leader{-1};
  LeaderEpoch leader_epoch{-1};
  std::vector<BrokerId> replicas;
  std::vector<BrokerId> isr;
};

struct TopicMetadata {
  std::string name;
  protocol::ErrorCode error = protocol::ErrorCode::kNone;
  bool internal = false;
  std::vector<PartitionMetadata> partitions;  // index = partition id
};

// An immutable snapshot; shared between coroutines.
struct ClusterMetadata {
  std::optional<std::string> cluster_id;
  BrokerId controller{-1};
  std::map<BrokerId, BrokerAddress> brokers;
  std::map<std::string, TopicMetadata> topics;

  const PartitionMetadata* partition(const std::string& topic, PartitionId id) const;
};

enum class Acks : int16_t { kNone = 0, kLeader = 1, kAll = -1 };

struct ProduceResult {
  Offset base_offset{-1};         // -1 with Acks::kNone
  int64_t log_append_time = -1;   // -1 unless the topic uses LogAppendTime
  Offset log_start_offset{-1};
};

struct FetchResult {
  std::vector<uint8_t> records;  // whole RecordBatch v2 batches; the last may be partial
  Offset high_watermark{-1};
  Offset last_stable_offset{-1};
  Offset log_start_offset{-1};
};

// One partition of a multi-partition fetch (Client::fetch_partitions).
struct FetchPartition {
  std::string topic;
  PartitionId partition{0};
  Offset offset{0};
  int32_t max_bytes = 1024 * 1024;  // partition_max_bytes
};

// Its outcome: records, or the partition's own error (kafka_error(NOT_LEADER_OR_FOLLOWER),
// kafka_error(OFFSET_OUT_OF_RANGE), ...; bad_response when the broker left it out).
struct PartitionFetchResult {
  std::string topic;
  PartitionId partition{0};
  Result<FetchResult> result{FetchResult{}};
};

// Timestamps for list_offsets besides a real time in ms.
inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;

struct ListOffsetsResult {
  Offset offset{-1};
  int64_t timestamp = -1;
};

struct NewTopic {
  std::string name;
  int32_t partitions = -1;          // -1: broker default
  int16_t replication_factor = -1;  // -1: broker default
  std::map<std::string, std::string> configs;
};

// Per-topic outcome of create_topics/delete_topics (kNone on success).
struct TopicResult {
  std::string name;
  std::error_code error;
  std::string message;
};

class Client {
 public:
  Client(boost::asio::any_io_executor executor, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Fetches metadata for `topics` (all topics when empty) and merges it into the cache.
  boost::asio::awaitable<Result<std::shared_ptr<const ClusterMetadata>>> metadata(
      std::vector<std::string> topics);
  // The last metadata seen (never null; empty before the first fetch).
  std::shared_ptr<const ClusterMetadata> cached_metadata() const;

  // Appends `batch` (one or more RecordBatch v2, built by the caller) to the partition.
  boost::asio::awaitable<Result<ProduceResult>> produce(std::string topic, PartitionId partition,
                                                        std::vector<uint8_t> batch, Acks acks,
                                                        std::chrono::milliseconds timeout);
  // Reads from `offset` up to `max_bytes`, waiting up to `max_wait` for at least one byte.
  // Precondition: max_wait < request_timeout (else the request times out first).
  boost::asio::awaitable<Result<FetchResult>> fetch(std::string topic, PartitionId partition,
                                                    Offset offset, int32_t max_bytes,
                                                    std::chrono::milliseconds max_wait);
  // ONE session-less Fetch to `broker` for all `partitions` (the shape of Kafka's replica
  // fetcher and MirrorMaker: one request per source broker, not one per partition). The broker
  // answers once any partition has a byte or `max_wait` passed; `max_bytes` caps the whole
  // answer (the first partitions of the request are served first: rotate them for fairness).
  // Results come in the order of `partitions`, each with its own error, so one partition that
  // moved (NOT_LEADER_OR_FOLLOWER) loses nothing of the others. No retries and no leader
  // routing: the caller groups partitions by leader (cached_metadata()) and re-routes failed
  // ones after metadata(). Outer errors concern the whole request: disconnected,
  // request_timeout, no_broker_reachable (unknown broker), kafka_error(fetch-level code).
  // Precondition: max_wait < request_timeout.
  boost::asio::awaitable<Result<std::vector<PartitionFetchResult>>> fetch_partitions(
      BrokerId broker, std::vector<FetchPartition> partitions, int32_t max_bytes,
      std::chrono::milliseconds max_wait);
  // kEarliestTimestamp, kLatestTimestamp, or the first offset with timestamp >= `timestamp`.
  boost::asio::awaitable<Result<ListOffsetsResult>> list_offsets(std::string topic,
                                                                 PartitionId partition,
                                                                 int64_t timestamp);
  // Sent to the controller (any broker if unknown). The outer error is about the request; each
  // TopicResult carries the topic's own outcome.
  boost::asio::awaitable<Result<std::vector<TopicResult>>> create_topics(
      std::vector<NewTopic> topics, std::chrono::milliseconds timeout);
  boost::asio::awaitable<Result<std::vector<TopicResult>>> delete_topics(
      std::vector<std::string> topics, std::chrono::milliseconds timeout);

  // The connection to `broker` (opened on first use). Errors: disconnected, unknown broker.
  boost::asio::awaitable<Result<std::shared_ptr<Connection>>> connection(BrokerId broker);
  // Closes every connection; pending requests fail with disconnected.
  void close();

  const ClientOptions& options() const noexcept;
  boost::asio::any_io_executor executor() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace meridian::client
