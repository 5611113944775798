#pragma once
// RequestDispatcher: decodes Kafka requests, runs them against the ReplicaManager and the
// MetadataCache, and encodes the responses (the broker's RequestHandler for KafkaServer).
// Handlers follow the gateway's rule: decode (pure), act (async, on partition strands), encode
// (pure). One request's partitions are handled one after another; long-polling fetches wait on
// a broker-wide DataNotifier that every partition pokes when data may have become readable.
//
// Unknown API keys or versions: ApiVersions of any version gets the KIP-511 fallback; any other
// request we cannot decode closes the connection (as Kafka does), with a log line and a counter.

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <memory>

#include "cluster/broker/kafka_server.h"
#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/replica_manager.h"
#include "cluster/protocol/header.h"
#include "common/ids.h"

namespace meridian::broker {

class DataNotifier;

struct DispatcherOptions {
  BrokerId self{0};
  // Upper bound on a fetch's max_wait_ms (clients ask for 500 ms typically).
  std::chrono::milliseconds max_fetch_wait{30000};
  int32_t message_max_bytes = 1048588;
};

struct DispatcherCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> bad_requests{0};  // undecodable: connection closed
  std::atomic<uint64_t> records_produced{0};
  std::atomic<uint64_t> produce_bytes{0};
  std::atomic<uint64_t> fetch_bytes{0};
};

class RequestDispatcher final : public RequestHandler {
 public:
  // One request being handled: the frame it came in and its parsed header.
  struct Context {
    const ConnectionInfo& connection;
    std::span<uint8_t> frame;
    protocol::RequestHeader header;
    std::span<const uint8_t> body;
  };

 public:
  // `replicas` and `metadata` must outlive the dispatcher.
  RequestDispatcher(DispatcherOptions options, ReplicaManager& replicas, MetadataCache& metadata);
  ~RequestDispatcher() override;

  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, std::span<uint8_t> frame) override;

  // Wakes long-polling fetches; give this to ReplicaManager as its on_data callback.
  void notify_data();
  const DispatcherCounters& counters() const noexcept { return counters_; }

 private:
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> dispatch(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_produce(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_fetch(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_list_offsets(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_epoch_end(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_leader_and_isr(Context& ctx);
  std::optional<std::vector<uint8_t>> handle_metadata(Context& ctx);
  std::optional<std::vector<uint8_t>> handle_api_versions(Context& ctx);

  DispatcherOptions options_;
  ReplicaManager& replicas_;
  MetadataCache& metadata_;
  std::unique_ptr<DataNotifier> notifier_;
  DispatcherCounters counters_;
};

}  // namespace meridian::broker
