#include "cluster/broker/broker.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/as_tuple.hpp>

#include <deque>
#include <map>
#include <mutex>

#include "cluster/broker/detail/rpc.h"
#include "cluster/broker/error_mapping.h"
#include "cluster/broker/kafka_server.h"
#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/metadata_refresher.h"
#include "cluster/broker/replica_fetcher.h"
#include "cluster/broker/replica_manager.h"
#include "cluster/broker/request_dispatcher.h"
#include "cluster/controller/broker_channel.h"
#include "cluster/controller/controller.h"
#include "cluster/controller/errc.h"
#include "cluster/controller/state_codec.h"
#include "cluster/controller/store_isr_writer.h"
#include "cluster/controller/topic_admin.h"
#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using asio::ip::tcp;
using protocol::ErrorCode;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kRequestTimeout = std::chrono::milliseconds(10000);

// "PLAINTEXT://host:port" -> (host, port).
Result<std::pair<std::string, uint16_t>> parse_listener(const std::string& listener) {
  constexpr std::string_view kScheme = "PLAINTEXT://";
  std::string rest = listener.substr(kScheme.size());
  auto colon = rest.rfind(':');
  if (!listener.starts_with(kScheme) || colon == std::string::npos) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  int port = std::atoi(rest.c_str() + colon + 1);
  if (port < 0 || port > 65535) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  return std::pair{rest.substr(0, colon), static_cast<uint16_t>(port)};
}

}  // namespace

// Topic administration through the coordination store, run on the blocking pool.
class StoreTopicAdmin final : public TopicAdmin {
 public:
  StoreTopicAdmin(coord::CoordinationStore& store, asio::any_io_executor blocking,
                  const BrokerConfig& config, MetadataRefresher& refresher)
      : store_(store), blocking_(std::move(blocking)), config_(config), refresher_(refresher) {}

  asio::awaitable<ErrorCode> create_topic(std::string name, int32_t partitions,
                                          int16_t replication_factor,
                                          std::map<std::string, std::string> configs) override {
    auto body = [this, name, partitions, replication_factor,
                 configs]() -> asio::awaitable<ErrorCode> {
      auto live = controller::read_live_brokers(store_);
      if (!live) {
        co_return ErrorCode::kUnknownServerError;
      }
      int32_t n = partitions > 0 ? partitions : config_.num_partitions;
      int16_t rf = replication_factor > 0 ? replication_factor : config_.default_replication_factor;
      auto created = controller::create_topic(store_, name, n, rf, configs,
                                              controller::racks_of(*live));
      refresher_.trigger();
      co_return created ? ErrorCode::kNone : to_kafka_error(created.error());
    };
    ErrorCode ec = co_await asio::co_spawn(blocking_, std::move(body), asio::use_awaitable);
    co_return ec;
  }

  asio::awaitable<ErrorCode> delete_topic(std::string name) override {
    auto body = [this, name]() -> asio::awaitable<ErrorCode> {
      auto r = controller::delete_topic(store_, name);
      refresher_.trigger();
      co_return r ? ErrorCode::kNone : to_kafka_error(r.error());
    };
    ErrorCode ec = co_await asio::co_spawn(blocking_, std::move(body), asio::use_awaitable);
    co_return ec;
  }

 private:
  coord::CoordinationStore& store_;
  asio::any_io_executor blocking_;
  const BrokerConfig& config_;
  MetadataRefresher& refresher_;
};

// Kafka's ControllerChannelManager: one ordered queue per destination broker, drained by one
// coroutine that (re)connects and sends each request, then reads its response.
class NetworkBrokerChannel final : public controller::BrokerChannel {
 public:
  NetworkBrokerChannel(asio::io_context& io, MetadataCache& metadata, MetadataRefresher& refresher,
                       BrokerId self)
      : io_(io), metadata_(metadata), refresher_(refresher), self_(self) {}

  void send_leader_and_isr(BrokerId to, protocol::LeaderAndIsrRequest request) override {
    enqueue(to, encode(request, 2));
  }
  void send_stop_replica(BrokerId to, protocol::StopReplicaRequest request) override {
    enqueue(to, encode(request, 1));
  }

 private:
  struct Frame {
    std::vector<uint8_t> bytes;
    int32_t correlation_id = 0;
  };

  template <class T>
  Frame encode(const T& request, int16_t version) {
    protocol::RequestHeader header;
    header.api_version = version;
    header.correlation_id = next_correlation_++;
    header.client_id = "controller-" + std::to_string(self_.value);
    auto frame = protocol::encode_request_frame(header, request);
    return Frame{frame ? std::move(*frame) : std::vector<uint8_t>{}, header.correlation_id};
  }

  void enqueue(BrokerId to, Frame frame) {
    if (frame.bytes.empty()) {
      return;
    }
    std::lock_guard lock(mutex_);
    auto& q = queues_[to.value];
    q.frames.push_back(std::move(frame));
    if (!q.draining) {
      q.draining = true;
      asio::co_spawn(io_, drain(to), asio::detached);
    }
  }

  asio::awaitable<void> drain(BrokerId to) {
    std::optional<tcp::socket> socket;
    for (;;) {
      Frame frame;
      {
        std::lock_guard lock(mutex_);
        auto& q = queues_[to.value];
        if (q.frames.empty()) {
          q.draining = false;
          co_return;
        }
        frame = std::move(q.frames.front());
        q.frames.pop_front();
      }
      for (int attempt = 0; attempt < 50; ++attempt) {
        bool sent = co_await send_one(socket, to, frame);
        if (sent) {
          break;
        }
        socket.reset();
        refresher_.trigger();
        asio::steady_timer backoff(io_, std::chrono::milliseconds(100));
        co_await backoff.async_wait(kUseTuple);
      }
    }
  }

  // One request and its response over the (re)opened connection to `to`.
  asio::awaitable<bool> send_one(std::optional<tcp::socket>& socket, BrokerId to,
                                 const Frame& frame) {
    if (!socket) {
      auto snapshot = metadata_.get();
      const BrokerInfo* info = snapshot->broker(to);
      if (info == nullptr) {
        co_return false;
      }
      auto connected = co_await detail::connect_to(info->host, info->port, kRequestTimeout);
      if (!connected) {
        co_return false;
      }
      socket.emplace(std::move(*connected));
    }
    auto response =
        co_await detail::round_trip(*socket, frame.bytes, frame.correlation_id, kRequestTimeout);
    co_return static_cast<bool>(response);
  }

  struct Queue {
    std::deque<Frame> frames;
    bool draining = false;
  };
  asio::io_context& io_;
  MetadataCache& metadata_;
  MetadataRefresher& refresher_;
  BrokerId self_;
  std::mutex mutex_;
  std::map<int32_t, Queue> queues_;
  int32_t next_correlation_ = 1;
};

struct Broker::Impl {
  explicit Impl(BrokerOptions o) : options(std::move(o)), blocking(2) {}

  BrokerOptions options;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::vector<std::thread> threads;
  asio::thread_pool blocking;
  std::unique_ptr<coord::CoordinationStore> store;
  MetadataCache metadata;
  std::unique_ptr<MetadataRefresher> refresher;
  std::unique_ptr<controller::StoreIsrWriter> isr_writer;
  std::unique_ptr<ReplicaManager> replicas;
  std::unique_ptr<ReplicaFetcherManager> fetchers;
  std::unique_ptr<StoreTopicAdmin> admin;
  std::unique_ptr<RequestDispatcher> dispatcher;
  std::unique_ptr<KafkaServer> server;
  std::unique_ptr<NetworkBrokerChannel> channel;
  std::unique_ptr<controller::Controller> controller;
  bool started = false;
  bool stopped = false;
};

Broker::Broker(BrokerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Broker::~Broker() { stop(); }

BrokerId Broker::id() const noexcept { return impl_->options.config.broker_id; }
uint16_t Broker::port() const noexcept { return impl_->server ? impl_->server->port() : 0; }
bool Broker::is_controller() const noexcept {
  return impl_->controller && impl_->controller->is_active();
}

Result<void> Broker::start() {
  auto& d = *impl_;
  const auto& config = d.options.config;
  auto listener = parse_listener(config.listeners.front());
  if (!listener) {
    return listener.error();
  }
  auto store = coord::make_store(d.options.coord, [&d](coord::SessionState state) {
    if (d.controller) {
      d.controller->on_session_event(state);
    }
    if (state == coord::SessionState::kExpired) {
      logger("broker")->error("broker {}: coordination session expired; restart the broker",
                              d.options.config.broker_id.value);
    }
  });
  if (!store) {
    return store.error();
  }
  d.store = std::move(*store);
  d.refresher = std::make_unique<MetadataRefresher>(*d.store, d.metadata, d.options.cluster_id);
  d.isr_writer = std::make_unique<controller::StoreIsrWriter>(*d.store, d.blocking.get_executor());
  ReplicaManagerOptions rm;
  rm.self = config.broker_id;
  rm.log_dir = config.log_dirs.front();
  rm.log_config.segment_bytes = config.log_segment_bytes;
  rm.log_config.segment_ms = config.log_segment_ms.count();
  rm.log_config.retention_ms = config.log_retention_ms;
  rm.log_config.retention_bytes = config.log_retention_bytes;
  rm.log_config.flush_messages = config.log_flush_interval_messages;
  rm.log_config.flush_ms = config.log_flush_interval_ms < 0 ? INT64_MAX : config.log_flush_interval_ms;
  rm.partition_config.min_insync_replicas = config.min_insync_replicas;
  rm.partition_config.replica_lag_time_max = config.replica_lag_time_max;
  d.replicas = std::make_unique<ReplicaManager>(d.io.get_executor(), rm, *d.isr_writer,
                                                [&d] { d.dispatcher->notify_data(); });
  d.fetchers = std::make_unique<ReplicaFetcherManager>(d.io, config.broker_id, *d.replicas,
                                                       d.metadata);
  d.replicas->set_state_listener(
      [&d, self = config.broker_id](const TopicPartition& tp,
                                    const std::optional<replication::PartitionState>& state) {
        if (state && state->leader != self && state->leader.value >= 0) {
          d.fetchers->add(tp, state->leader, state->leader_epoch);
        } else {
          d.fetchers->remove(tp);
        }
      });
  d.admin = std::make_unique<StoreTopicAdmin>(*d.store, d.blocking.get_executor(), config,
                                              *d.refresher);
  DispatcherOptions dopts;
  dopts.self = config.broker_id;
  dopts.message_max_bytes = config.message_max_bytes;
  dopts.auto_create_topics = config.auto_create_topics_enable;
  d.dispatcher = std::make_unique<RequestDispatcher>(dopts, *d.replicas, d.metadata, d.admin.get());
  KafkaServerOptions sopts;
  sopts.host = listener->first;
  sopts.port = listener->second;
  sopts.max_request_bytes = static_cast<uint32_t>(config.socket_request_max_bytes);
  d.server = std::make_unique<KafkaServer>(d.io, sopts, *d.dispatcher);
  try {
    d.server->start();
  } catch (const boost::system::system_error& e) {
    return e.code();
  }
  for (int i = 0; i < std::max(1, d.options.io_threads); ++i) {
    d.threads.emplace_back([&d] { d.io.run(); });
  }
  // Register only once the listener is up, so the controller never sends to a closed port.
  controller::BrokerRegistration reg;
  reg.id = config.broker_id;
  reg.host = listener->first;
  reg.port = d.server->port();
  if (!config.broker_rack.empty()) {
    reg.rack = config.broker_rack;
  }
  reg.timestamp_ms = controller::now_ms();
  if (auto p = coord::ensure_path(*d.store, controller::kBrokerIdsPath); !p) {
    return p.error();
  }
  auto registered = d.store->create(controller::broker_path(config.broker_id),
                                    controller::encode_broker(reg), coord::CreateMode::kEphemeral);
  if (!registered) {
    return registered.error();
  }
  (void)coord::ensure_path(*d.store, controller::kTopicsPath);
  d.refresher->start();
  d.refresher->trigger();
  d.channel = std::make_unique<NetworkBrokerChannel>(d.io, d.metadata, *d.refresher, config.broker_id);
  controller::ControllerConfig cc;
  cc.broker_id = config.broker_id;
  cc.unclean_leader_election = config.unclean_leader_election_enable;
  d.controller = std::make_unique<controller::Controller>(*d.store, cc, *d.channel);
  d.controller->start();
  d.started = true;
  logger("broker")->info("broker {} serving on {}:{}", config.broker_id.value, reg.host, reg.port);
  return {};
}

void Broker::stop() {
  auto& d = *impl_;
  if (d.stopped) {
    return;
  }
  d.stopped = true;
  if (d.controller) {
    d.controller->stop();
  }
  if (d.refresher) {
    d.refresher->stop();
  }
  if (d.fetchers) {
    d.fetchers->stop();
  }
  if (d.server) {
    asio::post(d.io, [&d] { d.server->stop(); });
  }
  if (d.replicas && !d.threads.empty()) {
    asio::co_spawn(d.io, d.replicas->stop_all(), asio::use_future).wait();
  }
  if (d.store) {
    d.store->close();
  }
  d.work.reset();
  d.io.stop();
  for (auto& t : d.threads) {
    t.join();
  }
  d.blocking.join();
}

}  // namespace meridian::broker
