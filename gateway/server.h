#pragma once
// The gateway's HTTP/1.1 server (Boost.Beast, C++20 coroutines). One io_context run by
// `threads` threads; the acceptor and every connection run on their own strand, and a
// connection's state lives in its coroutine frame. A connection serves one request at a time in
// arrival order (pipelining-safe: extra bytes wait in its buffer). Every read has a deadline: the
// idle timeout until a request's first byte, then the read timeout for the whole request, so a
// slowloris client is dropped. Bodies over body_limit get 413 and headers over header_limit get
// 431, both as JSON, and the connection closes after a bounded lingering drain.
//
// Lifecycle: start() -> shutdown_input() (stop accepting, /readyz 503, idle keep-alive
// connections closed, in-flight requests finish and their connections close) -> stop(deadline)
// (waits for in-flight requests until the deadline, then cancels the rest and joins threads).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "gateway/rate_limiter.h"
#include "gateway/router.h"

namespace meridian::gateway {

// Called once per answered request, on its connection strand: the route template
// ("/topics/{topic}"; "unmatched" when no route matched or the request could not be read), the
// method ("OTHER" for unknown verbs), the status and the seconds from the whole request read to
// the reply written (0 for requests refused while reading: 400, 413, 431). Must not block.
using RequestObserver = std::function<void(std::string_view route, std::string_view method,
                                           unsigned status, double seconds)>;

struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 8082;  // 0: any free port (tests)
  int threads = 2;
  size_t body_limit = 16 * 1024 * 1024;
  uint32_t header_limit = 16 * 1024;
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};
  // After an error that closes the connection, unread request bytes are discarded for up to
  // this long so the client can read the error instead of getting a TCP reset.
  std::chrono::milliseconds linger_timeout{2000};
  RateLimitOptions rate_limit;
  // How long one v3 streaming produce request may last (streaming.connection.max.duration.ms).
  std::chrono::milliseconds stream_max_duration{86400000};
  // streaming.connection.max.duration.grace.period.ms (Confluent: default 500, at most 10 s).
  std::chrono::milliseconds stream_grace_period{500};
  RequestObserver observer;  // per-request metrics hook; empty: none
};

struct Readiness {
  bool ready = false;
  std::string reason;
};
// Called on a connection strand for GET /readyz; must not block (read cached state).
using ReadinessProbe = std::function<Readiness()>;

class Server {
 public:
  // Adds the health routes (/healthz, /livez, /readyz, /v1/status/ready) to `router`.
  Server(ServerOptions options, Router router, ReadinessProbe probe);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Errors: the bind/listen error code.
  Result<void> start();
  // The bound port (after start()).
  uint16_t port() const { return bound_port_; }
  void shutdown_input();
  void stop(std::chrono::milliseconds drain_deadline);
  bool draining() const { return draining_.load(); }
  size_t active_connections() const { return active_.load(); }

 private:
  struct Connection;
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<boost::beast::error_code> read_request(
      boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
      http::request_parser<http::string_body>& parser, Connection& conn);
  boost::asio::awaitable<void> answer_read_error(boost::beast::tcp_stream& stream,
                                                 const boost::beast::error_code& ec);
  boost::asio::awaitable<boost::beast::error_code> write_response(
      boost::beast::tcp_stream& stream, const Response& res);
  boost::asio::awaitable<bool> serve(boost::beast::tcp_stream& stream, Request request,
                                     const boost::asio::ip::address& remote);
  boost::asio::awaitable<Response> dispatch(Request& request,
                                            const boost::asio::ip::address& remote,
                                            std::string_view& route);
  boost::asio::awaitable<bool> serve_stream(boost::beast::tcp_stream& stream,
                                            boost::beast::flat_buffer& buffer,
                                            http::request_parser<http::string_body>& parser,
                                            const boost::asio::ip::address& remote);
  void cancel_connections(bool idle_only);

  ServerOptions options_;
  Router router_;
  ReadinessProbe probe_;
  RateLimiter limiter_;
  boost::asio::io_context ioc_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  uint16_t bound_port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<size_t> active_{0};
  std::mutex connections_mu_;
  std::unordered_map<uint64_t, Connection*> connections_;
  uint64_t next_connection_id_ = 0;  // guarded by connections_mu_
};

}  // namespace meridian::gateway
