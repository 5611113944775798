#include "cli/server_commands.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "cli/dev_control.h"
#include "cli/mirror_command.h"
#include "cluster/broker/broker.h"
#include "cluster/broker/metadata_cache.h"
#include "cluster/coord/embedded_ensemble.h"
#include "common/admin/admin_runtime.h"
#include "common/admin/metrics.h"
#include "common/config.h"
#include "common/log.h"
#include "gateway/cluster_services.h"
#include "gateway/gateway_app.h"
#include "gateway/server.h"
#include "mirror/link_metrics.h"

namespace meridian::cli {
namespace {

namespace fs = std::filesystem;

// `meridian broker`'s exit status after its coordination session expired (EX_TEMPFAIL).
constexpr int kSessionExpiredExit = 75;

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
  std::unique_ptr<gateway::GatewayApp> server;  // the whole gateway (port, shutdown_input, stop)
};

std::optional<DevGateway> start_gateway(const DevCommandOptions& options, uint16_t kafka_port) {
  DevGateway gw;
  gateway::GatewayAppOptions go;
  go.bootstrap_servers = options.host + ":" + std::to_string(kafka_port);
  go.server.host = options.host;
  go.server.port = static_cast<uint16_t>(options.gateway_port);
  // HTTP metrics go to the process registry, so dev's admin port serves them next to the
  // brokers' families, with the same `datacenter` label.
  go.metric_labels = {{"datacenter", options.datacenter}};
  auto started = gateway::GatewayApp::start(std::move(go));
  if (!started) {
    std::cerr << "meridian: gateway failed to start on " << options.host << ":"
              << options.gateway_port << ": " << started.error().message() << "\n";
    return std::nullopt;
  }
  gw.server = std::move(*started);
  return gw;
}

// The admin port (/metrics, /livez, /readyz): ready once every broker is serving and a
// controller is known; 503 from begin_shutdown() on (CONVENTIONS.md §4).
admin::CheckResult brokers_ready(const std::vector<const broker::Broker*>& brokers) {
  for (const broker::Broker* b : brokers) {
    if (b->crashed()) {
      return admin::CheckResult{false, "broker " + std::to_string(b->id().value) + " crashed"};
    }
    if (b->port() == 0 || !b->metadata() || b->metadata()->controller_id.value < 0) {
      return admin::CheckResult{false, "broker " + std::to_string(b->id().value) +
                                           " has not joined a cluster with a controller"};
    }
  }
  return admin::CheckResult{true, std::to_string(brokers.size()) + " broker(s) serving"};
}

std::unique_ptr<admin::AdminRuntime> start_admin(admin::AdminServerOptions options,
                                                 admin::ReadinessCheck brokers_check) {
  auto rt = std::make_unique<admin::AdminRuntime>(options);
  rt->server().add_readiness_check("brokers", std::move(brokers_check));
  if (auto port = rt->start(); !port) {
    std::cerr << "meridian: admin port " << options.address << ":" << options.port
              << " failed: " << port.error().message() << "\n";
    return nullptr;
  }
  return rt;
}

// Announcing the bootstrap address before every broker sees the whole cluster and its
// controller makes the first clients see a partial cluster: librdkafka's admin client then waits
// for a controller without asking again and times out. Bounded: a slow start still proceeds.
void wait_for_cluster(const std::vector<std::unique_ptr<broker::Broker>>& brokers) {
  auto complete = [&] {
    for (const auto& b : brokers) {
      auto m = b->metadata();
      if (!m || m->controller_id.value < 0 || m->brokers.size() < brokers.size()) {
        return false;
      }
    }
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!complete() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The brokers of `meridian dev`; the control port may replace one (crash, restart) while the
// admin port's readiness check reads them, hence the mutex (never held by that check for long:
// it only try-locks).
struct DevBrokers {
  std::mutex mu;
  std::vector<std::unique_ptr<broker::Broker>> list;
  std::vector<broker::BrokerOptions> options;  // as started, with the port first bound
};

std::string json_reply(int id, const std::string& state) {
  return "{\"broker\":" + std::to_string(id) + ",\"state\":\"" + state + "\"}";
}

// POST /v1/dev/brokers/{id}/crash|restart (cli/dev_control.h).
DevControlReply handle_dev_control(DevBrokers& dev, const std::string& method,
                                   const std::string& target) {
  constexpr std::string_view kPrefix = "/v1/dev/brokers/";
  if (!target.starts_with(kPrefix)) {
    return {404, R"({"error":"not found"})"};
  }
  std::string rest = target.substr(kPrefix.size());
  auto slash = rest.find('/');
  int id = slash == std::string::npos ? 0 : std::atoi(rest.substr(0, slash).c_str());
  std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (id < 1 || (action != "crash" && action != "restart")) {
    return {404, R"({"error":"not found"})"};
  }
  if (method != "POST") {
    return {405, R"({"error":"use POST"})"};
  }
  std::lock_guard lock(dev.mu);
  if (static_cast<size_t>(id) > dev.list.size()) {
    return {404, R"({"error":"no such broker"})"};
  }
  auto& slot = dev.list[static_cast<size_t>(id - 1)];
  if (action == "crash") {
    if (!slot->crash_for_test()) {
      return {409, R"({"error":"broker is not serving"})"};
    }
    return {200, json_reply(id, "crashed")};
  }
  if (!slot->crashed()) {
    return {409, R"({"error":"crash the broker first"})"};
  }
  slot.reset();  // closes its logs and ends its session if it has not expired yet
  slot = std::make_unique<broker::Broker>(dev.options[static_cast<size_t>(id - 1)]);
  if (auto started = slot->start(); !started) {
    logger("broker")->error("broker {}: restart failed: {}", id, started.error().message());
    slot->crash_for_test();
    return {500, R"({"error":")" + started.error().message() + "\"}"};
  }
  return {200, json_reply(id, "serving")};
}

// zookeeper.session.timeout.ms given with --set applies to the embedded sessions too.
std::chrono::milliseconds dev_session_timeout(const DevCommandOptions& options,
                                              const broker::BrokerConfig& config) {
  for (const auto& o : options.overrides) {
    if (o.starts_with("zookeeper.session.timeout.ms=")) {
      return config.zookeeper_session_timeout;
    }
  }
  return std::chrono::milliseconds(6000);
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
  opts.metrics = true;
  opts.metric_labels = {{"broker", std::to_string(config->broker_id.value)}};
  // Ends the sigwait below like a SIGTERM; the exit code then tells the supervisor to restart.
  std::atomic<bool> session_expired{false};
  opts.on_session_expired = [&session_expired] {
    session_expired = true;
    ::kill(::getpid(), SIGTERM);
  };
  auto admin_options = admin::parse_admin_listener(config->admin_listener);
  if (!admin_options) {
    std::cerr << "meridian: configuration error: admin.listener '" << config->admin_listener
              << "' is not host:port\n";
    return 2;
  }
  broker::Broker b(opts);
  if (auto started = b.start(); !started) {
    std::cerr << "meridian: broker " << config->broker_id.value
              << " failed to start: " << started.error().message() << "\n";
    return 1;
  }
  auto admin_port = start_admin(*admin_options, [&b] { return brokers_ready({&b}); });
  if (!admin_port) {
    b.stop();
    return 1;
  }
  int sig = wait_for_termination();
  if (session_expired) {
    logger("broker")->error("the coordination session expired: exiting with status {} so the "
                            "supervisor restarts this broker with a new session",
                            kSessionExpiredExit);
  } else {
    logger("broker")->info("signal {}: shutting down", sig);
  }
  admin_port->server().begin_shutdown();
  b.stop();
  admin_port->stop();
  return session_expired ? kSessionExpiredExit : 0;
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
  if (options.admin_port < 0 || options.admin_port > 65535) {
    std::cerr << "meridian: --admin-port must be between 0 and 65535\n";
    return 2;
  }
  fs::path data = options.data_dir ? fs::path(*options.data_dir)
                                   : fs::temp_directory_path() /
                                         ("meridian-dev-" + std::to_string(::getpid()));
  block_termination_signals();
  // With --data-dir the embedded store is journaled there too: topics survive a restart.
  auto ensemble = options.data_dir ? coord::EmbeddedEnsemble::open(data / "coord")
                                   : Result<std::shared_ptr<coord::EmbeddedEnsemble>>(
                                         coord::EmbeddedEnsemble::create());
  if (!ensemble) {
    std::cerr << "meridian: cannot open " << (data / "coord").string() << ": "
              << ensemble.error().message() << "\n";
    return 1;
  }
  DevBrokers dev;
  auto& brokers = dev.list;
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
    opts.coord.ensemble = *ensemble;
    opts.coord.session_timeout = dev_session_timeout(options, *config);
    opts.metrics = true;
    opts.metric_labels = {{"datacenter", options.datacenter}, {"broker", std::to_string(i)}};
    brokers.push_back(std::make_unique<broker::Broker>(opts));
    if (auto started = brokers.back()->start(); !started) {
      std::cerr << "meridian: broker " << i << " failed to start on " << options.host << ":"
                << port << ": " << started.error().message() << "\n";
      return 1;
    }
    // A restart (control port) binds the same port again: clients and replicas know it.
    opts.config.listeners = {"PLAINTEXT://" + options.host + ":" +
                             std::to_string(brokers.back()->port())};
    dev.options.push_back(std::move(opts));
  }
  wait_for_cluster(brokers);
  // Without a gateway the brokers still serve: a busy --gateway-port must not fail callers
  // that only speak Kafka (it is reported on stderr).
  auto gw = start_gateway(options, brokers.front()->port());
  std::cout << "meridian dev: " << options.brokers << " broker(s), bootstrap " << options.host
            << ":" << brokers.front()->port() << ", data in " << data.string();
  if (gw) {
    std::cout << ", gateway http://" << options.host << ":" << gw->server->port();
  }
  // Like the gateway, a busy admin port is reported but does not stop the brokers.
  auto admin_port = start_admin(
      {.address = options.host, .port = static_cast<uint16_t>(options.admin_port)}, [&dev] {
        std::unique_lock lock(dev.mu, std::try_to_lock);
        if (!lock.owns_lock()) {
          return admin::CheckResult{false, "a broker is restarting"};
        }
        std::vector<const broker::Broker*> views;
        for (const auto& b : dev.list) {
          views.push_back(b.get());
        }
        return brokers_ready(views);
      });
  if (admin_port) {
    std::cout << ", admin http://" << options.host << ":" << admin_port->server().port();
  }
  std::unique_ptr<DevControl> control;
  if (options.control_port >= 0) {
    auto started = DevControl::start(
        options.host, static_cast<uint16_t>(options.control_port),
        [&dev](const std::string& method, const std::string& target) {
          return handle_dev_control(dev, method, target);
        });
    if (!started) {
      std::cerr << "meridian: control port " << options.control_port
                << " failed: " << started.error().message() << "\n";
      return 1;
    }
    control = std::move(*started);
    std::cout << ", control http://" << options.host << ":" << control->port();
  }
  std::unique_ptr<MirrorProcess> mirror;
  if (!options.mirror_from.empty()) {
    mirror::LinkOptions link;
    link.name = options.datacenter;
    link.source_bootstrap = options.mirror_from;
    link.target_bootstrap = options.host + ":" + std::to_string(brokers.front()->port());
    link.target_cluster = options.datacenter;
    link.include = options.mirror_topics;
    link.groups_include = options.mirror_groups;
    // On dev's admin port, next to the brokers' series of this datacenter.
    link.metrics = std::make_shared<mirror::LinkMetrics>(
        link.name, prometheus::Labels{{"datacenter", options.datacenter}});
    mirror = MirrorProcess::start(std::move(link), options.host, options.mirror_admin_port,
                                  std::cerr);
    if (mirror) {
      std::cout << ", mirror from " << options.mirror_from << " admin http://" << options.host
                << ":" << mirror->admin_port();
    }
  }
  std::cout << std::endl;
  int sig = wait_for_termination();
  logger("broker")->info("signal {}: shutting down", sig);
  if (control) {
    control->stop();  // no crash or restart from here on
  }
  if (mirror) {
    mirror->stop();
  }
  if (admin_port) {
    admin_port->server().begin_shutdown();  // readiness 503 while we drain
  }
  if (gw) {
    gw->server->shutdown_input();
    gw->server->stop(std::chrono::milliseconds(2000));
    gw.reset();
  }
  for (auto it = brokers.rbegin(); it != brokers.rend(); ++it) {
    (*it)->stop();
  }
  if (admin_port) {
    admin_port->stop();
  }
  if (!options.data_dir) {
    std::error_code ec;
    fs::remove_all(data, ec);
  }
  return 0;
}

}  // namespace meridian::cli
