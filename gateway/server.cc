#include "gateway/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <pthread.h>

#include <array>

#include "common/log.h"
#include "gateway/http_errors.h"
#include "gateway/response.h"
#include "gateway/routes/routes.h"

namespace meridian::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Registry entry for shutdown. Lives in the session's coroutine frame; touched by other threads
// only under connections_mu_, and its stream only from a lambda posted to its own strand.
struct Server::Connection {
  beast::tcp_stream* stream = nullptr;
  asio::any_io_executor executor;
  std::atomic<bool> idle{false};
  bool streaming = false;  // read_request stopped after the header of a streaming request
};

namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kLingerMaxBytes = 64 * 1024 * 1024;
// Parses what is already in `buffer` into `parser` without I/O: up to the end of the header, or
// of the whole message. A small request usually arrives in one read, and each async read op
// would complete through the scheduler (the profile's second-largest cost after JSON parsing).
// need_more: the rest must be read.
beast::error_code parse_buffered(http::request_parser<http::string_body>& parser,
                                 beast::flat_buffer& buffer, bool header_only) {
  beast::error_code ec;
  while (buffer.size() > 0 && !(header_only ? parser.is_header_done() : parser.is_done())) {
    const size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec || used == 0) {
      break;
    }
  }
  return ec;
}

// The metrics' route label of requests no route matched (404, 405, 400, unreadable requests).
constexpr std::string_view kUnmatchedRoute = "unmatched";

// The metrics' method label: a client's invented verbs all count as "OTHER" (bounded labels).
std::string_view method_label(const Request& request) {
  if (request.method() == http::verb::unknown) {
    return "OTHER";
  }
  return http::to_string(request.method());
}

// The parse error's answer, or nullopt for errors that just end the connection (EOF, timeout,
// reset: nobody is there to read a reply).
std::optional<ApiError> read_error_reply(const beast::error_code& ec) {
  if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
    return api_error(errc::payload_too_large);
  }
  if (ec == http::error::header_limit) {
    return api_error(errc::header_fields_too_large);
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return std::nullopt;  // the peer went away mid-request
  }
  if (ec.category() == beast::error_code(http::error::bad_method).category()) {
    return api_error(errc::bad_request, "Bad Request: malformed HTTP request");
  }
  return std::nullopt;  // timeout, reset, cancellation
}

// Discards what the client is still sending (bounded in time and bytes) after we answered an
// error and shut down our side, so it reads our reply instead of a reset.
asio::awaitable<void> linger(beast::tcp_stream& stream, std::chrono::milliseconds timeout) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(timeout);
  std::vector<char> sink(kReadChunk);
  size_t total = 0;
  while (total < kLingerMaxBytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (ec) {
      break;
    }
    total += n;
  }
}

// The status line and header fields of `res` as Beast would write them.
std::string serialize_head(const Response& res) {
  std::string head;
  head.reserve(256);
  head += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(res.result_int());
  head += ' ';
  head += res.reason();
  head += "\r\n";
  for (const auto& field : res) {
    head += field.name_string();
    head += ": ";
    head += field.value();
    head += "\r\n";
  }
  head += "\r\n";
  return head;
}

}  // namespace

// Writes a prepared response: first one non-blocking gathered send of head and body straight
// from this strand (a small answer on a writable socket goes out whole, without Beast's async
// write composition, its timer and the completion's trip through the scheduler), and only
// what did not fit is written asynchronously under the write timeout.
asio::awaitable<beast::error_code> Server::write_response(beast::tcp_stream& stream,
                                                          const Response& res) {
  const std::string head = serialize_head(res);
  const std::array<asio::const_buffer, 2> both{asio::buffer(head), asio::buffer(res.body())};
  const size_t total = head.size() + res.body().size();
  beast::error_code ec;
  size_t sent = stream.socket().write_some(both, ec);  // the socket is in non-blocking mode
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec = {};
    sent = 0;
  }
  if (ec || sent == total) {
    co_return ec;
  }
  beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(both);
  rest.consume(sent);
  stream.expires_after(options_.write_timeout);
  auto [wec, wn] = co_await asio::async_write(stream, rest, kTuple);
  co_return wec;
}

Server::Server(ServerOptions options, Router router, ReadinessProbe probe)
    : options_(std::move(options)),
      router_(std::move(router)),
      probe_(std::move(probe)),
      limiter_(options_.rate_limit),
      ioc_(std::max(1, options_.threads)) {
  add_health_routes(router_, [this]() -> Readiness {
    if (draining_.load()) {
      return {false, "draining"};
    }
    return probe_ ? probe_() : Readiness{false, "no readiness probe"};
  });
}

Server::~Server() {
  if (!threads_.empty()) {
    stop(std::chrono::milliseconds(0));
  }
}

Result<void> Server::start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    return std::error_code(ec);
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_ = std::make_unique<tcp::acceptor>(asio::make_strand(ioc_));
  if (acceptor_->open(endpoint.protocol(), ec); ec) return std::error_code(ec);
  if (acceptor_->set_option(asio::socket_base::reuse_address(true), ec); ec)
    return std::error_code(ec);
  if (acceptor_->bind(endpoint, ec); ec) return std::error_code(ec);
  if (acceptor_->listen(asio::socket_base::max_listen_connections, ec); ec)
    return std::error_code(ec);
  bound_port_ = acceptor_->local_endpoint().port();
  asio::co_spawn(acceptor_->get_executor(), accept_loop(), asio::detached);
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "gw-http");  // per-thread CPU in top, perf, /proc
      ioc_.run();
    });
  }
  logger("gateway")->info("gateway listening on {}:{} with {} threads", options_.host, bound_port_,
                          threads_.size());
  return {};
}

asio::awaitable<void> Server::accept_loop() {
  while (!draining_.load()) {
    auto [ec, socket] = co_await acceptor_->async_accept(asio::make_strand(ioc_), kTuple);
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) {
      break;
    }
    if (ec) {
      continue;  // EMFILE, ECONNABORTED: keep accepting
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(std::move(socket)), [](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          logger("gateway")->warn("connection ended by exception: {}", ex.what());
        }
      }
    });
  }
}

asio::awaitable<Response> Server::dispatch(Request& request, const asio::ip::address& remote,
                                          std::string_view& route) {
  // Matched before the rate limit so a 429 is counted under its route too.
  auto match = router_.match(request.method(), request.target());
  if (match) {
    route = match->pattern;
  }
  if (!limiter_.admit(remote, request.body().size(), RateLimiter::Clock::now())) {
    co_return make_error_response(api_error(errc::too_many_requests), request);
  }
  if (!match) {
    Response res = make_error_response(match.error(), request);
    if (match.error().kind == errc::method_not_allowed) {
      res.set(http::field::allow, router_.allowed_methods(request.target()));
    }
    co_return res;
  }
  RequestContext ctx{request, std::move(match->params), match->query, remote};
  auto response = co_await (*match->handler)(ctx);
  co_return response;
}

// Reads the next request into `parser`: waits up to the idle timeout for its first byte, then
// the read timeout for all of it. A body declared over the limit fails before it is read.
asio::awaitable<beast::error_code> Server::read_request(
    beast::tcp_stream& stream, beast::flat_buffer& buffer,
    http::request_parser<http::string_body>& parser, Connection& conn) {
  if (buffer.size() == 0) {
    if (draining_.load()) {
      co_return asio::error::eof;
    }
    conn.idle = true;
    stream.expires_after(options_.idle_timeout);
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
    conn.idle = false;
    if (ec) {
      co_return ec;
    }
    buffer.commit(n);
  }
  parser.body_limit(options_.body_limit);
  parser.header_limit(options_.header_limit);
  // The read timeout covers the whole request, header and body. It is set only before the
  // first operation that has to wait: a request that arrived in one piece (the common case)
  // costs no timer work beyond the idle read's (stream timers were ~5 % of the profile).
  bool armed = false;
  auto arm = [&] {
    if (!armed) {
      armed = true;
      stream.expires_after(options_.read_timeout);
    }
  };
  beast::error_code ec = parse_buffered(parser, buffer, true);
  if (ec && ec != http::error::need_more) {
    co_return ec;
  }
  size_t n = 0;
  if (!parser.is_header_done()) {
    arm();
    std::tie(ec, n) = co_await http::async_read_header(stream, buffer, parser, kTuple);
    if (ec) {
      co_return ec;
    }
  }
  const auto& req = parser.get();
  if (auto len = parser.content_length(); len && *len > options_.body_limit) {
    co_return http::error::body_limit;  // refuse before reading a byte of it
  }
  if (req[http::field::expect] == "100-continue") {
    http::response<http::empty_body> cont{http::status::continue_, req.version()};
    arm();
    co_await http::async_write(stream, cont, kTuple);
  }
  if (parser.chunked() && router_.has_stream_routes() &&
      router_.match_stream(req.method(), req.target())) {
    conn.streaming = true;  // its handler reads the body as it arrives (and sets its timeouts)
    co_return beast::error_code{};
  }
  ec = parse_buffered(parser, buffer, false);
  if (parser.is_done() || (ec && ec != http::error::need_more)) {
    co_return ec;
  }
  arm();
  std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, kTuple);
  co_return ec;
}

// Answers a request that could not be read (413, 431, 400) and closes; or just closes.
asio::awaitable<void> Server::answer_read_error(beast::tcp_stream& stream,
                                                const beast::error_code& ec) {
  auto reply = read_error_reply(ec);
  if (!reply) {
    co_return;
  }
  Response res = make_error_response(*reply, 11, false);
  res.keep_alive(false);
  res.prepare_payload();
  stream.expires_after(options_.write_timeout);
  auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
  if (!wec) {
    co_await linger(stream, options_.linger_timeout);
  }
}

// Runs one request through the router and writes the reply. False: close the connection.
asio::awaitable<bool> Server::serve(beast::tcp_stream& stream, Request request,
                                    const asio::ip::address& remote) {
  const auto started = std::chrono::steady_clock::now();
  std::string_view route = kUnmatchedRoute;
  Response res;
  bool failed = false;
  try {
    res = co_await dispatch(request, remote, route);
  } catch (const std::exception& e) {
    // A handler bug ends this request with a 500, never the server.
    logger("gateway")->error("handler for {} threw: {}", std::string(request.target()), e.what());
    failed = true;
  }
  if (failed) {
    res = make_error_response(api_error(errc::internal), request);
  }
  bool keep_alive = request.keep_alive() && !failed && !draining_.load();
  res.version(request.version());
  res.keep_alive(keep_alive);
  res.prepare_payload();
  auto ec = co_await write_response(stream, res);
  if (options_.observer) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    options_.observer(route, method_label(request), res.result_int(), took.count());
  }
  co_return !ec && keep_alive;
}

asio::awaitable<void> Server::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::error_code ignored;
  auto remote = stream.socket().remote_endpoint(ignored).address();
  // For write_response's direct send (asynchronous operations are unaffected by this flag).
  stream.socket().non_blocking(true, ignored);
  Connection conn;
  conn.stream = &stream;
  conn.executor = stream.get_executor();
  uint64_t id;
  {
    std::lock_guard lock(connections_mu_);
    id = next_connection_id_++;
    connections_.emplace(id, &conn);
  }
  ++active_;
  beast::flat_buffer buffer;  // reused for every request of the connection
  for (;;) {
    http::request_parser<http::string_body> parser;
    // Awaited into locals, never inside a condition (docs/coroutines.md).
    auto ec = co_await read_request(stream, buffer, parser, conn);
    if (ec) {
      if (auto reply = read_error_reply(ec); reply && options_.observer) {
        const auto& req = parser.get();
        options_.observer(kUnmatchedRoute,
                          parser.is_header_done() ? method_label(req) : std::string_view("OTHER"),
                          error_spec(reply->kind).status, 0.0);
      }
      co_await answer_read_error(stream, ec);
      break;
    }
    if (conn.streaming) {
      conn.streaming = false;
      bool keep_streaming = co_await serve_stream(stream, buffer, parser, remote);
      if (!keep_streaming) {
        break;
      }
      continue;
    }
    bool keep_going = co_await serve(stream, parser.release(), remote);
    if (!keep_going) {
      break;
    }
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
  {
    std::lock_guard lock(connections_mu_);
    connections_.erase(id);
  }
  --active_;
}

// A streaming request: its handler owns the connection until the body and the reply end. Rate
// limited once, when it starts. False: close (after draining what the client still sends).
asio::awaitable<bool> Server::serve_stream(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                           http::request_parser<http::string_body>& parser,
                                           const asio::ip::address& remote) {
  const auto started = std::chrono::steady_clock::now();
  const auto& req = parser.get();
  auto match = router_.match_stream(req.method(), req.target());
  if (!match || !limiter_.admit(remote, 0, RateLimiter::Clock::now())) {
    auto error = api_error(match ? errc::too_many_requests : errc::not_found);
    Response res = make_error_response(error, req.version(), true);
    res.keep_alive(false);
    res.prepare_payload();
    stream.expires_after(options_.write_timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
    if (!wec) {
      co_await linger(stream, options_.linger_timeout);
    }
    co_return false;
  }
  StreamContext ctx{stream,          buffer,       parser,
                    std::move(match->params),      match->query,
                    remote,          options_.read_timeout,
                    options_.write_timeout,        options_.body_limit,
                    options_.stream_max_duration,  options_.stream_grace_period};
  bool keep_alive = false;
  try {
    keep_alive = co_await (*match->handler)(ctx);
  } catch (const std::exception& e) {
    logger("gateway")->error("stream handler for {} threw: {}", std::string(req.target()),
                             e.what());
  }
  if (options_.observer) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    options_.observer(match->pattern, method_label(req), 200, took.count());
  }
  if (!keep_alive && !parser.is_done()) {
    co_await linger(stream, options_.linger_timeout);
  }
  co_return keep_alive && !draining_.load();
}

void Server::cancel_connections(bool idle_only) {
  std::lock_guard lock(connections_mu_);
  for (auto& [id, conn] : connections_) {
    asio::post(conn->executor, [this, id = id, idle_only] {
      std::lock_guard inner(connections_mu_);
      auto it = connections_.find(id);
      if (it != connections_.end() && (!idle_only || it->second->idle.load())) {
        it->second->stream->cancel();
      }
    });
  }
}

void Server::shutdown_input() {
  if (draining_.exchange(true)) {
    return;
  }
  if (acceptor_) {
    asio::post(acceptor_->get_executor(), [this] {
      beast::error_code ignored;
      acceptor_->close(ignored);
    });
  }
  cancel_connections(/*idle_only=*/true);
}

void Server::stop(std::chrono::milliseconds drain_deadline) {
  if (stopped_.exchange(true)) {
    return;
  }
  shutdown_input();
  auto until = std::chrono::steady_clock::now() + drain_deadline;
  // Connections that were mid-request when draining began close after their reply; idle ones
  // that raced into a read are cancelled again on each pass.
  while (active_.load() > 0 && std::chrono::steady_clock::now() < until) {
    cancel_connections(/*idle_only=*/true);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cancel_connections(/*idle_only=*/false);
  auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (active_.load() > 0 && std::chrono::steady_clock::now() < hard) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ioc_.stop();
  for (auto& t : threads_) {
    t.join();
  }
  threads_.clear();
}

}  // namespace meridian::gateway
