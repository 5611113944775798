#pragma once
// ProduceService over cluster/client: the gateway's produce routes backed by a real cluster.
// The client has its own io_context and thread (cluster/client wants one executor for a Client
// and its Producer); a handler hops there with one post and the answer is posted back to the
// connection's strand, so the gateway's strands never touch client state.
//
// Errors (whole request): unknown topic (when not auto-created) -> topic_not_found (40401),
// partition beyond the topic's count -> partition_not_found (40402), failed metadata ->
// kafka_retriable (50003) or kafka_error (50002). Per-record send failures go in ProduceOffset (50003 retriable, else
// 50002), as kafka-rest does.

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

#include "cluster/client/client.h"
#include "cluster/client/producer.h"
#include "gateway/routes/routes.h"

namespace meridian::gateway {

struct ClusterServiceOptions {
  std::string bootstrap_servers;  // "host:port[,host:port]"
  std::string cluster_id = "meridian";
  // How long a single-record request's batch waits for more records. 0.5 ms: with 64 closed-loop
  // clients 1 ms was a third of each request's latency, while 0.25 ms doubled the Produce
  // requests and raised the brokers' CPU per request by half (bench/RESULTS.md, session 7).
  std::chrono::microseconds producer_linger{500};
  // Produce to an unknown topic creates it (Kafka's auto.create.topics.enable default).
  bool auto_create_topics = true;
};

// The gateway errc for a cluster client error (unknown topic/partition, retriable, other).
errc gateway_errc_for(const std::error_code& ec) noexcept;

class ClusterProduceService final : public ProduceService {
 public:
  explicit ClusterProduceService(ClusterServiceOptions options);
  ~ClusterProduceService() override;
  ClusterProduceService(const ClusterProduceService&) = delete;
  ClusterProduceService& operator=(const ClusterProduceService&) = delete;

  boost::asio::awaitable<ApiResult<ProduceResponse>> produce(
      std::string topic, std::optional<PartitionId> partition, ProduceRequest request) override;
  const std::string& cluster_id() const override { return options_.cluster_id; }

  // Default constructible so co_spawn can carry it back to the caller's strand.
  struct Outcome {
    std::optional<ApiError> error;
    ProduceResponse response;
  };

 private:
  static constexpr int kMetadataAttempts = 50;
  static constexpr std::chrono::milliseconds kMetadataBackoff{100};
  static constexpr std::chrono::milliseconds kCreateTimeout{10000};
  static constexpr size_t kProducerBatchBytes = 256 * 1024;
  static constexpr int kProducerMaxInFlight = 5;

  // The topic's partition count once every partition has a leader.
  boost::asio::awaitable<ApiResult<int32_t>> partition_count(const std::string& topic);
  boost::asio::awaitable<Outcome> produce_on_client(std::string topic,
                                                    std::optional<PartitionId> partition,
                                                    ProduceRequest request);
  // On the client thread: appends the records with Producer::try_send when the topic's
  // metadata is cached (no coroutine per request or record), else runs produce_on_client.
  // `done` is called once, on the client thread.
  void start_on_client(std::string topic, std::optional<PartitionId> partition,
                       ProduceRequest request, std::function<void(Outcome)> done);

  ClusterServiceOptions options_;
  std::unique_ptr<boost::asio::io_context> ioc_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<client::Producer> producer_;
  std::thread thread_;
};

}  // namespace meridian::gateway
