#include "cli/gateway_command.h"

#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/admin/admin_runtime.h"
#include "common/config.h"
#include "gateway/gateway_app.h"
#include "gateway/gateway_config.h"

namespace meridian::cli {

namespace {

struct GatewayCommandOptions {
  std::string config_file;
  std::vector<std::string> overrides;
};

// The admin port (/metrics, /livez, /readyz): ready while the gateway is (cluster metadata
// fresh, not draining). Null after printing why when it cannot listen.
std::unique_ptr<admin::AdminRuntime> start_admin(const admin::AdminServerOptions& options,
                                                 const gateway::GatewayApp& app) {
  auto rt = std::make_unique<admin::AdminRuntime>(options);
  rt->server().add_readiness_check("cluster", [&app] {
    gateway::Readiness r = app.readiness();
    return admin::CheckResult{r.ready, r.reason};
  });
  if (auto port = rt->start(); !port) {
    std::cerr << "meridian gateway: cannot serve admin.listener " << options.address << ":"
              << options.port << ": " << port.error().message() << "\n";
    return nullptr;
  }
  return rt;
}

int run_gateway(const GatewayCommandOptions& o) {
  config::LoadOptions lo;
  if (!o.config_file.empty()) {
    lo.file = o.config_file;
  }
  gateway::GatewayConfig cfg;
  try {  // configuration errors are thrown once, at start-up (STYLE.md)
    for (const auto& s : o.overrides) {
      lo.overrides.push_back(config::parse_assignment(s));
    }
    cfg = gateway::load_gateway_config(lo);
  } catch (const config::ConfigError& e) {
    std::cerr << "meridian gateway: configuration error: " << e.what() << "\n";
    return 2;
  }
  if (cfg.bootstrap_servers.empty()) {
    std::cerr << "meridian gateway: configuration error: bootstrap.servers is required\n";
    return 2;
  }
  auto admin_options = admin::parse_admin_listener(cfg.admin_listener);
  if (!admin_options) {
    std::cerr << "meridian gateway: configuration error: admin.listener '" << cfg.admin_listener
              << "' is not host:port\n";
    return 2;
  }
  // Masked before any thread starts so every thread inherits it and sigwait sees the signal.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  gateway::GatewayAppOptions go;
  go.server = cfg.server_options();
  for (size_t i = 0; i < cfg.bootstrap_servers.size(); ++i) {
    go.bootstrap_servers += (i ? "," : "") + cfg.bootstrap_servers[i];
  }
  if (!cfg.advertised_listeners.empty()) {
    go.advertised_base = cfg.advertised_listeners.front();
  }
  go.consumer_instance_timeout = cfg.consumer_instance_timeout;
  go.consumer_request_timeout = cfg.consumer_request_timeout;
  go.consumer_request_max_bytes = cfg.consumer_request_max_bytes;
  go.producer_linger = cfg.producer_linger;
  auto app = gateway::GatewayApp::start(go);
  if (!app) {
    std::cerr << "meridian gateway: cannot listen on " << go.server.host << ":" << go.server.port
              << ": " << app.error().message() << "\n";
    return 1;
  }
  // As in `meridian dev`, a busy admin port is reported (stderr, and no "admin" in the start
  // line) but does not stop the REST listener that clients depend on.
  auto admin_port = start_admin(*admin_options, **app);
  std::cout << "meridian gateway: http://" << go.server.host << ":" << (*app)->port() << " -> "
            << go.bootstrap_servers;
  if (admin_port) {
    std::cout << ", admin http://" << admin_options->address << ":" << admin_port->server().port();
  }
  std::cout << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  std::cout << "meridian gateway: signal " << sig << ", draining" << std::endl;
  if (admin_port) {
    admin_port->server().begin_shutdown();  // /readyz 503 on the admin port from here on
  }
  (*app)->shutdown_input();
  (*app)->stop(cfg.shutdown_drain);
  if (admin_port) {
    admin_port->stop();
  }
  return 0;
}

void add_options(CLI::App& cmd, GatewayCommandOptions& opts) {
  cmd.add_option("-c,--config", opts.config_file, "YAML configuration file");
  cmd.add_option("--set", opts.overrides, "Override a key: key=value (repeatable)");
}

}  // namespace

void register_gateway_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("gateway", "Run the REST gateway (Confluent REST Proxy API)");
  auto opts = std::make_shared<GatewayCommandOptions>();
  add_options(*cmd, *opts);
  // `meridian gateway start --config ...` (CONVENTIONS.md §3, the systemd unit) and the bare
  // `meridian gateway --config ...` both run it: the options of either fill `opts`.
  auto* start = cmd->add_subcommand("start", "Run the REST gateway (same as `meridian gateway`)");
  add_options(*start, *opts);
  cmd->require_subcommand(0, 1);
  cmd->callback([opts, &exit_code] { exit_code = run_gateway(*opts); });
}

}  // namespace meridian::cli
