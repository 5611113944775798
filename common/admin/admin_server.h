#pragma once
// The admin HTTP port (default 9644) every process serves (CONVENTIONS.md §4):
//   GET /metrics                 Prometheus text exposition of a Collectable (the registry)
//   GET /livez   (/healthz)      200 "ok" while the event loop runs; never checks dependencies,
//                                so a slow broker or ZooKeeper never causes a restart storm
//   GET /readyz  (/v1/status/ready)  200 when every readiness check passes, else 503;
//                                503 from begin_shutdown() on; `?verbose` lists the checks
// Anything else: unknown path 404, other methods 405, malformed request 400 (connection
// closed, server unaffected). Every read and write has a timeout; headers and bodies a limit.
// It is deliberately not the REST gateway's server (gateway/): this one has no routes to grow.
//
// Strand model: the acceptor and all connections run on one strand of the given io_context
// (admin traffic is a scrape every few seconds). add_readiness_check, begin_shutdown, stop and
// the accessors may be called from any thread. Readiness checks run on that strand, so they
// must be fast and non-blocking (read cached state, never do I/O).
// Lifetime: `collectable` and the io_context must outlive the server. The server may be
// destroyed while the io_context still runs; in-flight connections keep its shared state alive
// until they end.

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"

namespace prometheus {
class Collectable;
}

namespace meridian::admin {

inline constexpr std::uint16_t kDefaultAdminPort = 9644;

struct CheckResult {
  bool ok = false;
  std::string detail;  // one line, shown by `?verbose`
};
using ReadinessCheck = std::function<CheckResult()>;

struct AdminServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = kDefaultAdminPort;        // 0 = let the OS pick (tests)
  std::chrono::milliseconds io_timeout{10'000};  // per request read, per response write
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 4 * 1024;  // GET needs no body; keeps a bad client cheap
  std::size_t max_connections = 64;
};

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

namespace detail {
struct AdminState;
}

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, const prometheus::Collectable& collectable,
              AdminServerOptions options = {});
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and listens, then serves on the io_context. Returns the bound port.
  // Errors: errc::already_started, errc::bad_address, or the socket's error (e.g. address in use).
  [[nodiscard]] Result<std::uint16_t> start();

  // Adds a named readiness check ("log_recovery", "metadata_loaded"...). A check that throws
  // counts as failed.
  void add_readiness_check(std::string name, ReadinessCheck check);

  // Readiness turns 503 from now on (start of graceful shutdown); liveness and metrics stay.
  void begin_shutdown();
  bool shutting_down() const noexcept;

  // Closes the listener and every open connection. Idempotent.
  void stop();

  std::uint16_t port() const noexcept;

  // Routing and rendering without sockets (also used by the connection loop).
  HttpResponse handle(const HttpRequest& request) const;

 private:
  std::shared_ptr<detail::AdminState> state_;
};

}  // namespace meridian::admin
