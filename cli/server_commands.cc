#include "cli/server_commands.h"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cluster/broker/broker.h"
#include "cluster/coord/embedded_ensemble.h"
#include "common/config.h"
#include "common/log.h"
#include "gateway/cluster_services.h"
#include "gateway/server.h"

namespace meridian::cli {
namespace {

namespace fs = std::filesystem;

// Blocks until SIGINT or SIGTERM (sigwait on a masked set: no async-signal-safety puzzles).
int wait_for_termination() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

void block_termination_signals() {
  // Masked before any thread starts, so every thread inherits the mask and sigwait sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::optional<broker::BrokerConfig> load(const std::optional<std::string>& file,
                                         const std::vector<std::string>& overrides,
                                         const std::vector<std::pair<std::string, std::string>>& fixed) {
  try {
    config::LoadOptions load;
    load.file = file;
    for (const auto& o : overrides) {
      load.overrides.push_back(config::parse_assignment(o));
    }
    for (const auto& f : fixed) {
      load.overrides.push_back(f);
    }
    return broker::load_broker_config(load);
  } catch (const config::ConfigError& e) {
    std::cerr << "meridian: configuration error: " << e.what() << "\n";
    return std::nullopt;
  }
}

// The REST proxy of `meridian dev`: produce routes over a cluster client of the dev brokers.
struct DevGateway {
  std::unique_ptr<gateway::ClusterProduceService> produce;
  std::unique_ptr<gateway::Server> server;
};

std::optional<DevGateway> start_gateway(const DevCommandOptions& options, uint16_t kafka_port) {
  DevGateway gw;
  gateway::ClusterServiceOptions cso;
  cso.bootstrap_servers = options.host + ":" + std::to_string(kafka_port);
  gw.produce = std::make_unique<gateway::ClusterProduceService>(cso);
  gateway::Router router;
  gateway::add_produce_routes(router, *gw.produce);
  gateway::ServerOptions so;
  so.host = options.host;
  so.port = static_cast<uint16_t>(options.gateway_port);
  gw.server = std::make_unique<gateway::Server>(so, std::move(router),
                                                [] { return gateway::Readiness{true, ""}; });
  if (auto started = gw.server->start(); !started) {
    std::cerr << "meridian: gateway failed to start on " << options.host << ":"
              << options.gateway_port << ": " << started.error().message() << "\n";
    return std::nullopt;
  }
  return gw;
}

}  // namespace

int run_broker(const BrokerCommandOptions& options) {
  auto config = load(options.config_file, options.overrides, {});
  if (!config) {
    return 2;
  }
  if (config->zookeeper_connect.empty()) {
    std::cerr << "meridian: configuration error: zookeeper.connect is required for "
                 "`meridian broker` (use `meridian dev` for a single-process cluster)\n";
    return 2;
  }
  block_termination_signals();
  broker::BrokerOptions opts;
  opts.config = *config;
  opts.coord.backend = "zookeeper";
  opts.coord.connect = config->zookeeper_connect;
  opts.coord.session_timeout = config->zookeeper_session_timeout;
  opts.io_threads = 2;
  broker::Broker b(opts);
  if (auto started = b.start(); !started) {
    std::cerr << "meridian: broker " << config->broker_id.value
              << " failed to start: " << started.error().message() << "\n";
    return 1;
  }
  int sig = wait_for_termination();
  logger("broker")->info("signal {}: shutting down", sig);
  b.stop();
  return 0;
}

int run_dev(const DevCommandOptions& options) {
  if (options.brokers < 1 || options.brokers > 16) {
    std::cerr << "meridian: --brokers must be between 1 and 16\n";
    return 2;
  }
  if (options.gateway_port < 0 || options.gateway_port > 65535) {
    std::cerr << "meridian: --gateway-port must be between 0 and 65535\n";
    return 2;
  }
  fs::path data = options.data_dir ? fs::path(*options.data_dir)
                                   : fs::temp_directory_path() /
                                         ("meridian-dev-" + std::to_string(::getpid()));
  block_termination_signals();
  auto ensemble = coord::EmbeddedEnsemble::create();
  std::vector<std::unique_ptr<broker::Broker>> brokers;
  for (int i = 1; i <= options.brokers; ++i) {
    int port = i == 1 ? options.port : 0;
    auto config = load(std::nullopt, options.overrides,
                       {{"broker.id", std::to_string(i)},
                        {"listeners", "PLAINTEXT://" + options.host + ":" + std::to_string(port)},
                        {"log.dirs", (data / ("broker-" + std::to_string(i))).string()}});
    if (!config) {
      return 2;
    }
    broker::BrokerOptions opts;
    opts.config = *config;
    opts.coord.backend = "embedded";
    opts.coord.ensemble = ensemble;
    opts.coord.session_timeout = std::chrono::milliseconds(6000);
    brokers.push_back(std::make_unique<broker::Broker>(opts));
    if (auto started = brokers.back()->start(); !started) {
      std::cerr << "meridian: broker " << i << " failed to start on " << options.host << ":"
                << port << ": " << started.error().message() << "\n";
      return 1;
    }
  }
  // Without a gateway the brokers still serve: a busy --gateway-port must not fail callers
  // that only speak Kafka (it is reported on stderr).
  auto gw = start_gateway(options, brokers.front()->port());
  std::cout << "meridian dev: " << options.brokers << " broker(s), bootstrap " << options.host
            << ":" << brokers.front()->port() << ", data in " << data.string();
  if (gw) {
    std::cout << ", gateway http://" << options.host << ":" << gw->server->port();
  }
  std::cout << std::endl;
  int sig = wait_for_termination();
  logger("broker")->info("signal {}: shutting down", sig);
  if (gw) {
    gw->server->shutdown_input();
    gw->server->stop(std::chrono::milliseconds(2000));
    gw.reset();
  }
  for (auto it = brokers.rbegin(); it != brokers.rend(); ++it) {
    (*it)->stop();
  }
  if (!options.data_dir) {
    std::error_code ec;
    fs::remove_all(data, ec);
  }
  return 0;
}

}  // namespace meridian::cli
