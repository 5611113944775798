#include "common/admin/admin_server.h"

#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>
#include <mutex>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/admin/errc.h"
#include "common/log.h"

namespace meridian::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace detail {

// Shared by the AdminServer handle and every coroutine, so the server can be destroyed while
// connections are still unwinding on the io_context.
struct AdminState {
  AdminState(asio::io_context& io, const prometheus::Collectable& source, AdminServerOptions opts)
      : strand(asio::make_strand(io)),
        acceptor(strand),
        collectable(source),
        options(std::move(opts)) {}

  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;                          // strand only (after start)
  std::unordered_set<beast::tcp_stream*> streams;  // strand only; open connections
  const prometheus::Collectable& collectable;
  const AdminServerOptions options;
  std::atomic<bool> started{false};
  std::atomic<bool> shutting_down{false};
  std::atomic<std::uint16_t> port{0};
  mutable std::mutex checks_mutex;
  std::vector<std::pair<std::string, ReadinessCheck>> checks;  // guarded by checks_mutex
};

}  // namespace detail

namespace {

using detail::AdminState;

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
// The Prometheus text exposition format, version 0.0.4.
constexpr std::string_view kExposition = "text/plain; version=0.0.4; charset=utf-8";

HttpResponse make_response(unsigned version, bool keep_alive, http::status status, std::string body,
                           std::string_view content_type = kTextPlain) {
  HttpResponse res{status, version};
  res.set(http::field::server, "meridian-admin");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

struct Target {
  std::string_view path;
  bool verbose = false;
};

// `?verbose`, `?verbose=1` and `?verbose=true` all ask for the list of checks.
Target parse_target(std::string_view target) {
  Target out;
  const std::size_t q = target.find('?');
  out.path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    const std::size_t eq = param.find('=');
    const std::string_view key = param.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : param.substr(eq + 1);
    if (key == "verbose") {
      out.verbose = value != "0" && value != "false";
    }
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
  }
  return out;
}

CheckResult run_check(const ReadinessCheck& check) {
  // A check is caller code; one that throws must not take the admin port down with it.
  try {
    return check();
  } catch (const std::exception& e) {
    return {false, std::string("check threw: ") + e.what()};
  } catch (...) {
    return {false, "check threw a non-standard exception"};
  }
}

std::string check_line(std::string_view name, const CheckResult& result) {
  std::string line = result.ok ? "[+]" : "[-]";
  line += name;
  line += result.ok ? " ok" : " failed";
  if (!result.detail.empty()) {
    line += ": ";
    line += result.detail;
  }
  line += '\n';
  return line;
}

// kube-apiserver style: `ok` or a list of `[+]name ok` / `[-]name failed: why` lines.
std::pair<bool, std::string> readiness(const AdminState& st) {
  std::vector<std::pair<std::string, ReadinessCheck>> checks;
  {
    std::lock_guard lock(st.checks_mutex);
    checks = st.checks;
  }
  const bool draining = st.shutting_down.load();
  bool ready = !draining;
  std::string lines =
      check_line("shutdown", {!draining, draining ? "graceful shutdown in progress" : ""});
  for (const auto& [name, check] : checks) {
    const CheckResult result = run_check(check);
    ready = ready && result.ok;
    lines += check_line(name, result);
  }
  return {ready, std::move(lines)};
}

HttpResponse probe(const HttpRequest& req, bool ok, bool verbose, std::string_view name,
                   std::string lines) {
  std::string body;
  if (verbose) {
    body = std::move(lines);
    body += name;
    body += ok ? " check passed\n" : " check failed\n";
  } else {
    body = ok ? "ok" : "not ready";
  }
  return make_response(req.version(), req.keep_alive(),
                       ok ? http::status::ok : http::status::service_unavailable, std::move(body));
}

HttpResponse route(const AdminState& st, const HttpRequest& req) {
  const Target target = parse_target(req.target());
  enum class Endpoint { kNone, kMetrics, kLive, kReady };
  Endpoint endpoint = Endpoint::kNone;
  if (target.path == "/metrics") {
    endpoint = Endpoint::kMetrics;
  } else if (target.path == "/livez" || target.path == "/healthz") {
    endpoint = Endpoint::kLive;
  } else if (target.path == "/readyz" || target.path == "/v1/status/ready") {
    endpoint = Endpoint::kReady;
  }
  if (endpoint == Endpoint::kNone) {
    return make_response(req.version(), req.keep_alive(), http::status::not_found, "not found\n");
  }
  if (req.method() != http::verb::get) {
    HttpResponse res = make_response(req.version(), req.keep_alive(),
                                     http::status::method_not_allowed, "method not allowed\n");
    res.set(http::field::allow, "GET");
    return res;
  }
  switch (endpoint) {
    case Endpoint::kMetrics: {
      const std::string body = prometheus::TextSerializer().Serialize(st.collectable.Collect());
      return make_response(req.version(), req.keep_alive(), http::status::ok, body, kExposition);
    }
    case Endpoint::kLive:
      // Answering at all proves the event loop turns; dependencies are readiness's business.
      return probe(req, true, target.verbose, "livez", "[+]ping ok\n");
    case Endpoint::kReady: {
      auto [ready, lines] = readiness(st);
      return probe(req, ready, target.verbose, "readyz", std::move(lines));
    }
    case Endpoint::kNone:
      break;
  }
  return make_response(req.version(), false, http::status::internal_server_error, "");
}

bool is_disconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == beast::error::timeout || ec == asio::error::operation_aborted ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::bad_descriptor;
}

// A request that failed to parse gets one answer and the connection closes: after a framing
// error nothing later on the stream can be trusted.
HttpResponse reject(const beast::error_code& ec) {
  http::status status = http::status::bad_request;
  if (ec == http::error::body_limit) {
    status = http::status::payload_too_large;
  } else if (ec == http::error::header_limit) {
    status = http::status::request_header_fields_too_large;
  }
  return make_response(11, false, status, ec.message() + "\n");
}

asio::awaitable<void> serve(std::shared_ptr<AdminState> st, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  st->streams.insert(&stream);
  struct Unregister {
    AdminState& state;
    beast::tcp_stream* stream;
    ~Unregister() { state.streams.erase(stream); }
  } unregister{*st, &stream};

  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(st->options.header_limit));
    parser.body_limit(st->options.body_limit);
    stream.expires_after(st->options.io_timeout);
    auto [read_ec, read_bytes] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (read_ec && is_disconnect(read_ec)) {
      break;
    }
    HttpResponse res = read_ec ? reject(read_ec) : route(*st, parser.get());
    stream.expires_after(st->options.io_timeout);
    auto [write_ec, write_bytes] =
        co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (write_ec || !res.keep_alive()) {
      break;
    }
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<AdminState> st) {
  for (;;) {
    auto [ec, socket] = co_await st->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (!st->acceptor.is_open() || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      // EMFILE and friends: keep serving, but do not spin while descriptors are exhausted.
      logger("admin")->warn("admin accept failed: {}", ec.message());
      asio::steady_timer pause(st->strand, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (st->streams.size() >= st->options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    asio::co_spawn(st->strand, serve(st, std::move(socket)), [](const std::exception_ptr& e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          logger("admin")->warn("admin connection ended by exception: {}", ex.what());
        } catch (...) {
          logger("admin")->warn("admin connection ended by unknown exception");
        }
      }
    });
  }
}

}  // namespace

AdminServer::AdminServer(asio::io_context& io, const prometheus::Collectable& collectable,
                         AdminServerOptions options)
    : state_(std::make_shared<AdminState>(io, collectable, std::move(options))) {}

AdminServer::~AdminServer() { stop(); }

Result<std::uint16_t> AdminServer::start() {
  if (state_->started.exchange(true)) {
    return make_error_code(errc::already_started);
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(state_->options.address, ec);
  if (ec) {
    return make_error_code(errc::bad_address);
  }
  const tcp::endpoint endpoint(address, state_->options.port);
  tcp::acceptor& acceptor = state_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); !ec) {
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return std::error_code(ec);
  }
  state_->port = acceptor.local_endpoint(ec).port();
  asio::co_spawn(state_->strand, accept_loop(state_), [](const std::exception_ptr& e) {
    if (e) {
      logger("admin")->error("admin listener stopped by an exception");
    }
  });
  logger("admin")->info("admin server listening on {}:{}", state_->options.address,
                        state_->port.load());
  return state_->port.load();
}

void AdminServer::add_readiness_check(std::string name, ReadinessCheck check) {
  std::lock_guard lock(state_->checks_mutex);
  state_->checks.emplace_back(std::move(name), std::move(check));
}

void AdminServer::begin_shutdown() {
  if (!state_->shutting_down.exchange(true)) {
    logger("admin")->info("graceful shutdown: readiness now reports 503");
  }
}

bool AdminServer::shutting_down() const noexcept { return state_->shutting_down.load(); }

void AdminServer::stop() {
  asio::dispatch(state_->strand, [st = state_] {
    beast::error_code ignored;
    st->acceptor.close(ignored);
    for (beast::tcp_stream* stream : st->streams) {
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->close();
    }
  });
}

std::uint16_t AdminServer::port() const noexcept { return state_->port.load(); }

HttpResponse AdminServer::handle(const HttpRequest& request) const {
  return route(*state_, request);
}

}  // namespace meridian::admin
