#pragma once
// Route registration, one function per resource file (routes/<resource>.cc). Each handler runs
// parse (pure, json/), then the cluster call (async, through a service interface), then render.
// Services are interfaces so the routes build before cluster/client exists; the gateway main
// wires implementations over cluster/client.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>

#include "gateway/json/produce.h"
#include "gateway/model.h"
#include "gateway/router.h"

namespace meridian::gateway {

struct Readiness;

// GET /healthz and /livez (process alive, never checks dependencies), GET /readyz and
// /v1/status/ready (the probe; 503 with the reason when not ready). `?verbose` adds detail.
void add_health_routes(Router& router, std::function<Readiness()> readiness);

// The cluster side of produce. Implementations run on the calling connection's strand and own
// nothing of the request after returning. Errors: topic_not_found, partition_not_found,
// broker_not_available, kafka_error, kafka_retriable (whole request); per-record errors go in
// ProduceResponse.
class ProduceService {
 public:
  virtual ~ProduceService() = default;
  // `partition` set: the to-partition endpoint; else records choose (explicit, key hash via
  // partitioner.h, or round-robin).
  virtual boost::asio::awaitable<ApiResult<ProduceResponse>> produce(
      std::string topic, std::optional<PartitionId> partition, ProduceRequest request) = 0;
  virtual const std::string& cluster_id() const = 0;
};

// The service until a cluster client is wired: every call fails with 503/50302.
class UnavailableProduceService final : public ProduceService {
 public:
  boost::asio::awaitable<ApiResult<ProduceResponse>> produce(std::string,
                                                             std::optional<PartitionId>,
                                                             ProduceRequest) override;
  const std::string& cluster_id() const override { return cluster_id_; }

 private:
  std::string cluster_id_ = "meridian";
};

struct ProduceRouteOptions {
  size_t max_batch_entries = 10000;  // api.v3.produce.batch.maximum.entries
};

// v2: POST /topics/{topic}, POST /topics/{topic}/partitions/{partition}.
// v3: POST /v3/clusters/{cluster_id}/topics/{topic}/records and .../records:batch (207).
// `service` must outlive the router.
void add_produce_routes(Router& router, ProduceService& service, ProduceRouteOptions options = {});

}  // namespace meridian::gateway

namespace meridian::gateway {

// Bounds of one GET .../records, after the query string and the config caps are applied.
struct RecordsQuery {
  std::optional<int64_t> timeout_ms;  // nullopt: consumer.request.timeout.ms
  std::optional<int64_t> max_bytes;   // nullopt: consumer.request.max.bytes
};

// The cluster side of v2 consumer instances. `group`/`instance` come from the path; an unknown
// instance is consumer_instance_not_found (40403). Runs on the connection's strand.
class ConsumerService {
 public:
  virtual ~ConsumerService() = default;
  template <class T>
  using Async = boost::asio::awaitable<ApiResult<T>>;
  // Returns the instance id (the requested name, or one the service generates).
  virtual Async<std::string> create(std::string group, ConsumerCreateRequest request) = 0;
  virtual Async<void> remove(std::string group, std::string instance) = 0;
  virtual Async<void> subscribe(std::string group, std::string instance, Subscription s) = 0;
  virtual Async<std::vector<std::string>> subscription(std::string group, std::string instance) = 0;
  virtual Async<void> unsubscribe(std::string group, std::string instance) = 0;
  virtual Async<void> assign(std::string group, std::string instance,
                             std::vector<TopicPartition> partitions) = 0;
  virtual Async<std::vector<TopicPartition>> assignments(std::string group,
                                                         std::string instance) = 0;
  virtual Async<void> seek(std::string group, std::string instance, SeekRequest request) = 0;
  enum class SeekTo : uint8_t { kBeginning, kEnd };
  virtual Async<void> seek_to(std::string group, std::string instance,
                              std::vector<TopicPartition> partitions, SeekTo where) = 0;
  virtual Async<EmbeddedFormat> format(std::string group, std::string instance) = 0;
  virtual Async<std::vector<ConsumedRecord>> records(std::string group, std::string instance,
                                                     RecordsQuery query) = 0;
  virtual Async<std::vector<CommitResult>> commit(std::string group, std::string instance,
                                                  CommitOffsetsRequest request) = 0;
  virtual Async<std::vector<TopicPartitionOffset>> committed(
      std::string group, std::string instance, std::vector<TopicPartition> partitions) = 0;
};

// The service until a cluster client is wired: every call fails with 503/50302.
class UnavailableConsumerService final : public ConsumerService {
 public:
  Async<std::string> create(std::string, ConsumerCreateRequest) override;
  Async<void> remove(std::string, std::string) override;
  Async<void> subscribe(std::string, std::string, Subscription) override;
  Async<std::vector<std::string>> subscription(std::string, std::string) override;
  Async<void> unsubscribe(std::string, std::string) override;
  Async<void> assign(std::string, std::string, std::vector<TopicPartition>) override;
  Async<std::vector<TopicPartition>> assignments(std::string, std::string) override;
  Async<void> seek(std::string, std::string, SeekRequest) override;
  Async<void> seek_to(std::string, std::string, std::vector<TopicPartition>, SeekTo) override;
  Async<EmbeddedFormat> format(std::string, std::string) override;
  Async<std::vector<ConsumedRecord>> records(std::string, std::string, RecordsQuery) override;
  Async<std::vector<CommitResult>> commit(std::string, std::string, CommitOffsetsRequest) override;
  Async<std::vector<TopicPartitionOffset>> committed(std::string, std::string,
                                                     std::vector<TopicPartition>) override;
};

struct ConsumerRouteOptions {
  // Base of returned base_uri values ("http://gw1:8082"); empty: "http://" + the Host header.
  std::string advertised_base;
};

// /consumers/{group}[/instances/{instance}[/subscription|assignments|positions[/beginning|/end]
// |records|offsets]]. `service` must outlive the router.
void add_consumer_routes(Router& router, ConsumerService& service,
                         ConsumerRouteOptions options = {});

}  // namespace meridian::gateway

namespace meridian::gateway {

// The cluster side of v2 metadata. Errors: topic_not_found, broker_not_available.
class MetadataService {
 public:
  virtual ~MetadataService() = default;
  template <class T>
  using Async = boost::asio::awaitable<ApiResult<T>>;
  virtual Async<std::vector<std::string>> topics() = 0;
  virtual Async<TopicInfo> topic(std::string name) = 0;
  // partition_not_found when the topic has no such partition.
  virtual Async<PartitionOffsets> offsets(std::string topic, PartitionId partition) = 0;
  virtual Async<std::vector<BrokerId>> brokers() = 0;
};

// The service until a cluster client is wired: every call fails with 503/50302.
class UnavailableMetadataService final : public MetadataService {
 public:
  Async<std::vector<std::string>> topics() override;
  Async<TopicInfo> topic(std::string) override;
  Async<PartitionOffsets> offsets(std::string, PartitionId) override;
  Async<std::vector<BrokerId>> brokers() override;
};

// GET /topics, /topics/{topic}, /topics/{topic}/partitions[/{partition}[/offsets]], /brokers.
void add_metadata_routes(Router& router, MetadataService& service);

}  // namespace meridian::gateway
