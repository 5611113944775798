// v2 metadata routes: Accept check -> MetadataService -> render. Path parameters that cannot
// name a topic or partition answer 40401/40402 without a cluster call.
#include "gateway/json/metadata.h"

#include <charconv>

#include "gateway/content_type.h"
#include "gateway/json/json_util.h"
#include "gateway/response.h"
#include "gateway/routes/routes.h"

namespace meridian::gateway {

namespace asio = boost::asio;

namespace {

// Validates Accept, topic and partition parameters; fills `partition` when the route has one.
std::optional<ApiError> check(RequestContext& ctx, std::optional<PartitionId>* partition) {
  if (auto a = negotiate(ctx.request[http::field::accept], v2_producibles()); !a) {
    return a.error();
  }
  if (ctx.params.size() > 0 && !json::valid_topic_name(ctx.params.get("topic"))) {
    return api_error(errc::topic_not_found);
  }
  if (partition) {
    const std::string& s = ctx.params.get("partition");
    int32_t p = -1;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), p);
    if (ec != std::errc() || ptr != s.data() + s.size() || p < 0) {
      return api_error(errc::partition_not_found);
    }
    *partition = PartitionId(p);
  }
  return std::nullopt;
}

Response ok(const Request& req, std::string body) {
  auto p = v2_producibles();
  auto chosen = negotiate(req[http::field::accept], p);
  return make_response(http::status::ok, std::move(body), p[chosen ? *chosen : 0].media_type,
                       req.version());
}

asio::awaitable<Response> topic_route(RequestContext& ctx, MetadataService& svc, bool partitions,
                                      bool one_partition) {
  std::optional<PartitionId> partition;
  if (auto e = check(ctx, one_partition ? &partition : nullptr)) {
    co_return make_error_response(*e, ctx.request);
  }
  auto t = co_await svc.topic(ctx.params.get("topic"));
  if (!t) {
    co_return make_error_response(t.error(), ctx.request);
  }
  if (!partitions) {
    co_return ok(ctx.request, json::render_topic(*t));
  }
  if (!one_partition) {
    co_return ok(ctx.request, json::render_partitions(t->partitions));
  }
  for (const auto& p : t->partitions) {
    if (p.partition == *partition) {
      co_return ok(ctx.request, json::render_partition(p));
    }
  }
  co_return make_error_response(api_error(errc::partition_not_found), ctx.request);
}

ApiError unavailable() {
  return api_error(errc::broker_not_available,
                   "Broker not available: no cluster client is configured.");
}

}  // namespace

using U = UnavailableMetadataService;
U::Async<std::vector<std::string>> U::topics() { co_return unavailable(); }
U::Async<TopicInfo> U::topic(std::string) { co_return unavailable(); }
U::Async<PartitionOffsets> U::offsets(std::string, PartitionId) { co_return unavailable(); }
U::Async<std::vector<BrokerId>> U::brokers() { co_return unavailable(); }

void add_metadata_routes(Router& router, MetadataService& service) {
  MetadataService* s = &service;
  router.add(
      http::verb::get, "/topics",
      [s](RequestContext& c) -> asio::awaitable<Response> {
        if (auto e = check(c, nullptr)) co_return make_error_response(*e, c.request);
        auto names = co_await s->topics();
        co_return names ? ok(c.request, json::render_topic_names(*names))
                        : make_error_response(names.error(), c.request);
      },
      "topics.list");
  router.add(
      http::verb::get, "/topics/{topic}",
      [s](RequestContext& c) { return topic_route(c, *s, false, false); }, "topic.get");
  router.add(
      http::verb::get, "/topics/{topic}/partitions",
      [s](RequestContext& c) { return topic_route(c, *s, true, false); }, "partitions.list");
  router.add(
      http::verb::get, "/topics/{topic}/partitions/{partition}",
      [s](RequestContext& c) { return topic_route(c, *s, true, true); }, "partition.get");
  router.add(
      http::verb::get, "/topics/{topic}/partitions/{partition}/offsets",
      [s](RequestContext& c) -> asio::awaitable<Response> {
        std::optional<PartitionId> p;
        if (auto e = check(c, &p)) co_return make_error_response(*e, c.request);
        auto o = co_await s->offsets(c.params.get("topic"), *p);
        co_return o ? ok(c.request, json::render_partition_offsets(*o))
                    : make_error_response(o.error(), c.request);
      },
      "partition.offsets");
  router.add(
      http::verb::get, "/brokers",
      [s](RequestContext& c) -> asio::awaitable<Response> {
        if (auto e = check(c, nullptr)) co_return make_error_response(*e, c.request);
        auto b = co_await s->brokers();
        co_return b ? ok(c.request, json::render_brokers(*b))
                    : make_error_response(b.error(), c.request);
      },
      "brokers.list");
}

}  // namespace meridian::gateway
