#include "tests/tools/fault_proxy/route.h"

#include <algorithm>
#include <exception>

#include "common/log.h"
#include "tests/tools/fault_proxy/connection.h"

namespace meridian::fault_proxy {
namespace {

constexpr size_t kMaxPiece = 64 * 1024;
constexpr double kBurstSeconds = 0.05;
constexpr double kPiecesPerSecond = 100;

void abort_socket(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(tcp::socket::linger(true, 0), ignored);
  socket.close(ignored);
}

}  // namespace

size_t TokenBucket::piece(size_t remaining, uint64_t rate) {
  if (rate == 0) {
    return std::min(remaining, kMaxPiece);
  }
  // 100 writes a second: 1000 B/s goes out 10 bytes at a time, not one burst of 64 KiB.
  const auto paced =
      static_cast<size_t>(std::max(1.0, static_cast<double>(rate) / kPiecesPerSecond));
  return std::min({remaining, kMaxPiece, paced});
}

Clock::duration TokenBucket::take(size_t bytes, uint64_t rate, Clock::time_point now) {
  if (rate == 0) {
    return Clock::duration::zero();
  }
  const double burst =
      std::max(static_cast<double>(rate) * kBurstSeconds, static_cast<double>(bytes));
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst, tokens_ + std::max(0.0, elapsed) * static_cast<double>(rate));
  last_ = now;
  if (tokens_ >= static_cast<double>(bytes)) {
    tokens_ -= static_cast<double>(bytes);
    return Clock::duration::zero();
  }
  const double missing = static_cast<double>(bytes) - tokens_;
  return std::chrono::duration_cast<Clock::duration>(
             std::chrono::duration<double>(missing / static_cast<double>(rate))) +
         std::chrono::microseconds(1);
}

Route::Route(asio::io_context& io, size_t index, tcp::endpoint target, FaultSettings settings,
             std::mt19937_64& rng, size_t buffer_bytes)
    : acceptor_(io),
      index_(index),
      target_(std::move(target)),
      settings_(settings),
      rng_(rng),
      buffer_bytes_(std::max<size_t>(buffer_bytes, 1)) {}

boost::system::error_code Route::listen(const tcp::endpoint& endpoint) {
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

void Route::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), [this](std::exception_ptr error) {
    if (error) {
      logger("fault-proxy")->error("route {}: accept loop failed", index_);
    }
  });
}

asio::awaitable<void> Route::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
      co_return;
    }
    if (ec) {  // e.g. EMFILE: back off instead of spinning
      logger("fault-proxy")->warn("route {}: accept: {}", index_, ec.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    stats_.accepted++;
    if (state_ == LinkState::kCut) {  // listening on keeps the port ours until heal
      stats_.refused++;
      stats_.resets++;
      abort_socket(socket);
      continue;
    }
    asio::co_spawn(acceptor_.get_executor(), serve_connection(*this, std::move(socket)),
                   [index = index_](std::exception_ptr error) {
                     if (error) {
                       logger("fault-proxy")->error("route {}: connection failed", index);
                     }
                   });
  }
}

void Route::cut() {
  state_ = LinkState::kCut;
  // reset() only closes sockets and cancels timers; connections detach later, from their frames.
  size_t reset = 0;
  for (Connection* connection : connections_) {
    reset += connection->reset() ? 1 : 0;
  }
  stats_.resets += reset;
  logger("fault-proxy")->info("route {}: cut ({} connections reset)", index_, reset);
}

void Route::blackhole() {
  state_ = LinkState::kBlackhole;
  logger("fault-proxy")->info("route {}: blackhole", index_);
}

void Route::heal() {
  state_ = LinkState::kOpen;
  logger("fault-proxy")->info("route {}: healed", index_);
}

void Route::reset_stats() {
  // Gauges describe the present and survive; counters restart from zero.
  const RouteStats old = stats_;
  stats_ = RouteStats{};
  stats_.open = old.open;
  stats_.buffered = old.buffered;
}

Clock::time_point Route::release_time(Clock::time_point previous) {
  auto jitter = std::chrono::microseconds(0);
  if (settings_.jitter.count() > 0) {
    const int64_t max_us = std::chrono::microseconds(settings_.jitter).count();
    jitter = std::chrono::microseconds(std::uniform_int_distribution<int64_t>(0, max_us)(rng_));
  }
  return std::max(previous, Clock::now() + settings_.delay + jitter);
}

bool Route::roll_drop() {
  const double p = settings_.drop_probability;
  return p > 0 && (p >= 1 || std::uniform_real_distribution<double>(0, 1)(rng_) < p);
}

Clock::duration Route::take_tokens(Way way, size_t bytes) {
  return buckets_[static_cast<size_t>(way)].take(bytes, settings_.bandwidth_bytes_per_sec,
                                                 Clock::now());
}

void Route::attach(Connection* connection) {
  connections_.insert(connection);
  stats_.open++;
}

void Route::detach(Connection* connection) {
  connections_.erase(connection);
  stats_.open--;
}

const char* to_string(LinkState state) {
  switch (state) {
    case LinkState::kOpen:
      return "open";
    case LinkState::kCut:
      return "cut";
    case LinkState::kBlackhole:
      return "blackhole";
  }
  return "unknown";
}

}  // namespace meridian::fault_proxy
