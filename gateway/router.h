#pragma once
// Routes requests by method and path pattern ("/topics/{topic}/partitions/{partition}") to
// coroutine handlers. Path segments are percent-decoded with Boost.URL; bad encodings, dot
// segments (also encoded ones, "%2e%2e") and control bytes are 400, unknown paths 404 and a
// known path with another method 405. Routes are fixed before the server starts: match() is
// const and safe from every connection strand at once.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http.hpp>
#include <functional>
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

class Router {
 public:
  // `pattern` segments are literals or {name}. `name` labels metrics ("topic.produce").
  void add(http::verb method, std::string_view pattern, Handler handler, std::string name);

  struct Match {
    const Handler* handler = nullptr;
    PathParams params;
    std::string_view query;
    std::string_view route_name;
  };
  // Errors: bad_request (encoding, traversal), not_found, method_not_allowed.
  ApiResult<Match> match(http::verb method, std::string_view target) const;

  // "GET, POST" for the Allow header of a 405; empty if the path matches nothing.
  std::string allowed_methods(std::string_view target) const;

 private:
  struct Route {
    http::verb method;
    std::vector<std::string> segments;  // literal, or "{name}"
    Handler handler;
    std::string name;
  };
  static bool is_param(const std::string& s) { return s.size() > 2 && s.front() == '{'; }
  bool path_matches(const Route& r, const std::vector<std::string>& segs) const;

  std::vector<Route> routes_;
};

// Splits and decodes the path of a request target. Exposed for tests.
ApiResult<std::vector<std::string>> decode_path(std::string_view target, std::string_view& query);

// Value of `name` in a raw query string ("timeout=3000&max_bytes=10"), percent-decoded.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace meridian::gateway
