// GET /topics/{topic}/partitions/{partition}/records?offset=&max_bytes=&timeout=: a stateless
// read (no consumer instance, so any gateway behind a load balancer answers). The response is
// the same bare array as a consumer's records, with `timestamp` and `headers`.
#include <charconv>

#include "gateway/content_type.h"
#include "gateway/json/consumer.h"
#include "gateway/json/json_util.h"
#include "gateway/response.h"
#include "gateway/routes/admin_routes.h"

namespace meridian::gateway {

namespace asio = boost::asio;

namespace {

// A non-negative integer query parameter; absent gives `fallback`. Non-numeric, negative or
// overflowing values are 400 naming the parameter.
ApiResult<int64_t> query_int(std::string_view query, std::string_view name, int64_t fallback) {
  auto v = query_param(query, name);
  if (!v) {
    return fallback;
  }
  int64_t out = -1;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || ptr != v->data() + v->size() || out < 0) {
    return api_error(errc::bad_request, "Bad Request: query parameter " + std::string(name) +
                                            " must be a non-negative integer");
  }
  return out;
}

asio::awaitable<Response> read(RequestContext& ctx, ClusterAdmin& admin,
                               const StatelessReadOptions& o) {
  const Request& req = ctx.request;
  const std::string& topic = ctx.params.get("topic");
  if (!json::valid_topic_name(topic)) {
    co_return make_error_response(api_error(errc::topic_not_found), req);
  }
  const std::string& ps = ctx.params.get("partition");
  int32_t p = -1;
  auto [ptr, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), p);
  if (ec != std::errc() || ptr != ps.data() + ps.size() || p < 0) {
    co_return make_error_response(api_error(errc::partition_not_found), req);
  }
  auto offset = query_int(ctx.query, "offset", -1);
  auto max_bytes = query_int(ctx.query, "max_bytes", o.default_max_bytes);
  auto timeout = query_int(ctx.query, "timeout", 0);
  if (!offset || !max_bytes || !timeout) {
    co_return make_error_response(
        !offset ? offset.error() : !max_bytes ? max_bytes.error() : timeout.error(), req);
  }
  if (*offset < 0) {
    co_return make_error_response(
        api_error(errc::bad_request, "Bad Request: query parameter offset is required"), req);
  }
  // Without a consumer the format comes from Accept alone: binary unless json is asked for.
  EmbeddedFormat format = EmbeddedFormat::kBinary;
  auto json_first = negotiate_records(req[http::field::accept], EmbeddedFormat::kJson);
  auto binary = negotiate_records(req[http::field::accept], EmbeddedFormat::kBinary);
  if (!binary && json_first) {
    format = EmbeddedFormat::kJson;
  } else if (!binary) {
    co_return make_error_response(binary.error(), req);
  }
  const int32_t bytes = static_cast<int32_t>(std::min(*max_bytes, o.max_max_bytes));
  const std::chrono::milliseconds wait(std::min(*timeout, o.max_timeout_ms));
  std::string t = topic;
  const PartitionId partition(p);
  const Offset from(*offset);
  auto recs = co_await admin.read(t, partition, from, bytes, wait);
  if (!recs) {
    co_return make_error_response(recs.error(), req);
  }
  auto body = json::render_records(*recs, format);
  if (!body) {
    co_return make_error_response(body.error(), req);
  }
  co_return make_response(http::status::ok, std::move(*body), format_media_type(format),
                          req.version());
}

}  // namespace

void add_stateless_read_routes(Router& router, ClusterAdmin& admin, StatelessReadOptions options) {
  ClusterAdmin* a = &admin;
  router.add(
      http::verb::get, "/topics/{topic}/partitions/{partition}/records",
      [a, options](RequestContext& ctx) { return read(ctx, *a, options); }, "partition.records");
}

}  // namespace meridian::gateway
