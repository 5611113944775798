#include "tests/tools/fault_proxy/connection.h"

#include <algorithm>
#include <exception>
#include <memory>

#include "common/log.h"

namespace meridian::fault_proxy {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);
constexpr auto kMaxSleepSlice = std::chrono::milliseconds(50);
constexpr auto kConnectTimeout = std::chrono::seconds(5);
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

Connection::Pump::Pump(tcp::socket& from_socket, tcp::socket& to_socket, Way pump_way)
    : from(from_socket),
      to(to_socket),
      way(pump_way),
      signal(from_socket.get_executor(), Clock::time_point::max()),
      sleep(from_socket.get_executor()) {}

Connection::Connection(Route& route, tcp::socket client)
    : route_(route),
      client_(std::move(client)),
      upstream_(client_.get_executor()),
      to_target_(client_, upstream_, Way::kToTarget),
      to_client_(upstream_, client_, Way::kToClient),
      finished_(client_.get_executor(), Clock::time_point::max()) {
  route_.attach(this);
}

Connection::~Connection() {
  route_.stats().buffered -= to_target_.queued_bytes + to_client_.queued_bytes;
  route_.detach(this);
}

asio::awaitable<void> Connection::run() {
  // Never `if (co_await ...)`: g++ 12 miscompiles a co_await inside a condition (it resumes a
  // finished frame: SIGILL/SIGSEGV), so every awaited result goes through a local first.
  const bool connected = co_await connect_upstream();
  if (!connected) {
    reset();
    co_return;
  }
  // The proxy must not add Nagle delays of its own on top of the configured ones.
  boost::system::error_code ignored;
  client_.set_option(tcp::no_delay(true), ignored);
  upstream_.set_option(tcp::no_delay(true), ignored);

  // Four coroutines joined by a counter: each direction ends on its own (a half-close may come
  // long before the other side's), and the frame must outlive all of them.
  auto on_done = [this](std::exception_ptr error) {
    if (error) {
      logger("fault-proxy")->error("route {}: pump failed", route_.index());
      reset();
    }
    if (--running_ == 0) {
      finished_.cancel();
    }
  };
  const auto executor = client_.get_executor();
  running_ = 4;
  asio::co_spawn(executor, read_loop(to_target_), on_done);
  asio::co_spawn(executor, write_loop(to_target_), on_done);
  asio::co_spawn(executor, read_loop(to_client_), on_done);
  asio::co_spawn(executor, write_loop(to_client_), on_done);
  while (running_ > 0) {
    co_await finished_.async_wait(kUseTuple);
  }
  // Both directions ended (FIN forwarded both ways) or reset() already closed everything.
  client_.close(ignored);
  upstream_.close(ignored);
}

bool Connection::reset() {
  if (closed_) {
    return false;
  }
  closed_ = true;
  for (tcp::socket* socket : {&client_, &upstream_}) {
    boost::system::error_code ignored;
    if (socket->is_open()) {
      socket->set_option(tcp::socket::linger(true, 0), ignored);
      socket->close(ignored);
    }
  }
  for (Pump* pump : {&to_target_, &to_client_}) {
    pump->signal.cancel();
    pump->sleep.cancel();
  }
  return true;
}

asio::awaitable<bool> Connection::connect_upstream() {
  // The kernel already accepted the client; a blackholed route, like a partition that eats
  // SYNs, reaches the target only after heal.
  while (!closed_ && route_.state() == LinkState::kBlackhole) {
    const bool alive = co_await sleep_until(to_target_, Clock::now() + kPollInterval);
    if (!alive) {
      co_return false;
    }
  }
  if (closed_) {
    co_return false;
  }
  // On timeout the deadline closes the socket, which aborts the connect. Its handler may run
  // after the connect finished (even after this connection is gone), hence the shared flag.
  auto connecting = std::make_shared<bool>(true);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer deadline(client_.get_executor(), kConnectTimeout);
  deadline.async_wait([this, connecting, timed_out](boost::system::error_code ec) {
    if (!ec && *connecting) {
      *timed_out = true;
      boost::system::error_code ignored;
      upstream_.close(ignored);
    }
  });
  auto [ec] = co_await upstream_.async_connect(route_.target(), kUseTuple);
  *connecting = false;
  deadline.cancel();
  if (*timed_out && !closed_) {
    logger("fault-proxy")->warn("route {}: connect to target timed out", route_.index());
    co_return false;
  }
  if (ec && !closed_) {
    logger("fault-proxy")->warn("route {}: connect to target: {}", route_.index(), ec.message());
  }
  co_return !ec && !closed_;
}

void Connection::push(Pump& pump, Chunk chunk) {
  pump.queued_bytes += chunk.bytes.size();
  route_.stats().buffered += chunk.bytes.size();
  pump.queue.push_back(std::move(chunk));
  pump.signal.cancel();
}

asio::awaitable<void> Connection::wait_signal(Pump& pump) {
  co_await pump.signal.async_wait(kUseTuple);
}

asio::awaitable<void> Connection::read_loop(Pump& pump) {
  while (!closed_) {
    if (pump.queued_bytes >= route_.buffer_bytes()) {  // backpressure: the destination is slow
      co_await wait_signal(pump);
      continue;
    }
    auto [ec, n] = co_await pump.from.async_read_some(asio::buffer(pump.read_buffer), kUseTuple);
    if (closed_) {
      co_return;
    }
    if (ec == asio::error::eof) {
      pump.last_release = route_.release_time(pump.last_release);
      push(pump, Chunk{{}, pump.last_release, true});
      co_return;
    }
    if (ec) {  // the peer reset or the socket failed: pass the abort on to the other side
      logger("fault-proxy")->debug("route {}: read: {}", route_.index(), ec.message());
      reset();
      co_return;
    }
    if (route_.roll_drop()) {
      route_.stats().resets++;
      logger("fault-proxy")->debug("route {}: drop: resetting connection", route_.index());
      reset();
      co_return;
    }
    // Release times never go backwards, so jitter delays bytes but never reorders them.
    pump.last_release = route_.release_time(pump.last_release);
    push(pump, Chunk{std::vector<char>(pump.read_buffer.data(), pump.read_buffer.data() + n),
                     pump.last_release});
  }
}

asio::awaitable<void> Connection::write_loop(Pump& pump) {
  while (!closed_) {
    if (pump.queue.empty()) {
      co_await wait_signal(pump);
      continue;
    }
    // References to deque elements survive push_back, so the reader may keep appending.
    Chunk& chunk = pump.queue.front();
    const bool released = co_await sleep_until(pump, chunk.release);
    if (!released) {
      co_return;
    }
    const bool passable = co_await hold_while_blackholed(pump);
    if (!passable) {
      co_return;
    }
    if (chunk.eof) {
      boost::system::error_code ignored;
      pump.to.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    const bool delivered = co_await deliver(pump, chunk.bytes);
    if (!delivered) {
      co_return;
    }
    pump.queued_bytes -= chunk.bytes.size();
    route_.stats().buffered -= chunk.bytes.size();
    pump.queue.pop_front();
    pump.signal.cancel();
  }
}

asio::awaitable<bool> Connection::deliver(Pump& pump, const std::vector<char>& bytes) {
  size_t offset = 0;
  while (offset < bytes.size()) {
    // A blackhole may begin mid-chunk; the rest waits for heal as TCP would retransmit it.
    const bool passable = co_await hold_while_blackholed(pump);
    if (!passable) {
      co_return false;
    }
    const uint64_t rate = route_.settings().bandwidth_bytes_per_sec;
    const size_t piece = TokenBucket::piece(bytes.size() - offset, rate);
    if (auto wait = route_.take_tokens(pump.way, piece); wait > Clock::duration::zero()) {
      // Sleep in slices so that a bandwidth change applies promptly.
      const auto slice = std::min<Clock::duration>(wait, kMaxSleepSlice);
      const bool alive = co_await sleep_until(pump, Clock::now() + slice);
      if (!alive) {
        co_return false;
      }
      continue;
    }
    auto [ec, n] =
        co_await asio::async_write(pump.to, asio::buffer(bytes.data() + offset, piece), kUseTuple);
    if (closed_) {
      co_return false;
    }
    if (ec) {
      logger("fault-proxy")->debug("route {}: write: {}", route_.index(), ec.message());
      reset();
      co_return false;
    }
    offset += n;
    route_.stats().bytes[static_cast<size_t>(pump.way)] += n;
  }
  co_return true;
}

asio::awaitable<bool> Connection::sleep_until(Pump& pump, Clock::time_point when) {
  if (!closed_ && when > Clock::now()) {
    pump.sleep.expires_at(when);
    co_await pump.sleep.async_wait(kUseTuple);
  }
  co_return !closed_;
}

asio::awaitable<bool> Connection::hold_while_blackholed(Pump& pump) {
  while (!closed_ && route_.state() == LinkState::kBlackhole) {
    const bool alive = co_await sleep_until(pump, Clock::now() + kPollInterval);
    if (!alive) {
      co_return false;
    }
  }
  co_return !closed_;
}

asio::awaitable<void> serve_connection(Route& route, tcp::socket client) {
  Connection connection(route, std::move(client));
  co_await connection.run();
}

}  // namespace meridian::fault_proxy
