#pragma once
// InProcessBroker: one real broker data path (ReplicaManager + RequestDispatcher + KafkaServer)
// on a loopback port chosen by the OS, with its own io_context thread. The test plays the
// controller: it publishes metadata and makes partitions leaders or followers by sending
// LeaderAndIsr over the wire, as tests/integration/broker_single does. Header-only test support.
//
// Threading: public methods are called from the test thread (never from the broker's io
// thread); they block until the broker has applied the change.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "cluster/broker/kafka_server.h"
#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/replica_manager.h"
#include "cluster/broker/request_dispatcher.h"
#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "common/byte_order.h"

namespace meridian::testing {

class InProcessBroker {
 public:
  explicit InProcessBroker(BrokerId id = BrokerId(1)) : id_(id) {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("meridian-inproc-broker-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    broker::ReplicaManagerOptions options;
    options.self = id_;
    options.log_dir = dir_;
    replicas_ = std::make_unique<broker::ReplicaManager>(
        io_.get_executor(), options, isr_writer_,
        [this](replication::DataEvent event) { dispatcher_->notify_data(event); });
    dispatcher_ = std::make_unique<broker::RequestDispatcher>(broker::DispatcherOptions{id_},
                                                              *replicas_, metadata_, &admin_);
    broker::KafkaServerOptions server_options;
    server_options.port = 0;
    server_ = std::make_unique<broker::KafkaServer>(io_, server_options, *dispatcher_);
    server_->start();
    port_ = server_->port();
    brokers_.push_back({id_, "127.0.0.1", port_, std::nullopt});
    thread_ = std::thread([this] { io_.run(); });
  }

  ~InProcessBroker() {
    boost::asio::co_spawn(io_, replicas_->stop_all(), boost::asio::use_future).get();
    run_on_io([this] {
      if (server_) {
        server_->stop();
      }
    });
    work_.reset();
    io_.stop();
    thread_.join();
    server_.reset();
    retired_.clear();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  InProcessBroker(const InProcessBroker&) = delete;
  InProcessBroker& operator=(const InProcessBroker&) = delete;

  BrokerId id() const { return id_; }
  uint16_t port() const { return port_; }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  broker::RequestDispatcher& dispatcher() { return *dispatcher_; }
  boost::asio::io_context& io() { return io_; }

  // Other brokers this one lists in its metadata (for multi-broker tests).
  void add_peer(const InProcessBroker& other) {
    brokers_.push_back({other.id(), "127.0.0.1", other.port(), std::nullopt});
    publish();
  }

  // Creates `topic` with `partitions` partitions led by this broker (replication factor 1).
  void create_topic(const std::string& topic, int partitions) {
    broker::TopicInfo info;
    for (int i = 0; i < partitions; ++i) {
      info.partitions.push_back({id_, LeaderEpoch(0), {id_}, {id_}, {}});
    }
    topics_[topic] = info;
    publish();
    for (int i = 0; i < partitions; ++i) {
      leader_and_isr(topic, i, id_, LeaderEpoch(0));
    }
  }

  // Sends LeaderAndIsr for one partition: `leader` leads with `epoch` (this broker becomes
  // follower when leader != id()), and the metadata it serves says so.
  void leader_and_isr(const std::string& topic, int partition, BrokerId leader,
                      LeaderEpoch epoch) {
    auto& info = topics_[topic];
    if (static_cast<int>(info.partitions.size()) <= partition) {
      info.partitions.resize(static_cast<size_t>(partition) + 1);
    }
    std::vector<BrokerId> replicas{leader};
    if (leader != id_) {
      replicas.push_back(id_);
    }
    info.partitions[static_cast<size_t>(partition)] = {leader, epoch, replicas, {leader}, {}};
    publish();
    protocol::LeaderAndIsrRequest request;
    request.controller_id = id_.value;
    request.controller_epoch = 1;
    protocol::LeaderAndIsrRequest::PartitionState s;
    s.topic_name = topic;
    s.partition_index = partition;
    s.controller_epoch = 1;
    s.leader = leader.value;
    s.leader_epoch = epoch.value;
    s.isr = {leader.value};
    for (auto r : replicas) {
      s.replicas.push_back(r.value);
    }
    request.ungrouped_partition_states.push_back(s);
    auto body = round_trip(request, 1);
    auto response = protocol::decode<protocol::LeaderAndIsrResponse>(body, 1);
    if (!response || response->error_code != protocol::ErrorCode::kNone) {
      throw std::runtime_error("LeaderAndIsr failed");
    }
  }

  // Closes the listener and every connection (clients see a disconnect).
  void stop_server() {
    run_on_io([this] {
      server_->stop();
    });
  }

  // Listens again on the same port.
  void restart_server() {
    run_on_io([this] {
      broker::KafkaServerOptions options;
      options.port = port_;
      // The stopped server's coroutines may still be unwinding: keep it until the end.
      retired_.push_back(std::move(server_));
      server_ = std::make_unique<broker::KafkaServer>(io_, options, *dispatcher_);
      server_->start();
    });
  }

  // Topic names the broker was asked to create and has not been asked to delete. The fake
  // admin only records: it does not create partitions (tests use create_topic for that).
  std::set<std::string> admin_topics() const {
    std::lock_guard lock(admin_.mutex);
    return admin_.names;
  }

 private:
  struct RecordingTopicAdmin : broker::TopicAdmin {
    boost::asio::awaitable<protocol::ErrorCode> create_topic(
        std::string name, int32_t, int16_t, std::map<std::string, std::string>) override {
      std::lock_guard lock(mutex);
      co_return names.insert(name).second ? protocol::ErrorCode::kNone
                                          : protocol::ErrorCode::kTopicAlreadyExists;
    }
    boost::asio::awaitable<protocol::ErrorCode> delete_topic(std::string name) override {
      std::lock_guard lock(mutex);
      co_return names.erase(name) == 1 ? protocol::ErrorCode::kNone
                                       : protocol::ErrorCode::kUnknownTopicOrPartition;
    }
    mutable std::mutex mutex;
    std::set<std::string> names;
  };

  class AcceptIsrChanges : public replication::IsrWriter {
   public:
    boost::asio::awaitable<Result<int32_t>> write_isr(const std::string&, PartitionId,
                                                      replication::PartitionState s) override {
      co_return s.partition_epoch + 1;
    }
  };

  void publish() {
    broker::ClusterMetadata m;
    m.cluster_id = "meridian-test";
    m.controller_id = id_;
    m.brokers = brokers_;
    std::sort(m.brokers.begin(), m.brokers.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    m.topics = topics_;
    metadata_.publish(m);
  }

  template <class F>
  void run_on_io(F f) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().get();
  }

  template <class Request>
  std::vector<uint8_t> round_trip(const Request& request, int16_t version) {
    namespace asio = boost::asio;
    asio::io_context client;
    asio::ip::tcp::socket s(client);
    s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    protocol::RequestHeader header;
    header.api_version = version;
    header.correlation_id = 7;
    header.client_id = "in-process-controller";
    auto frame = protocol::encode_request_frame(header, request).value();
    asio::write(s, asio::buffer(frame));
    uint8_t prefix[4];
    asio::read(s, asio::buffer(prefix));
    std::vector<uint8_t> payload(static_cast<size_t>(load_be<int32_t>(prefix)));
    asio::read(s, asio::buffer(payload));
    return {payload.begin() + 4, payload.end()};
  }

  BrokerId id_;
  std::filesystem::path dir_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  AcceptIsrChanges isr_writer_;
  RecordingTopicAdmin admin_;
  broker::MetadataCache metadata_;
  std::unique_ptr<broker::ReplicaManager> replicas_;
  std::unique_ptr<broker::RequestDispatcher> dispatcher_;
  std::unique_ptr<broker::KafkaServer> server_;
  std::vector<std::unique_ptr<broker::KafkaServer>> retired_;
  uint16_t port_ = 0;
  std::vector<broker::BrokerInfo> brokers_;
  std::map<std::string, broker::TopicInfo> topics_;
  std::thread thread_;
};

}  // namespace meridian::testing
