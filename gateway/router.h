#pragma once
// Routes requests by method and path pattern ("/topics/{topic}/partitions/{partition}") to
// coroutine handlers. Path segments are percent-decoded with Boost.URL; bad encodings, dot
// segments (also encoded ones, "%2e%2e") and control bytes are 400, unknown paths 404 and a
// known path with another method 405. Routes are fixed before the server starts: match() is
// const and safe from every connection strand at once.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/errc.h"

namespace meridian::gateway {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Decoded path parameters, in pattern order. Names point into the Router's patterns.
class PathParams {
 public:
  void add(std::string_view name, std::string value) {
    items_.emplace_back(name, std::move(value));
  }
  // The decoded value of `name`; empty if the pattern has no such parameter.
  const std::string& get(std::string_view name) const;
  size_t size() const { return items_.size(); }

 private:
  std::vector<std::pair<std::string_view, std::string>> items_;
};

// What a handler sees. `request` lives until the handler's awaitable completes.
struct RequestContext {
  Request& request;
  PathParams params;
  std::string_view query;  // raw query string, without '?'
  boost::asio::ip::address remote;
};

using Handler = std::function<boost::asio::awaitable<Response>(RequestContext&)>;

// A streaming request (v3 records over `Transfer-Encoding: chunked`): the server hands over the
// connection after the header is read and before any body byte is. The handler reads the body
// through `parser` (`on_chunk_body`, `http::async_read_some`) and writes its own response; it
// runs on the connection's strand and everything here lives until its awaitable completes.
struct StreamContext {
  boost::beast::tcp_stream& stream;
  boost::beast::flat_buffer& buffer;
  http::request_parser<http::string_body>& parser;
  PathParams params;
  std::string_view query;
  boost::asio::ip::address remote;
  std::chrono::milliseconds read_timeout;   // between two reads of the body
  std::chrono::milliseconds write_timeout;  // per write
  size_t record_limit;                      // largest single record (the server's body_limit)
  // streaming.connection.max.duration.ms: after this long a record that arrives is answered
  // 408 instead of produced (Confluent's "open for longer than allowed").
  std::chrono::milliseconds max_duration{86400000};
  // streaming.connection.max.duration.grace.period.ms: how long after max_duration the records
  // read before it are still answered; then the connection closes, answered or not.
  std::chrono::milliseconds grace_period{500};
};
// Returns true when the connection may serve another request (body fully read, reply ended).
using StreamHandler = std::function<boost::asio::awaitable<bool>(StreamContext&)>;

class Router {
 public:
  // `pattern` segments are literals or {name}. `name` labels metrics ("topic.produce").
  void add(http::verb method, std::string_view pattern, Handler handler, std::string name);

  struct Match {
    const Handler* handler = nullptr;
    PathParams params;
    std::string_view query;
    std::string_view route_name;
    std::string_view pattern;  // "/topics/{topic}": the metrics' `route` label
  };
  // Errors: bad_request (encoding, traversal), not_found, method_not_allowed.
  ApiResult<Match> match(http::verb method, std::string_view target) const;

  // "GET, POST" for the Allow header of a 405; empty if the path matches nothing.
  std::string allowed_methods(std::string_view target) const;

  // A streaming variant of a route: chunked requests to it go to `handler` instead.
  void add_stream(http::verb method, std::string_view pattern, StreamHandler handler,
                  std::string name);
  struct StreamMatch {
    const StreamHandler* handler = nullptr;
    PathParams params;
    std::string_view query;
    std::string_view pattern;
  };
  // Only exact matches; anything else is served (and refused) by match() as usual.
  std::optional<StreamMatch> match_stream(http::verb method, std::string_view target) const;
  bool has_stream_routes() const { return !stream_routes_.empty(); }

 private:
  struct Route {
    http::verb method;
    std::vector<std::string> segments;  // literal, or "{name}"
    Handler handler;
    std::string name;
    std::string pattern;
  };
  static bool is_param(const std::string& s) { return s.size() > 2 && s.front() == '{'; }
  bool path_matches(const Route& r, const std::vector<std::string>& segs) const;

  std::vector<Route> routes_;
  struct StreamRoute {
    Route route;  // its handler is empty
    StreamHandler handler;
  };
  std::vector<StreamRoute> stream_routes_;
  static Route make_route(http::verb method, std::string_view pattern, std::string name);
};

// Splits and decodes the path of a request target. Exposed for tests.
ApiResult<std::vector<std::string>> decode_path(std::string_view target, std::string_view& query);

// Value of `name` in a raw query string ("timeout=3000&max_bytes=10"), percent-decoded.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace meridian::gateway
