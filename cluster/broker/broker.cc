#include "cluster/broker/broker.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/as_tuple.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include "cluster/broker/broker_stale_logs.h"
#include "cluster/broker/controlled_shutdown.h"
#include "cluster/broker/broker_metrics.h"
#include "cluster/broker/config_applier.h"
#include "cluster/broker/config_extension.h"
#include "cluster/broker/error_mapping.h"
#include "cluster/broker/group_coordinator.h"
#include "cluster/broker/group_extension.h"
#include "cluster/broker/kafka_server.h"
#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/metadata_refresher.h"
#include "cluster/broker/producer_ids.h"
#include "cluster/broker/mirror_extension.h"
#include "cluster/broker/mirror_registry.h"
#include "cluster/broker/network_broker_channel.h"
#include "cluster/broker/replica_fetcher.h"
#include "cluster/broker/replica_manager.h"
#include "cluster/broker/request_dispatcher.h"
#include "cluster/broker/store_topic_admin.h"
#include "cluster/broker/topic_admin_extension.h"
#include "cluster/controller/broker_channel.h"
#include "cluster/controller/controller.h"
#include "cluster/controller/errc.h"
#include "cluster/controller/state_codec.h"
#include "cluster/controller/store_isr_writer.h"
#include "cluster/controller/topic_admin.h"
#include "cluster/coord/embedded_ensemble.h"
#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using asio::ip::tcp;
using protocol::ErrorCode;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

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
  std::unique_ptr<TopicAdminExtension> topic_admin_extension;  // StopReplica, CreatePartitions
  std::unique_ptr<RequestDispatcher> dispatcher;
  std::unique_ptr<GroupCoordinator> groups;  // consumer groups (issue 5)
  std::unique_ptr<GroupExtension> group_extension;
  std::unique_ptr<MirrorRegistry> mirrors;  // cross-DC mirror topics (issue 7)
  std::unique_ptr<MirrorExtension> mirror_extension;
  std::unique_ptr<ProducerIdAllocator> producer_ids;  // idempotent producers (issue 5)
  std::unique_ptr<ProducerIdExtension> producer_id_extension;
  std::unique_ptr<ConfigApplier> config_applier;  // topic configs (issue 5)
  std::unique_ptr<ConfigExtension> config_extension;
  std::unique_ptr<MeteredRequestHandler> metered;  // wraps dispatcher; outlives server
  std::unique_ptr<KafkaServer> server;
  std::unique_ptr<NetworkBrokerChannel> channel;
  std::unique_ptr<controller::Controller> controller;
  std::unique_ptr<ControlledShutdownHandler> shutdown_handler;
  std::unique_ptr<BrokerMetricsCollector> collector;
  bool started = false;
  std::atomic<bool> stopping{false};  // ends the ISR expiration loop
  std::atomic<bool> crashed{false};   // crash_for_test(): no controlled shutdown on stop()
  bool stopped = false;
};

Broker::Broker(BrokerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Broker::~Broker() { stop(); }

BrokerId Broker::id() const noexcept { return impl_->options.config.broker_id; }
uint16_t Broker::port() const noexcept { return impl_->server ? impl_->server->port() : 0; }
const BrokerConfig& Broker::config() const noexcept { return impl_->options.config; }
const ReplicaManager* Broker::replica_manager() const noexcept { return impl_->replicas.get(); }
const GroupCoordinator* Broker::group_coordinator() const noexcept {
  return impl_->groups.get();
}
std::shared_ptr<const ClusterMetadata> Broker::metadata() const { return impl_->metadata.get(); }
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
      if (d.options.on_session_expired) {
        d.options.on_session_expired();
      }
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
  rm.log_config.writeback_bytes = config.log_writeback_bytes;
  rm.log_config.segment_ms = config.log_segment_ms.count();
  rm.log_config.retention_ms = config.log_retention_ms;
  rm.log_config.retention_bytes = config.log_retention_bytes;
  rm.log_config.flush_messages = config.log_flush_interval_messages;
  rm.log_config.flush_ms = config.log_flush_interval_ms < 0 ? INT64_MAX : config.log_flush_interval_ms;
  rm.partition_config.min_insync_replicas = config.min_insync_replicas;
  rm.partition_config.replica_lag_time_max = config.replica_lag_time_max;
  rm.blocking = d.blocking.get_executor();
  rm.incarnation_of = [&d](const std::string& topic) -> std::optional<int64_t> {
    auto stat = d.store->exists(controller::topic_path(topic));
    if (!stat || !stat->has_value()) {
      return std::nullopt;
    }
    return (*stat)->create_txid;
  };
  rm.config_of = [&d, base_log = rm.log_config, base_partition = rm.partition_config](
                     const std::string& topic)
      -> std::optional<std::pair<log::LogConfig, replication::PartitionConfig>> {
    auto effective = read_effective_topic_config(*d.store, topic, base_log, base_partition);
    if (!effective) {
      return std::nullopt;
    }
    return std::pair{effective->log, effective->partition};
  };
  d.replicas = std::make_unique<ReplicaManager>(d.io.get_executor(), rm, *d.isr_writer,
                                                [&d](replication::DataEvent event) {
                                                  d.dispatcher->notify_data(event);
                                                });
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
  // ControlledShutdown reaches us only once our controller won /controller, i.e. after start().
  d.shutdown_handler = std::make_unique<ControlledShutdownHandler>(
      d.blocking.get_executor(),
      [&d](BrokerId broker) -> Result<std::vector<controller::TopicPartition>> {
        if (!d.controller) {
          return controller::make_error_code(controller::errc::not_controller);
        }
        return d.controller->controlled_shutdown_partitions(broker, std::chrono::seconds(10));
      });
  d.dispatcher->add_extension(*d.shutdown_handler);
  d.topic_admin_extension = std::make_unique<TopicAdminExtension>(*d.replicas, *d.admin);
  d.dispatcher->add_extension(*d.topic_admin_extension);
  (void)remove_stale_logs(*d.store, *d.replicas, config.broker_id);
  GroupCoordinatorOptions gopts;
  gopts.self = config.broker_id;
  gopts.offsets_topic_partitions = config.offsets_topic_num_partitions;
  gopts.offsets_topic_replication_factor = config.offsets_topic_replication_factor;
  gopts.commit_timeout = config.offsets_commit_timeout;
  gopts.max_metadata_bytes = config.offset_metadata_max_bytes;
  gopts.group.min_session_timeout = config.group_min_session_timeout;
  gopts.group.max_session_timeout = config.group_max_session_timeout;
  gopts.group.initial_rebalance_delay = config.group_initial_rebalance_delay;
  d.groups = std::make_unique<GroupCoordinator>(d.io.get_executor(), d.blocking.get_executor(),
                                                gopts, *d.replicas, d.metadata, d.admin.get());
  d.replicas->add_state_listener(
      [&d](const TopicPartition& tp, const std::optional<replication::PartitionState>& state) {
        d.groups->on_partition_state(tp, state);
      });
  d.group_extension = std::make_unique<GroupExtension>(*d.groups);
  d.dispatcher->add_extension(*d.group_extension);
  d.mirrors = std::make_unique<MirrorRegistry>(*d.store);
  d.mirrors->start();
  d.mirrors->register_for(*d.replicas);
  d.mirror_extension = std::make_unique<MirrorExtension>(*d.replicas, *d.mirrors,
                                                         d.blocking.get_executor());
  d.dispatcher->add_extension(*d.mirror_extension);
  d.groups->start();
  d.producer_ids = std::make_unique<ProducerIdAllocator>(*d.store, config.broker_id);
  d.producer_id_extension =
      std::make_unique<ProducerIdExtension>(*d.producer_ids, d.blocking.get_executor());
  d.dispatcher->add_extension(*d.producer_id_extension);
  d.config_applier = std::make_unique<ConfigApplier>(*d.store, d.io.get_executor(),
                                                     d.blocking.get_executor(), *d.replicas);
  d.config_extension = std::make_unique<ConfigExtension>(*d.store, d.blocking.get_executor(),
                                                         config, d.config_applier.get());
  d.dispatcher->add_extension(*d.config_extension);
  d.config_applier->start();
  KafkaServerOptions sopts;
  sopts.host = listener->first;
  sopts.port = listener->second;
  sopts.max_request_bytes = static_cast<uint32_t>(config.socket_request_max_bytes);
  RequestHandler* handler = d.dispatcher.get();
  if (d.options.metrics) {
    d.metered = std::make_unique<MeteredRequestHandler>(*d.dispatcher, d.options.metric_labels);
    handler = d.metered.get();
  }
  // Know every topic before the first client does: right after a restart a partition that is
  // in the metadata but not loaded yet must answer the retriable NOT_LEADER_OR_FOLLOWER, never
  // UNKNOWN_TOPIC_OR_PARTITION (which makes clients give up).
  (void)d.refresher->refresh_now();
  d.server = std::make_unique<KafkaServer>(d.io, sopts, *handler);
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
  // advertised.listeners with an explicit port (e.g. a fault proxy or NAT in front of this
  // broker) is what clients are told; port 0 there means "the port we bound".
  if (auto advertised = parse_listener(config.advertised_listeners.empty()
                                           ? config.listeners.front()
                                           : config.advertised_listeners.front());
      advertised && advertised->second != 0) {
    reg.host = advertised->first;
    reg.port = advertised->second;
  }
  if (!config.broker_rack.empty()) {
    reg.rack = config.broker_rack;
  }
  reg.timestamp_ms = controller::now_ms();
  if (auto p = coord::ensure_path(*d.store, controller::kBrokerIdsPath); !p) {
    return p.error();
  }
  // After a crash the previous incarnation's ephemeral registration lives until its session
  // times out; wait that long for it to go (Kafka's checkedEphemeralCreate does the same).
  auto register_deadline = std::chrono::steady_clock::now() + d.options.coord.session_timeout +
                           std::chrono::seconds(2);
  auto registered = d.store->create(controller::broker_path(config.broker_id),
                                    controller::encode_broker(reg), coord::CreateMode::kEphemeral);
  while (!registered && registered.error() == coord::errc::node_exists &&
         std::chrono::steady_clock::now() < register_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    registered = d.store->create(controller::broker_path(config.broker_id),
                                 controller::encode_broker(reg), coord::CreateMode::kEphemeral);
  }
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
  if (config.auto_leader_rebalance_enable) {
    cc.preferred_leader_interval = config.leader_imbalance_check_interval;
  }
  cc.imbalance_percentage = config.leader_imbalance_per_broker_percentage;
  d.controller = std::make_unique<controller::Controller>(*d.store, cc, *d.channel);
  d.controller->start();
  start_isr_expiration();
  d.started = true;
  if (d.options.metrics) {
    d.collector = std::make_unique<BrokerMetricsCollector>(
        *this, BrokerMetricsOptions{d.options.metric_labels, d.options.metrics_interval});
    d.collector->start();
  }
  logger("broker")->info("broker {} serving on {}:{}", config.broker_id.value, reg.host, reg.port);
  return {};
}

// Kafka's isr-expiration task: each leader drops the followers that have not caught up for
// longer than replica.lag.time.max.ms, even when no fetch or produce arrives to make it look (a
// SIGSTOPped or partitioned follower sends nothing at all). Kafka checks every lag / 2, so a
// stalled follower can hold acks=all produces for 1.5x the lag; every lag / 8 bounds it at 1.125x.
void Broker::start_isr_expiration() {
  auto& d = *impl_;
  auto period = std::max(std::chrono::milliseconds(50), d.options.config.replica_lag_time_max / 8);
  auto loop = [&d, period]() -> asio::awaitable<void> {
    asio::steady_timer timer(d.io);
    while (!d.stopping.load()) {
      timer.expires_after(period);
      co_await timer.async_wait(kUseTuple);
      auto partitions = d.replicas->all();
      for (auto& entry : partitions) {
        if (d.stopping.load()) {
          break;
        }
        size_t removed = co_await entry.second->maybe_shrink_isr();
        (void)removed;
      }
    }
  };
  asio::co_spawn(d.io, std::move(loop), asio::detached);
}

bool Broker::crashed() const noexcept { return impl_->crashed.load(); }

bool Broker::crash_for_test() {
  auto& d = *impl_;
  if (!d.started || d.stopped || !d.options.coord.ensemble) {
    return false;
  }
  if (d.crashed.exchange(true)) {
    return true;
  }
  logger("broker")->warn("broker {}: simulated crash (test hook); session expires in {} ms",
                         d.options.config.broker_id.value, d.options.coord.session_timeout.count());
  d.stopping = true;
  // First silence the session, as a dead process stops heartbeating at once.
  d.options.coord.ensemble->suspend_heartbeats_for_test(d.store->session_id());
  if (d.collector) {
    d.collector->stop();
  }
  d.controller->halt_for_test();
  d.refresher->stop();
  d.fetchers->stop();
  d.config_applier->stop();
  d.mirrors->stop();
  asio::post(d.io, [&d] { d.server->stop(); });
  return true;
}

void Broker::stop() {
  auto& d = *impl_;
  if (d.stopped) {
    return;
  }
  d.stopped = true;
  d.stopping = true;
  if (d.collector) {
    d.collector->stop();  // before any part it samples goes away
  }
  if (d.started && !d.crashed && d.controller && d.options.config.controlled_shutdown_enable) {
    ControlledShutdownOptions cso;
    cso.self = d.options.config.broker_id;
    cso.max_retries = d.options.config.controlled_shutdown_max_retries;
    cso.retry_backoff = d.options.config.controlled_shutdown_retry_backoff;
    ShutdownCall local = [&d](BrokerId self) {
      return d.controller->controlled_shutdown_partitions(self, std::chrono::seconds(10));
    };
    (void)run_controlled_shutdown(d.io, *d.store, d.metadata, local, cso);
  }
  if (d.controller) {
    d.controller->stop();
  }
  if (d.refresher) {
    d.refresher->stop();
  }
  if (d.mirrors) {
    d.mirrors->unregister_for(*d.replicas);
    d.mirrors->stop();
  }
  if (d.fetchers) {
    d.fetchers->stop();
  }
  if (d.config_applier) {
    d.config_applier->stop();
  }
  if (d.server) {
    asio::post(d.io, [&d] { d.server->stop(); });
  }
  if (d.groups && !d.threads.empty()) {
    asio::co_spawn(d.io, d.groups->stop(), asio::use_future).wait();  // answers parked joins
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
