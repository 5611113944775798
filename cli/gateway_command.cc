#include "cli/gateway_command.h"

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "common/config.h"
#include "gateway/gateway_app.h"
#include "gateway/gateway_config.h"

namespace meridian::cli {

namespace {

struct GatewayCommandOptions {
  std::string config_file;
  std::vector<std::string> overrides;
};

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
  auto app = gateway::GatewayApp::start(go);
  if (!app) {
    std::cerr << "meridian gateway: cannot listen on " << go.server.host << ":" << go.server.port
              << ": " << app.error().message() << "\n";
    return 1;
  }
  std::cout << "meridian gateway: http://" << go.server.host << ":" << (*app)->port()
            << " -> " << go.bootstrap_servers << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  std::cout << "meridian gateway: signal " << sig << ", draining" << std::endl;
  (*app)->shutdown_input();
  (*app)->stop(cfg.shutdown_drain);
  return 0;
}

}  // namespace

void register_gateway_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("gateway", "Run the REST gateway (Confluent REST Proxy API)");
  auto opts = std::make_shared<GatewayCommandOptions>();
  cmd->add_option("-c,--config", opts->config_file, "YAML configuration file");
  cmd->add_option("--set", opts->overrides, "Override a key: key=value (repeatable)");
  cmd->callback([opts, &exit_code] { exit_code = run_gateway(*opts); });
}

}  // namespace meridian::cli
