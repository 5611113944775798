// Produce routes: parse (content type, Accept, body; all pure) -> ProduceService (async) ->
// render. Validation order follows Jersey: 415 on Content-Type, 406 on Accept, then the body.
#include "gateway/json/produce.h"

#include <charconv>

#include "gateway/content_type.h"
#include "gateway/json/json_util.h"
#include "gateway/response.h"
#include "gateway/routes/routes.h"

namespace meridian::gateway {

namespace asio = boost::asio;

namespace {

std::optional<int32_t> parse_partition_param(const std::string& s) {
  int32_t p = -1;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), p);
  if (ec != std::errc() || ptr != s.data() + s.size() || p < 0) {
    return std::nullopt;
  }
  return p;
}

// The request's accepted response type, or the 406.
ApiResult<std::string_view> negotiate_v2(const Request& req) {
  auto producibles = v2_producibles();
  auto chosen = negotiate(req[http::field::accept], producibles);
  if (!chosen) {
    return chosen.error();
  }
  return producibles[*chosen].media_type;
}

asio::awaitable<Response> produce_v2(RequestContext& ctx, ProduceService& service,
                                     bool to_partition) {
  const Request& req = ctx.request;
  auto content = parse_content_type(req[http::field::content_type]);
  if (!content) {
    co_return make_error_response(content.error(), req);
  }
  auto accept = negotiate_v2(req);
  if (!accept) {
    co_return make_error_response(accept.error(), req);
  }
  const std::string& topic = ctx.params.get("topic");
  std::optional<PartitionId> partition;
  if (to_partition) {
    auto p = parse_partition_param(ctx.params.get("partition"));
    if (!p) {
      co_return make_error_response(api_error(errc::partition_not_found), req);
    }
    partition = PartitionId(*p);
  }
  auto parsed = json::parse_produce_request(
      req.body(), content->format,
      to_partition ? json::ProduceTarget::kPartition : json::ProduceTarget::kTopic);
  if (!parsed) {
    co_return make_error_response(parsed.error(), req);
  }
  if (!json::valid_topic_name(topic)) {
    co_return make_error_response(api_error(errc::topic_not_found), req);
  }
  auto result = co_await service.produce(topic, partition, std::move(*parsed));
  if (!result) {
    co_return make_error_response(result.error(), req);
  }
  co_return make_response(http::status::ok, json::render_produce_response(*result), *accept,
                          req.version());
}

// Checks the v3 request's content type (application/json only) and the cluster id.
std::optional<ApiError> check_v3(RequestContext& ctx, ProduceService& service) {
  auto content = parse_content_type(ctx.request[http::field::content_type]);
  if (!content || content->kind != MediaKind::kJson) {
    return api_error(errc::unsupported_media_type);
  }
  if (auto chosen = negotiate(ctx.request[http::field::accept], v3_producibles()); !chosen) {
    return chosen.error();
  }
  if (ctx.params.get("cluster_id") != service.cluster_id()) {
    return api_error(errc::not_found, "Cluster " + ctx.params.get("cluster_id") + " not found.");
  }
  if (!json::valid_topic_name(ctx.params.get("topic"))) {
    return api_error(errc::not_found, "This server does not host this topic-partition.");
  }
  return std::nullopt;
}

json::DeliveryReport report_for(const ProduceService& service, const std::string& topic,
                                const json::V3ProduceRecord& rec, const ProduceOffset& o) {
  json::DeliveryReport r;
  r.cluster_id = service.cluster_id();
  r.topic_name = topic;
  r.partition = o.partition.value_or(PartitionId(-1));
  r.offset = o.offset.value_or(Offset(-1));
  r.timestamp_ms = rec.record.timestamp_ms.value_or(-1);
  r.key_type = rec.key_type;
  r.key_size = rec.record.key ? rec.record.key->size() : 0;
  r.value_type = rec.value_type;
  r.value_size = rec.record.value ? rec.record.value->size() : 0;
  return r;
}

// One record through the service; a per-record error becomes an ApiError.
asio::awaitable<ApiResult<json::DeliveryReport>> produce_one(ProduceService& service,
                                                             const std::string& topic,
                                                             const json::V3ProduceRecord& rec) {
  ProduceRequest request;
  request.records.push_back(rec.record);
  auto result = co_await service.produce(topic, std::nullopt, std::move(request));
  if (!result) {
    co_return result.error();
  }
  if (result->offsets.size() != 1) {
    co_return api_error(errc::internal);
  }
  const ProduceOffset& o = result->offsets.front();
  if (o.error_code) {
    co_return api_error(errc::kafka_error, o.error.value_or("Kafka error."));
  }
  co_return report_for(service, topic, rec, o);
}

asio::awaitable<Response> produce_v3(RequestContext& ctx, ProduceService& service) {
  const Request& req = ctx.request;
  if (auto e = check_v3(ctx, service)) {
    co_return make_error_response(*e, req);
  }
  auto rec = json::parse_v3_record(req.body());
  if (!rec) {
    co_return make_error_response(rec.error(), req);
  }
  auto report = co_await produce_one(service, ctx.params.get("topic"), *rec);
  if (!report) {
    co_return make_error_response(report.error(), req);
  }
  co_return make_response(http::status::ok, json::render_delivery_report(*report),
                          "application/json", req.version());
}

asio::awaitable<Response> produce_v3_batch(RequestContext& ctx, ProduceService& service,
                                           size_t max_entries) {
  const Request& req = ctx.request;
  if (auto e = check_v3(ctx, service)) {
    co_return make_error_response(*e, req);
  }
  auto entries = json::parse_v3_batch(req.body(), max_entries);
  if (!entries) {
    co_return make_error_response(entries.error(), req);
  }
  std::vector<json::BatchOutcome> outcomes;
  outcomes.reserve(entries->size());
  for (auto& entry : *entries) {
    json::BatchOutcome o{std::move(entry.id), std::nullopt, {}};
    if (!entry.record) {
      o.error = entry.record.error();
    } else {
      auto r = co_await produce_one(service, ctx.params.get("topic"), *entry.record);
      if (r) {
        o.report = std::move(*r);
      } else {
        o.error = r.error();
      }
    }
    outcomes.push_back(std::move(o));
  }
  co_return make_response(http::status::multi_status, json::render_v3_batch_response(outcomes),
                          "application/json", req.version());
}

}  // namespace

asio::awaitable<ApiResult<ProduceResponse>> UnavailableProduceService::produce(
    std::string, std::optional<PartitionId>, ProduceRequest) {
  co_return api_error(errc::broker_not_available,
                      "Broker not available: no cluster client is configured.");
}

void add_produce_routes(Router& router, ProduceService& service, ProduceRouteOptions options) {
  auto* svc = &service;
  router.add(
      http::verb::post, "/topics/{topic}",
      [svc](RequestContext& ctx) { return produce_v2(ctx, *svc, false); }, "topic.produce");
  router.add(
      http::verb::post, "/topics/{topic}/partitions/{partition}",
      [svc](RequestContext& ctx) { return produce_v2(ctx, *svc, true); }, "partition.produce");
  router.add(
      http::verb::post, "/v3/clusters/{cluster_id}/topics/{topic}/records",
      [svc](RequestContext& ctx) { return produce_v3(ctx, *svc); }, "v3.records.produce");
  router.add(
      http::verb::post, "/v3/clusters/{cluster_id}/topics/{topic}/records:batch",
      [svc, max = options.max_batch_entries](RequestContext& ctx) {
        return produce_v3_batch(ctx, *svc, max);
      },
      "v3.records.batch");
}

}  // namespace meridian::gateway
