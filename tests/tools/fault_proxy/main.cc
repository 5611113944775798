// meridian-fault-proxy: a userspace TCP proxy that injects delay, jitter, bandwidth limits,
// connection resets, cuts and blackholes between datacenters (tc netem is not available in the
// test environment). Usage and control protocol: docs/fault_proxy.md.

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/log.h"
#include "tests/tools/fault_proxy/control.h"
#include "tests/tools/fault_proxy/route.h"

namespace {

using namespace meridian::fault_proxy;

constexpr const char* kUsage =
    "usage: meridian-fault-proxy (--listen HOST:PORT --target HOST:PORT | "
    "--route LISTEN=TARGET)...\n"
    "       [--control HOST:PORT] [--delay-ms N] [--jitter-ms N] [--bandwidth-bytes-per-sec N]\n"
    "       [--drop-probability P] [--seed S] [--buffer-bytes N] [--log-level LEVEL]\n"
    "Prints 'listening <route> <port>' per route, then 'control <port>', on stdout.\n";

struct Options {
  std::vector<std::string> listens;  // --route values first, then --listen values
  std::vector<std::string> targets;
  std::vector<std::string> pair_listens;  // --listen/--target pairs, matched by order
  std::vector<std::string> pair_targets;
  std::string control = "127.0.0.1:0";
  FaultSettings settings;
  std::optional<uint64_t> seed;
  uint64_t buffer_bytes = 8 * 1024 * 1024;
  std::string log_level = "info";
};

// Returns the reason the arguments are unusable, or nothing.
std::optional<std::string> parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      return "missing value after " + flag;
    }
    const std::string value = argv[++i];
    const auto number = parse_uint(value);
    if (flag == "--listen") {
      options.pair_listens.push_back(value);
    } else if (flag == "--target") {
      options.pair_targets.push_back(value);
    } else if (flag == "--route" && value.find('=') != std::string::npos) {
      options.listens.push_back(value.substr(0, value.find('=')));
      options.targets.push_back(value.substr(value.find('=') + 1));
    } else if (flag == "--control") {
      options.control = value;
    } else if (flag == "--delay-ms" && number) {
      options.settings.delay = std::chrono::milliseconds(*number);
    } else if (flag == "--jitter-ms" && number) {
      options.settings.jitter = std::chrono::milliseconds(*number);
    } else if (flag == "--bandwidth-bytes-per-sec" && number) {
      options.settings.bandwidth_bytes_per_sec = *number;
    } else if (flag == "--drop-probability" && parse_probability(value)) {
      options.settings.drop_probability = *parse_probability(value);
    } else if (flag == "--seed" && number) {
      options.seed = *number;
    } else if (flag == "--buffer-bytes" && number && *number > 0) {
      options.buffer_bytes = *number;
    } else if (flag == "--log-level") {
      options.log_level = value;
    } else {
      return "bad option or value: " + flag + " " + value;
    }
  }
  options.listens.insert(options.listens.end(), options.pair_listens.begin(),
                         options.pair_listens.end());
  options.targets.insert(options.targets.end(), options.pair_targets.begin(),
                         options.pair_targets.end());
  if (options.listens.empty() || options.pair_listens.size() != options.pair_targets.size()) {
    return "need one or more routes, each with a listen and a target address";
  }
  return std::nullopt;
}

int fail(const std::string& message) {
  std::cerr << "meridian-fault-proxy: " << message << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  Options options;
  if (auto problem = parse_options(argc, argv, options)) {
    return fail(*problem);
  }
  if (!meridian::set_log_level(options.log_level)) {
    return fail("unknown log level " + options.log_level);
  }
  std::signal(SIGPIPE, SIG_IGN);
  const uint64_t seed = options.seed.value_or(std::random_device{}());
  meridian::logger("fault-proxy")->info("seed {}", seed);
  std::mt19937_64 rng(seed);

  asio::io_context io(1);
  std::vector<std::unique_ptr<Route>> routes;
  for (size_t i = 0; i < options.listens.size(); ++i) {
    auto listen = parse_endpoint(options.listens[i]);
    auto target = parse_endpoint(options.targets[i]);
    if (!listen || !target) {
      return fail("bad address in route " + std::to_string(i) + " (want IP:PORT)");
    }
    routes.push_back(
        std::make_unique<Route>(io, i, *target, options.settings, rng, options.buffer_bytes));
    if (auto ec = routes.back()->listen(*listen)) {
      return fail("listen on " + options.listens[i] + ": " + ec.message());
    }
  }
  ControlServer control(io, routes);
  auto control_endpoint = parse_endpoint(options.control);
  if (!control_endpoint) {
    return fail("bad control address " + options.control);
  }
  if (auto ec = control.listen(*control_endpoint)) {
    return fail("control listen on " + options.control + ": " + ec.message());
  }
  // Tests parse these lines to learn the ports; "control" comes last and means ready.
  for (auto& route : routes) {
    std::printf("listening %zu %u\n", route->index(), static_cast<unsigned>(route->port()));
    route->start();
  }
  std::printf("control %u\n", static_cast<unsigned>(control.port()));
  std::fflush(stdout);
  control.start();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  io.run();
  meridian::logger("fault-proxy")->info("stopped");
  return 0;
}
