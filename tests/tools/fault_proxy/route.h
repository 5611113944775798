#pragma once
// Route: one listener of the fault proxy, the target it forwards to, its fault settings, its
// counters and its live connections. Strand: the proxy runs one io_context on one thread, so
// every member is touched by one thread only and needs no lock.

#include <boost/asio.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <unordered_set>

namespace meridian::fault_proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

enum class LinkState { kOpen, kCut, kBlackhole };

// Direction of a byte stream: client (the listener side) to target, or back.
enum class Way { kToTarget = 0, kToClient = 1 };

struct FaultSettings {
  std::chrono::milliseconds delay{0};
  std::chrono::milliseconds jitter{0};
  uint64_t bandwidth_bytes_per_sec = 0;  // 0 = unlimited
  double drop_probability = 0.0;         // chance per chunk read of resetting the connection
};

struct RouteStats {
  uint64_t bytes[2] = {0, 0};  // delivered, indexed by Way
  uint64_t accepted = 0;       // connections accepted, including refused ones
  uint64_t open = 0;           // connections alive now
  uint64_t resets = 0;         // connections the proxy reset (drop, cut, refused while cut)
  uint64_t refused = 0;        // accepted while cut and reset at once
  uint64_t buffered = 0;       // bytes held in connection queues now
};

// Token bucket shared by every connection of a route in one direction. It may not go below
// zero, so the long-run rate never exceeds `rate` and a burst never exceeds 50 ms worth.
class TokenBucket {
 public:
  // Bytes to send in one write so that pacing stays smooth at low rates.
  static size_t piece(size_t remaining, uint64_t rate);
  // Zero if `bytes` may be sent now (they are taken), else how long to wait before asking again.
  Clock::duration take(size_t bytes, uint64_t rate, Clock::time_point now);

 private:
  double tokens_ = 0;
  Clock::time_point last_{};
};

class Connection;

class Route {
 public:
  // `rng` must outlive the route; it is shared by all routes of the process.
  Route(asio::io_context& io, size_t index, tcp::endpoint target, FaultSettings settings,
        std::mt19937_64& rng, size_t buffer_bytes);
  Route(const Route&) = delete;
  Route& operator=(const Route&) = delete;

  boost::system::error_code listen(const tcp::endpoint& endpoint);
  void start();  // spawns the accept loop; call after listen()
  uint16_t port() const { return port_; }
  size_t index() const { return index_; }
  const tcp::endpoint& target() const { return target_; }
  size_t buffer_bytes() const { return buffer_bytes_; }

  FaultSettings& settings() { return settings_; }
  LinkState state() const { return state_; }
  void cut();        // resets every connection; new ones are reset on accept until heal()
  void blackhole();  // connections stay open but nothing is delivered until heal()
  void heal();

  RouteStats& stats() { return stats_; }
  void reset_stats();

  // Used by connections (same thread).
  Clock::time_point release_time(Clock::time_point previous);
  bool roll_drop();
  Clock::duration take_tokens(Way way, size_t bytes);
  void attach(Connection* connection);
  void detach(Connection* connection);

 private:
  asio::awaitable<void> accept_loop();

  tcp::acceptor acceptor_;
  size_t index_;
  tcp::endpoint target_;
  FaultSettings settings_;
  std::mt19937_64& rng_;
  size_t buffer_bytes_;
  uint16_t port_ = 0;
  LinkState state_ = LinkState::kOpen;
  RouteStats stats_;
  TokenBucket buckets_[2];
  std::unordered_set<Connection*> connections_;
};

const char* to_string(LinkState state);

}  // namespace meridian::fault_proxy
