// v2 consumer-instance routes: parse (content type, Accept, body, query; all pure) ->
// ConsumerService (async) -> render. Control bodies are v2 JSON (vnd.kafka.v2+json,
// vnd.kafka+json or application/json); an empty body needs no Content-Type.
#include <charconv>

#include "gateway/content_type.h"
#include "gateway/json/consumer.h"
#include "gateway/response.h"
#include "gateway/routes/routes.h"

namespace meridian::gateway {

namespace asio = boost::asio;

namespace {

using Svc = ConsumerService;

std::optional<ApiError> check_control_request(const Request& req) {
  if (!req.body().empty()) {
    auto ct = parse_content_type(req[http::field::content_type]);
    if (!ct || ct->kind == MediaKind::kOctetStream || ct->format_explicit) {
      return api_error(errc::unsupported_media_type);
    }
  }
  if (auto a = negotiate(req[http::field::accept], v2_producibles()); !a) {
    return a.error();
  }
  return std::nullopt;
}

std::string_view response_type(const Request& req) {
  auto p = v2_producibles();
  auto chosen = negotiate(req[http::field::accept], p);
  return p[chosen ? *chosen : 0].media_type;
}

Response no_content(const Request& req) {
  Response res{http::status::no_content, req.version()};
  return res;
}

template <class T>
Response reply(const Request& req, const ApiResult<T>& r, std::string (*render)(const T&)) {
  if (!r) {
    return make_error_response(r.error(), req);
  }
  return make_response(http::status::ok, render(*r), response_type(req), req.version());
}

// Query integers: non-numeric or negative values are 400 (Jersey would say 404; a 400 tells
// the client what is wrong).
ApiResult<std::optional<int64_t>> query_int(std::string_view query, std::string_view name) {
  auto v = query_param(query, name);
  if (!v) {
    return std::optional<int64_t>{};
  }
  int64_t out = -1;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || ptr != v->data() + v->size() || out < 0) {
    return api_error(errc::bad_request, "Bad Request: query parameter " + std::string(name) +
                                            " must be a non-negative integer");
  }
  return std::optional<int64_t>(out);
}

asio::awaitable<Response> create(RequestContext& ctx, Svc& svc, const ConsumerRouteOptions& o) {
  const Request& req = ctx.request;
  if (auto e = check_control_request(req)) {
    co_return make_error_response(*e, req);
  }
  auto parsed = json::parse_consumer_create(req.body());
  if (!parsed) {
    co_return make_error_response(parsed.error(), req);
  }
  std::string group = ctx.params.get("group");
  auto id = co_await svc.create(group, std::move(*parsed));
  if (!id) {
    co_return make_error_response(id.error(), req);
  }
  std::string base = o.advertised_base.empty() ? "http://" + std::string(req[http::field::host])
                                               : o.advertised_base;
  ConsumerCreateResponse out{*id, base + "/consumers/" + group + "/instances/" + *id};
  co_return make_response(http::status::ok, json::render_consumer_create(out), response_type(req),
                          req.version());
}

// The shape shared by the 204 routes: check, parse the body, call, answer 204.
template <class Parse, class Call>
asio::awaitable<Response> control(RequestContext& ctx, Parse parse, Call call) {
  const Request& req = ctx.request;
  if (auto e = check_control_request(req)) {
    co_return make_error_response(*e, req);
  }
  auto parsed = parse(std::string_view(req.body()));
  if (!parsed) {
    co_return make_error_response(parsed.error(), req);
  }
  ApiResult<void> r =
      co_await call(ctx.params.get("group"), ctx.params.get("instance"), std::move(*parsed));
  co_return r ? no_content(req) : make_error_response(r.error(), req);
}

asio::awaitable<Response> records(RequestContext& ctx, Svc& svc) {
  const Request& req = ctx.request;
  auto timeout = query_int(ctx.query, "timeout");
  auto max_bytes = query_int(ctx.query, "max_bytes");
  if (!timeout || !max_bytes) {
    co_return make_error_response(!timeout ? timeout.error() : max_bytes.error(), req);
  }
  const std::string& group = ctx.params.get("group");
  const std::string& instance = ctx.params.get("instance");
  auto format = co_await svc.format(group, instance);
  if (!format) {
    co_return make_error_response(format.error(), req);
  }
  auto chosen = negotiate_records(req[http::field::accept], *format);
  if (!chosen) {
    co_return make_error_response(chosen.error(), req);
  }
  auto recs = co_await svc.records(group, instance, {*timeout, *max_bytes});
  if (!recs) {
    co_return make_error_response(recs.error(), req);
  }
  auto body = json::render_records(*recs, *chosen);
  if (!body) {
    co_return make_error_response(body.error(), req);
  }
  co_return make_response(http::status::ok, std::move(*body), format_media_type(*chosen),
                          req.version());
}

std::string render_topics(const std::vector<std::string>& t) {
  return json::render_subscription(t);
}
std::string render_tps(const std::vector<TopicPartition>& t) { return json::render_assignments(t); }
std::string render_commits(const std::vector<CommitResult>& c) {
  return json::render_commit_offsets(c);
}
std::string render_committed(const std::vector<TopicPartitionOffset>& c) {
  return json::render_committed_offsets(c);
}

void add_state_routes(Router& r, Svc* s, const std::string& base) {
  using V = http::verb;
  using S = std::string;
  r.add(
      V::post, base + "/subscription",
      [s](RequestContext& c) {
        return control(c, json::parse_subscription,
                       [s](S g, S i, Subscription x) { return s->subscribe(g, i, std::move(x)); });
      },
      "consumer.subscribe");
  r.add(
      V::get, base + "/subscription",
      [s](RequestContext& c) -> asio::awaitable<Response> {
        co_return reply(c.request,
                        co_await s->subscription(c.params.get("group"), c.params.get("instance")),
                        render_topics);
      },
      "consumer.subscription");
  r.add(
      V::delete_, base + "/subscription",
      [s](RequestContext& c) -> asio::awaitable<Response> {
        auto res = co_await s->unsubscribe(c.params.get("group"), c.params.get("instance"));
        co_return res ? no_content(c.request) : make_error_response(res.error(), c.request);
      },
      "consumer.unsubscribe");
  r.add(
      V::post, base + "/assignments",
      [s](RequestContext& c) {
        return control(c, json::parse_partitions, [s](S g, S i, std::vector<TopicPartition> x) {
          return s->assign(g, i, std::move(x));
        });
      },
      "consumer.assign");
  r.add(
      V::get, base + "/assignments",
      [s](RequestContext& c) -> asio::awaitable<Response> {
        co_return reply(c.request,
                        co_await s->assignments(c.params.get("group"), c.params.get("instance")),
                        render_tps);
      },
      "consumer.assignments");
}

void add_position_routes(Router& r, Svc* s, const std::string& base) {
  using V = http::verb;
  using S = std::string;
  r.add(
      V::post, base + "/positions",
      [s](RequestContext& c) {
        return control(c, json::parse_seek,
                       [s](S g, S i, SeekRequest x) { return s->seek(g, i, std::move(x)); });
      },
      "consumer.seek");
  for (auto [suffix, where] : {std::pair{"/positions/beginning", Svc::SeekTo::kBeginning},
                               std::pair{"/positions/end", Svc::SeekTo::kEnd}}) {
    r.add(
        V::post, base + suffix,
        [s, where = where](RequestContext& c) {
          return control(c, json::parse_partitions,
                         [s, where](S g, S i, std::vector<TopicPartition> x) {
                           return s->seek_to(g, i, std::move(x), where);
                         });
        },
        "consumer.seek_to");
  }
  r.add(
      V::get, base + "/records", [s](RequestContext& c) { return records(c, *s); },
      "consumer.records");
  r.add(
      V::post, base + "/offsets",
      [s](RequestContext& c) -> asio::awaitable<Response> {
        if (auto e = check_control_request(c.request)) co_return make_error_response(*e, c.request);
        auto parsed = json::parse_commit_offsets(c.request.body());
        if (!parsed) co_return make_error_response(parsed.error(), c.request);
        co_return reply(
            c.request,
            co_await s->commit(c.params.get("group"), c.params.get("instance"), std::move(*parsed)),
            render_commits);
      },
      "consumer.commit");
  r.add(
      V::get, base + "/offsets",
      [s](RequestContext& c) -> asio::awaitable<Response> {
        if (auto e = check_control_request(c.request)) co_return make_error_response(*e, c.request);
        auto parsed = json::parse_partitions(c.request.body());
        if (!parsed) co_return make_error_response(parsed.error(), c.request);
        co_return reply(c.request,
                        co_await s->committed(c.params.get("group"), c.params.get("instance"),
                                              std::move(*parsed)),
                        render_committed);
      },
      "consumer.committed");
}

}  // namespace

namespace {
ApiError unavailable() {
  return api_error(errc::broker_not_available,
                   "Broker not available: no cluster client is configured.");
}
}  // namespace

using U = UnavailableConsumerService;
using S = std::string;
U::Async<S> U::create(S, ConsumerCreateRequest) { co_return unavailable(); }
U::Async<void> U::remove(S, S) { co_return unavailable(); }
U::Async<void> U::subscribe(S, S, Subscription) { co_return unavailable(); }
U::Async<std::vector<S>> U::subscription(S, S) { co_return unavailable(); }
U::Async<void> U::unsubscribe(S, S) { co_return unavailable(); }
U::Async<void> U::assign(S, S, std::vector<TopicPartition>) { co_return unavailable(); }
U::Async<std::vector<TopicPartition>> U::assignments(S, S) { co_return unavailable(); }
U::Async<void> U::seek(S, S, SeekRequest) { co_return unavailable(); }
U::Async<void> U::seek_to(S, S, std::vector<TopicPartition>, SeekTo) { co_return unavailable(); }
U::Async<EmbeddedFormat> U::format(S, S) { co_return unavailable(); }
U::Async<std::vector<ConsumedRecord>> U::records(S, S, RecordsQuery) { co_return unavailable(); }
U::Async<std::vector<CommitResult>> U::commit(S, S, CommitOffsetsRequest) {
  co_return unavailable();
}
U::Async<std::vector<TopicPartitionOffset>> U::committed(S, S, std::vector<TopicPartition>) {
  co_return unavailable();
}

void add_consumer_routes(Router& router, ConsumerService& service, ConsumerRouteOptions options) {
  Svc* s = &service;
  router.add(
      http::verb::post, "/consumers/{group}",
      [s, o = std::move(options)](RequestContext& c) { return create(c, *s, o); },
      "consumer.create");
  const std::string base = "/consumers/{group}/instances/{instance}";
  router.add(
      http::verb::delete_, base,
      [s](RequestContext& c) -> asio::awaitable<Response> {
        auto r = co_await s->remove(c.params.get("group"), c.params.get("instance"));
        co_return r ? no_content(c.request) : make_error_response(r.error(), c.request);
      },
      "consumer.delete");
  add_state_routes(router, s, base);
  add_position_routes(router, s, base);
}

}  // namespace meridian::gateway
