#pragma once
// Connection: one accepted client socket, its socket to the route's target and the two one-way
// pumps between them. Each pump is a reader and a writer joined by a bounded queue of chunks
// stamped with a release time; when the queue is full the reader stops reading, so a slow
// destination pushes back on the source through TCP flow control.
//
// Lifetime: lives in the frame of serve_connection(); the Route holds a non-owning pointer
// from construction to destruction. Strand: the proxy's single io_context thread.

#include <array>
#include <deque>
#include <vector>

#include "tests/tools/fault_proxy/route.h"

namespace meridian::fault_proxy {

class Connection {
 public:
  Connection(Route& route, tcp::socket client);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects to the target and forwards both ways until both sides closed or a reset.
  asio::awaitable<void> run();
  // Aborts both sides with RST (SO_LINGER 0) and wakes every pump so run() returns.
  // Returns false if the connection was already closing.
  bool reset();

 private:
  static constexpr size_t kReadBytes = 64 * 1024;

  struct Chunk {
    std::vector<char> bytes;
    Clock::time_point release;
    bool eof = false;  // the source sent FIN: shut down the destination's sending side
  };

  struct Pump {
    Pump(tcp::socket& from_socket, tcp::socket& to_socket, Way pump_way);
    tcp::socket& from;
    tcp::socket& to;
    Way way;
    std::deque<Chunk> queue;
    size_t queued_bytes = 0;
    Clock::time_point last_release{};
    // Never expires; cancel() wakes whoever waits (the reader when full, the writer when empty).
    asio::steady_timer signal;
    asio::steady_timer sleep;  // the writer's delay, bandwidth and blackhole waits
    std::array<char, kReadBytes> read_buffer;
  };

  asio::awaitable<bool> connect_upstream();
  asio::awaitable<void> read_loop(Pump& pump);
  asio::awaitable<void> write_loop(Pump& pump);
  asio::awaitable<bool> deliver(Pump& pump, const std::vector<char>& bytes);
  asio::awaitable<bool> sleep_until(Pump& pump, Clock::time_point when);
  asio::awaitable<bool> hold_while_blackholed(Pump& pump);
  asio::awaitable<void> wait_signal(Pump& pump);
  void push(Pump& pump, Chunk chunk);

  Route& route_;
  tcp::socket client_;
  tcp::socket upstream_;
  bool closed_ = false;
  Pump to_target_;
  Pump to_client_;
  int running_ = 0;              // pumps still running
  asio::steady_timer finished_;  // never expires; cancelled when the last pump ends
};

// The coroutine that owns a Connection for its whole life.
asio::awaitable<void> serve_connection(Route& route, tcp::socket client);

}  // namespace meridian::fault_proxy
