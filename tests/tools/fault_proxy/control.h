#pragma once
// The control port: one command per line, one reply line per command ("ok ..." or
// "error ..."). Grammar and replies: docs/fault_proxy.md. Parsing is pure and tested without
// sockets; ControlServer applies commands to the routes. Strand: the proxy's single thread.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tests/tools/fault_proxy/route.h"

namespace meridian::fault_proxy {

enum class CommandKind {
  kPing,
  kDelay,
  kBandwidth,
  kDrop,
  kCut,
  kBlackhole,
  kHeal,
  kStats,
  kResetStats
};

struct Command {
  CommandKind kind = CommandKind::kPing;
  std::optional<size_t> route;  // from "route=N"; none: every route
  int64_t delay_ms = 0;
  int64_t jitter_ms = 0;
  uint64_t bandwidth = 0;
  double probability = 0;
};

// Parses one line (no newline). On failure returns the reason, without the "error " prefix.
std::variant<Command, std::string> parse_command(std::string_view line);

// Value parsers shared with the command line.
std::optional<uint64_t> parse_uint(std::string_view text);
std::optional<double> parse_probability(std::string_view text);
std::optional<tcp::endpoint> parse_endpoint(std::string_view text);  // "127.0.0.1:9092", "[::1]:0"

class ControlServer {
 public:
  // `routes` must outlive the server.
  ControlServer(asio::io_context& io, std::vector<std::unique_ptr<Route>>& routes);

  boost::system::error_code listen(const tcp::endpoint& endpoint);
  void start();  // spawns the accept loop; call after listen()
  uint16_t port() const { return port_; }

  // Runs one command line and returns the reply line (without newline).
  std::string handle_line(std::string_view line);

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(tcp::socket socket);
  std::string apply(const Command& command, const std::vector<Route*>& targets);

  tcp::acceptor acceptor_;
  std::vector<std::unique_ptr<Route>>& routes_;
  uint16_t port_ = 0;
};

}  // namespace meridian::fault_proxy
