#pragma once
// RequestDispatcher: decodes Kafka requests, runs them against the ReplicaManager and the
// MetadataCache, and encodes the responses (the broker's RequestHandler for KafkaServer).
// Handlers follow the gateway's rule: decode (pure), act (async, on partition strands), encode
// (pure). One request's partitions are handled one after another; long-polling fetches wait on
// two broker-wide DataNotifiers that every partition pokes when data may have become readable.
//
// Unknown API keys or versions: ApiVersions of any version gets the KIP-511 fallback; any other
// request we cannot decode closes the connection (as Kafka does), with a log line and a counter.

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "cluster/broker/kafka_server.h"
#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/replica_manager.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/header.h"
#include "common/ids.h"

namespace meridian::broker {

class DataNotifier;

// Topic administration behind CreateTopics, DeleteTopics and Metadata auto-creation. The broker
// implements it with the coordination store (cluster/controller/topic_admin.h).
class TopicAdmin {
 public:
  virtual ~TopicAdmin() = default;
  // partitions / replication_factor < 0: the broker defaults. Returns a Kafka error code
  // (TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION, INVALID_REPLICATION_FACTOR, ...).
  virtual boost::asio::awaitable<protocol::ErrorCode> create_topic(
      std::string name, int32_t partitions, int16_t replication_factor,
      std::map<std::string, std::string> configs) = 0;
  virtual boost::asio::awaitable<protocol::ErrorCode> delete_topic(std::string name) = 0;
};

// A family of requests served by another part of the broker (group coordinator, producer ids,
// configs, mirror append). Extensions are added before the listener starts and outlive the
// dispatcher; the first one that serves an API key gets its requests.
class RequestExtension {
 public:
  virtual ~RequestExtension() = default;
  virtual bool serves(protocol::ApiKey key) const noexcept = 0;
  // Returns the whole response frame (detail::respond), an empty vector to close the connection
  // (malformed request), or nullopt for no response at all.
  virtual boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, const protocol::RequestHeader& header,
      std::span<const uint8_t> body) = 0;
};

struct DispatcherOptions {
  BrokerId self{0};
  // Upper bound on a fetch's max_wait_ms (clients ask for 500 ms typically).
  std::chrono::milliseconds max_fetch_wait{30000};
  int32_t message_max_bytes = 1048588;
  bool auto_create_topics = true;
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
  // `replicas`, `metadata` and `admin` (optional: without it topic administration is refused)
  // must outlive the dispatcher.
  RequestDispatcher(DispatcherOptions options, ReplicaManager& replicas, MetadataCache& metadata,
                    TopicAdmin* admin = nullptr);
  ~RequestDispatcher() override;

  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, std::span<uint8_t> frame) override;

  // Not thread-safe: call before the listener starts.
  void add_extension(RequestExtension& extension) { extensions_.push_back(&extension); }

  // Wakes long-polling fetches; give this to ReplicaManager as its on_data callback. Follower
  // fetches wake only on kAppended, consumer fetches only on kHighWatermark; the overload
  // without an event wakes both.
  void notify_data(replication::DataEvent event);
  void notify_data();
  const DispatcherCounters& counters() const noexcept { return counters_; }

 private:
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> dispatch(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_produce(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_fetch(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_list_offsets(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_epoch_end(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_leader_and_isr(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_metadata(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_create_topics(Context& ctx);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_delete_topics(Context& ctx);
  std::optional<std::vector<uint8_t>> handle_api_versions(Context& ctx);

  DispatcherOptions options_;
  ReplicaManager& replicas_;
  MetadataCache& metadata_;
  TopicAdmin* admin_;
  std::unique_ptr<DataNotifier> notifier_;          // consumers: the HW moved
  std::unique_ptr<DataNotifier> replica_notifier_;  // followers: a leader appended
  DispatcherCounters counters_;
  std::vector<RequestExtension*> extensions_;
};

}  // namespace meridian::broker
