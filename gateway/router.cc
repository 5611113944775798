#include "gateway/router.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace meridian::gateway {
namespace {

const std::string kEmpty;

bool has_control_byte(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

}  // namespace

const std::string& PathParams::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) {
      return v;
    }
  }
  return kEmpty;
}

ApiResult<std::vector<std::string>> decode_path(std::string_view target, std::string_view& query) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) {
    return api_error(errc::bad_request, "Bad Request: malformed request target");
  }
  const boost::urls::url_view& url = *parsed;
  query = url.has_query() ? std::string_view(url.encoded_query()) : std::string_view{};
  std::vector<std::string> out;
  auto segs = url.encoded_segments();
  out.reserve(segs.size());
  for (auto seg : segs) {
    std::string decoded = seg.decode();
    // Dot segments are refused, not resolved: a client that sends them is probing, and a
    // resolved "/topics/../brokers" would reach a route the client did not name.
    if (decoded == "." || decoded == ".." || has_control_byte(decoded)) {
      return api_error(errc::bad_request, "Bad Request: illegal path segment");
    }
    out.push_back(std::move(decoded));
  }
  // "/consumers/g/" names the same resource as "/consumers/g" (Jersey ignores the slash).
  if (!out.empty() && out.back().empty()) {
    out.pop_back();
  }
  return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = item.find('=');
    if (item.substr(0, eq) != name) {
      continue;
    }
    std::string_view raw = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    auto pct = boost::urls::make_pct_string_view(raw);
    if (!pct) {
      return std::nullopt;
    }
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    std::string out;
    out.resize(pct->decoded_size());
    pct->decode(opts, boost::urls::string_token::assign_to(out));
    return out;
  }
  return std::nullopt;
}

void Router::add(http::verb method, std::string_view pattern, Handler handler, std::string name) {
  Route r = make_route(method, pattern, std::move(name));
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

void Router::add_stream(http::verb method, std::string_view pattern, StreamHandler handler,
                        std::string name) {
  stream_routes_.push_back({make_route(method, pattern, std::move(name)), std::move(handler)});
}

std::optional<Router::StreamMatch> Router::match_stream(http::verb method,
                                                        std::string_view target) const {
  StreamMatch m;
  auto segs = decode_path(target, m.query);
  if (!segs) {
    return std::nullopt;
  }
  for (const auto& sr : stream_routes_) {
    if (sr.route.method != method || !path_matches(sr.route, *segs)) {
      continue;
    }
    m.handler = &sr.handler;
    m.pattern = sr.route.pattern;
    for (size_t i = 0; i < segs->size(); ++i) {
      if (is_param(sr.route.segments[i])) {
        std::string_view name(sr.route.segments[i]);
        m.params.add(name.substr(1, name.size() - 2), std::move((*segs)[i]));
      }
    }
    return m;
  }
  return std::nullopt;
}

Router::Route Router::make_route(http::verb method, std::string_view pattern, std::string name) {
  Route r{method, {}, {}, std::move(name), std::string(pattern)};
  std::string_view rest = pattern;
  while (!rest.empty()) {
    rest.remove_prefix(1);  // '/'
    auto slash = rest.find('/');
    r.segments.emplace_back(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  return r;
}

bool Router::path_matches(const Route& r, const std::vector<std::string>& segs) const {
  if (r.segments.size() != segs.size()) {
    return false;
  }
  for (size_t i = 0; i < segs.size(); ++i) {
    if (is_param(r.segments[i])) {
      if (segs[i].empty()) {
        return false;
      }
    } else if (r.segments[i] != segs[i]) {
      return false;
    }
  }
  return true;
}

ApiResult<Router::Match> Router::match(http::verb method, std::string_view target) const {
  Match m;
  auto segs = decode_path(target, m.query);
  if (!segs) {
    return segs.error();
  }
  bool path_known = false;
  for (const auto& r : routes_) {
    if (!path_matches(r, *segs)) {
      continue;
    }
    path_known = true;
    if (r.method != method) {
      continue;
    }
    m.handler = &r.handler;
    m.route_name = r.name;
    m.pattern = r.pattern;
    for (size_t i = 0; i < segs->size(); ++i) {
      if (is_param(r.segments[i])) {
        std::string_view name(r.segments[i]);
        m.params.add(name.substr(1, name.size() - 2), std::move((*segs)[i]));
      }
    }
    return m;
  }
  return api_error(path_known ? errc::method_not_allowed : errc::not_found);
}

std::string Router::allowed_methods(std::string_view target) const {
  std::string_view query;
  auto segs = decode_path(target, query);
  std::string out;
  if (!segs) {
    return out;
  }
  for (const auto& r : routes_) {
    if (path_matches(r, *segs)) {
      if (!out.empty()) {
        out += ", ";
      }
      out += std::string(http::to_string(r.method));
    }
  }
  return out;
}

}  // namespace meridian::gateway
