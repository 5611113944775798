#include "tests/tools/fault_proxy/control.h"

#include <charconv>
#include <cmath>
#include <exception>
#include <sstream>

#include "common/log.h"

namespace meridian::fault_proxy {
namespace {

constexpr size_t kMaxLineBytes = 1024;
constexpr uint64_t kMaxDelayMs = 600'000;  // ten minutes: anything longer is a typo

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t start = line.find_first_not_of(" \t\r", pos);
    if (start == std::string_view::npos) {
      break;
    }
    const size_t end = std::min(line.find_first_of(" \t\r", start), line.size());
    words.push_back(line.substr(start, end - start));
    pos = end;
  }
  return words;
}

struct Syntax {
  std::string_view name;
  CommandKind kind;
  size_t min_args;
  size_t max_args;
};

constexpr Syntax kSyntax[] = {
    {"ping", CommandKind::kPing, 0, 0},
    {"delay", CommandKind::kDelay, 1, 2},
    {"bandwidth", CommandKind::kBandwidth, 1, 1},
    {"drop", CommandKind::kDrop, 1, 1},
    {"cut", CommandKind::kCut, 0, 0},
    {"blackhole", CommandKind::kBlackhole, 0, 0},
    {"heal", CommandKind::kHeal, 0, 0},
    {"stats", CommandKind::kStats, 0, 0},
    {"reset-stats", CommandKind::kResetStats, 0, 0},
};

// Fills the command's own arguments (the words after the name, "route=" removed).
std::optional<std::string> parse_args(Command& command, const std::vector<std::string_view>& args) {
  switch (command.kind) {
    case CommandKind::kDelay: {
      auto delay = parse_uint(args[0]);
      auto jitter = args.size() > 1 ? parse_uint(args[1]) : std::optional<uint64_t>(0);
      if (!delay || !jitter || *delay > kMaxDelayMs || *jitter > kMaxDelayMs) {
        return "delay and jitter must be integers from 0 to 600000 (ms)";
      }
      command.delay_ms = static_cast<int64_t>(*delay);
      command.jitter_ms = static_cast<int64_t>(*jitter);
      return std::nullopt;
    }
    case CommandKind::kBandwidth: {
      auto rate = parse_uint(args[0]);
      if (!rate) {
        return "bandwidth must be a non-negative integer (bytes per second, 0 = unlimited)";
      }
      command.bandwidth = *rate;
      return std::nullopt;
    }
    case CommandKind::kDrop: {
      auto p = parse_probability(args[0]);
      if (!p) {
        return "drop probability must be a number from 0 to 1";
      }
      command.probability = *p;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::string routes_label(const std::optional<size_t>& route) {
  return route ? std::to_string(*route) : "all";
}

// Counters summed over `routes`; a single route also shows its state and settings.
void render_stats(std::ostringstream& out, const std::vector<Route*>& routes, bool single) {
  RouteStats sum;
  for (Route* route : routes) {
    const RouteStats& s = route->stats();
    sum.bytes[0] += s.bytes[0];
    sum.bytes[1] += s.bytes[1];
    sum.accepted += s.accepted;
    sum.open += s.open;
    sum.resets += s.resets;
    sum.refused += s.refused;
    sum.buffered += s.buffered;
  }
  out << " to_target_bytes=" << sum.bytes[0] << " to_client_bytes=" << sum.bytes[1]
      << " accepted=" << sum.accepted << " open=" << sum.open << " resets=" << sum.resets
      << " refused=" << sum.refused << " buffered=" << sum.buffered;
  if (single) {
    const FaultSettings& f = routes[0]->settings();
    out << " state=" << to_string(routes[0]->state()) << " delay_ms=" << f.delay.count()
        << " jitter_ms=" << f.jitter.count()
        << " bandwidth_bytes_per_sec=" << f.bandwidth_bytes_per_sec
        << " drop_probability=" << f.drop_probability;
  }
}

}  // namespace

std::optional<uint64_t> parse_uint(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> parse_probability(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value) || value < 0 || value > 1) {
    return std::nullopt;
  }
  return value;
}

std::optional<tcp::endpoint> parse_endpoint(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  std::string host(text.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  auto port = parse_uint(text.substr(colon + 1));
  if (ec || !port || *port > 65535) {
    return std::nullopt;
  }
  return tcp::endpoint(address, static_cast<uint16_t>(*port));
}

std::variant<Command, std::string> parse_command(std::string_view line) {
  auto words = split_words(line);
  if (words.empty()) {
    return std::string("empty command");
  }
  Command command;
  std::vector<std::string_view> args;
  for (size_t i = 1; i < words.size(); ++i) {
    if (words[i].starts_with("route=")) {
      auto index = parse_uint(words[i].substr(6));
      if (!index || command.route) {
        return std::string("bad route argument '") + std::string(words[i]) + "'";
      }
      command.route = static_cast<size_t>(*index);
    } else {
      args.push_back(words[i]);
    }
  }
  for (const Syntax& syntax : kSyntax) {
    if (syntax.name != words[0]) {
      continue;
    }
    // One integer more than the command takes is the route: "cut 1", "delay 50 0 1".
    if (args.size() == syntax.max_args + 1 && !command.route) {
      if (auto index = parse_uint(args.back())) {
        command.route = static_cast<size_t>(*index);
        args.pop_back();
      }
    }
    if (args.size() < syntax.min_args || args.size() > syntax.max_args) {
      return "wrong number of arguments for '" + std::string(syntax.name) + "'";
    }
    command.kind = syntax.kind;
    if (auto problem = parse_args(command, args)) {
      return *problem;
    }
    return command;
  }
  return "unknown command '" + std::string(words[0].substr(0, 64)) + "'";
}

ControlServer::ControlServer(asio::io_context& io, std::vector<std::unique_ptr<Route>>& routes)
    : acceptor_(io), routes_(routes) {}

boost::system::error_code ControlServer::listen(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (!ec) {
    port_ = acceptor_.local_endpoint(ec).port();
  }
  return ec;
}

void ControlServer::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), [](std::exception_ptr error) {
    if (error) {
      logger("fault-proxy")->error("control accept loop failed");
    }
  });
}

asio::awaitable<void> ControlServer::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
      co_return;
    }
    if (ec) {
      logger("fault-proxy")->warn("control accept: {}", ec.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    asio::co_spawn(acceptor_.get_executor(), session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> ControlServer::session(tcp::socket socket) {
  std::string buffer;
  for (;;) {
    auto [ec, n] =
        co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, kMaxLineBytes), '\n',
                                        asio::as_tuple(asio::use_awaitable));
    std::string reply;
    if (ec == asio::error::not_found) {  // no newline within kMaxLineBytes
      reply = "error line too long\n";
    } else if (ec) {
      co_return;
    } else {
      reply = handle_line(std::string_view(buffer).substr(0, n - 1)) + "\n";
      buffer.erase(0, n);
    }
    auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(reply),
                                                          asio::as_tuple(asio::use_awaitable));
    if (write_ec || ec) {
      co_return;
    }
  }
}

std::string ControlServer::handle_line(std::string_view line) {
  auto parsed = parse_command(line);
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    return "error " + *problem;
  }
  const Command& command = std::get<Command>(parsed);
  std::vector<Route*> targets;
  if (command.route) {
    if (*command.route >= routes_.size()) {
      return "error no route " + std::to_string(*command.route) + " (there are " +
             std::to_string(routes_.size()) + ")";
    }
    targets.push_back(routes_[*command.route].get());
  } else {
    for (auto& route : routes_) {
      targets.push_back(route.get());
    }
  }
  logger("fault-proxy")->debug("control: {}", line);
  return apply(command, targets);
}

std::string ControlServer::apply(const Command& command, const std::vector<Route*>& targets) {
  const std::string where = " routes=" + routes_label(command.route);
  std::ostringstream out;
  out << "ok";
  switch (command.kind) {
    case CommandKind::kPing:
      return "ok pong";
    case CommandKind::kDelay:
      for (Route* route : targets) {
        route->settings().delay = std::chrono::milliseconds(command.delay_ms);
        route->settings().jitter = std::chrono::milliseconds(command.jitter_ms);
      }
      out << " delay_ms=" << command.delay_ms << " jitter_ms=" << command.jitter_ms;
      break;
    case CommandKind::kBandwidth:
      for (Route* route : targets) {
        route->settings().bandwidth_bytes_per_sec = command.bandwidth;
      }
      out << " bandwidth_bytes_per_sec=" << command.bandwidth;
      break;
    case CommandKind::kDrop:
      for (Route* route : targets) {
        route->settings().drop_probability = command.probability;
      }
      out << " drop_probability=" << command.probability;
      break;
    case CommandKind::kCut:
    case CommandKind::kBlackhole:
    case CommandKind::kHeal:
      for (Route* route : targets) {
        command.kind == CommandKind::kCut         ? route->cut()
        : command.kind == CommandKind::kBlackhole ? route->blackhole()
                                                  : route->heal();
      }
      out << " state=" << to_string(targets.empty() ? LinkState::kOpen : targets[0]->state());
      break;
    case CommandKind::kStats:
      render_stats(out, targets, command.route.has_value());
      break;
    case CommandKind::kResetStats:
      for (Route* route : targets) {
        route->reset_stats();
      }
      out << " reset-stats";
      break;
  }
  return out.str() + where;
}

}  // namespace meridian::fault_proxy
