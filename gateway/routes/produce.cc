// Produce routes: parse (content type, Accept, body; all pure) -> ProduceService (async) ->
// render. Validation order follows Jersey: 415 on Content-Type, 406 on Accept, then the body.
#include "gateway/json/produce.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <deque>
#include <memory>
#include <utility>

#include "gateway/content_type.h"
#include "gateway/http_errors.h"
#include "gateway/json/json_util.h"
#include "gateway/response.h"
#include "gateway/routes/json_stream.h"
#include "gateway/routes/routes.h"

namespace meridian::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

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
std::optional<ApiError> check_v3(const Request& request, const PathParams& params,
                                 const ProduceService& service) {
  auto content = parse_content_type(request[http::field::content_type]);
  if (!content || content->kind != MediaKind::kJson) {
    return api_error(errc::unsupported_media_type);
  }
  if (auto chosen = negotiate(request[http::field::accept], v3_producibles()); !chosen) {
    return chosen.error();
  }
  if (params.get("cluster_id") != service.cluster_id()) {
    return api_error(errc::not_found, "Cluster " + params.get("cluster_id") + " not found.");
  }
  if (!json::valid_topic_name(params.get("topic"))) {
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
  if (auto e = check_v3(ctx.request, ctx.params, service)) {
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
  if (auto e = check_v3(ctx.request, ctx.params, service)) {
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

// ---- v3 streaming mode: concatenated JSON records in, one report per record out, in order ----

// Records read but not yet answered, and their bytes: the bound on a stream's memory (with the
// splitter's one record in progress). The reader stops reading while either is reached.
constexpr size_t kStreamWindowRecords = 1024;
constexpr size_t kStreamWindowBytes = 32 * 1024 * 1024;

// One stream's state, on the connection strand only. Produce calls in flight hold it, so it
// outlives the handler when the client vanished mid-stream.
struct StreamState {
  explicit StreamState(const asio::any_io_executor& ex)
      : wake(ex), space(ex), finished(ex), deadline(ex) {}
  std::deque<std::optional<std::string>> slots;  // front: the next report to write
  uint64_t base = 0;                             // sequence number of slots.front()
  size_t bytes_in_flight = 0;
  bool input_done = false;
  bool failed = false;  // a write failed: stop reading
  bool writer_done = false;
  // streaming.connection.max.duration.ms: once reached (`expired`) each record read is answered
  // 408 instead of produced; the grace period later (`closing`) the reader stops and the writer
  // ends the response, or drops the connection if a report is still missing. The pending read is
  // cancelled by whoever finds no write outstanding (tcp_stream::cancel would abort a write
  // too), so `cancel_read` hands that job to the writer while it writes.
  bool expired = false;
  bool closing = false;
  bool writing = false;
  bool cancel_read = false;
  // Timers as condition variables (cancel() signals). Every waiter re-checks state before it
  // waits, and signals come from the same strand, so none is lost.
  asio::steady_timer wake;      // writer: a report is ready or the input ended
  asio::steady_timer space;     // reader: the window has room again
  asio::steady_timer finished;  // handler: the writer is done
  asio::steady_timer deadline;  // the stream's maximum duration, then the grace period
};

asio::awaitable<void> wait_signal(asio::steady_timer& timer) {
  timer.expires_at(asio::steady_timer::time_point::max());
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

void fill_slot(StreamState& st, uint64_t seq, std::string report) {
  st.slots[seq - st.base] = std::move(report);
  st.wake.cancel();
}

// Writes ready reports (each its own line, several per chunk when they are ready together),
// then the last chunk once the input ended and every record is answered.
asio::awaitable<void> write_reports(beast::tcp_stream& stream, std::shared_ptr<StreamState> st,
                                    std::chrono::milliseconds timeout) {
  std::string chunk;
  while (!st->failed) {
    chunk.clear();
    while (!st->slots.empty() && st->slots.front()) {
      chunk.append(*st->slots.front()).push_back('\n');
      st->slots.pop_front();
      ++st->base;
    }
    if (!chunk.empty()) {
      st->space.cancel();
      stream.expires_after(timeout);
      st->writing = true;
      auto [ec, n] =
          co_await asio::async_write(stream, http::make_chunk(asio::buffer(chunk)), kTuple);
      st->writing = false;
      st->failed = static_cast<bool>(ec);
      if (std::exchange(st->cancel_read, false)) {
        stream.cancel();  // only the reader's read is outstanding now
      }
      continue;
    }
    if (st->closing && !st->slots.empty()) {
      st->failed = true;  // grace period over with a report missing: no clean end
      break;
    }
    if (st->input_done && st->slots.empty()) {
      stream.expires_after(timeout);
      auto [ec, n] = co_await asio::async_write(stream, http::make_chunk_last(), kTuple);
      st->failed = static_cast<bool>(ec);
      break;
    }
    co_await wait_signal(st->wake);
  }
  if (st->failed) {
    stream.cancel();  // the reader's pending read
    st->space.cancel();
  }
  st->writer_done = true;
  st->finished.cancel();
}

// Parses one record and starts its produce; its report fills the record's slot.
void launch_record(std::shared_ptr<StreamState> st, ProduceService& service,
                   const std::string& topic, std::string_view text) {
  auto rec = json::parse_v3_record(text);
  st->slots.emplace_back();
  uint64_t seq = st->base + st->slots.size() - 1;
  if (!rec) {
    fill_slot(*st, seq, render_error_body(rec.error()));
    return;
  }
  size_t bytes = text.size();
  st->bytes_in_flight += bytes;
  auto ex = st->wake.get_executor();
  auto work = [st, &service, topic, seq, bytes,
               record = std::move(*rec)]() -> asio::awaitable<void> {
    auto report = co_await produce_one(service, topic, record);
    st->bytes_in_flight -= bytes;
    st->space.cancel();
    fill_slot(*st, seq,
              report ? json::render_delivery_report(*report) : render_error_body(report.error()));
  };
  asio::co_spawn(ex, std::move(work), asio::detached);
}

// The stream's maximum duration, then its grace period, as the Confluent REST Proxy: after
// `after` records still arriving are answered 408; records read before keep being produced and
// answered for `grace`; then the input stops and the response ends (or the connection drops if
// a report is still missing: those records' fate is unknown to the client, as on any failure).
asio::awaitable<void> expire_stream(beast::tcp_stream& stream, std::shared_ptr<StreamState> st,
                                    std::chrono::milliseconds after,
                                    std::chrono::milliseconds grace) {
  st->deadline.expires_after(after);
  auto [ec] = co_await st->deadline.async_wait(kTuple);
  if (ec || st->input_done || st->failed) {
    co_return;  // cancelled, or the handler is past reading (the stream may be gone)
  }
  st->expired = true;
  st->deadline.expires_after(grace);
  auto [gec] = co_await st->deadline.async_wait(kTuple);
  if (gec || st->writer_done) {
    co_return;  // everything was answered in time (the stream may be gone)
  }
  st->closing = true;
  st->wake.cancel();
  st->space.cancel();
  if (st->input_done) {
    co_return;  // the handler waits for the writer only: no read to cancel
  }
  if (st->writing) {
    st->cancel_read = true;
  } else {
    stream.cancel();
  }
}

// The report of a record that arrived after streaming.connection.max.duration.ms (Confluent's
// StatusCodeException REQUEST_TIMEOUT text).
std::string late_record_report() {
  return render_error_body(api_error(
      errc::request_timeout,
      "Streaming connection open for longer than allowed: Connection will be closed."));
}

// Reads the chunked body and launches each whole record. True: the body ended cleanly.
asio::awaitable<bool> read_records(StreamContext& ctx, ProduceService& service,
                                   std::shared_ptr<StreamState> st) {
  JsonValueSplitter splitter(ctx.record_limit);
  auto on_chunk = [&splitter](uint64_t, beast::string_view body, beast::error_code&) {
    splitter.append(std::string_view(body.data(), body.size()));
    return body.size();
  };
  ctx.parser.body_limit(boost::none);  // a stream is bounded per record and by the window
  ctx.parser.on_chunk_body(on_chunk);
  const std::string topic = ctx.params.get("topic");
  for (;;) {
    if (st->failed) {
      co_return false;
    }
    if (st->slots.size() >= kStreamWindowRecords || st->bytes_in_flight >= kStreamWindowBytes) {
      co_await wait_signal(st->space);
      continue;
    }
    std::string_view value;
    auto next = splitter.next(value);
    if (next == JsonValueSplitter::Next::kValue) {
      if (st->expired) {
        st->slots.emplace_back(late_record_report());
        st->wake.cancel();
      } else {
        launch_record(st, service, topic, value);
      }
      continue;
    }
    if (next == JsonValueSplitter::Next::kTooLarge) {
      st->slots.emplace_back(render_error_body(api_error(
          errc::payload_too_large,
          "Record larger than " + std::to_string(ctx.record_limit) + " bytes.")));
      co_return false;
    }
    if (st->closing && !ctx.parser.is_done()) {
      co_return false;  // a partial record is dropped unanswered; the connection closes
    }
    if (ctx.parser.is_done()) {
      if (splitter.has_partial()) {
        st->slots.emplace_back(render_error_body(api_error(
            errc::bad_request, "Bad Request: incomplete JSON record at the end of the stream: " +
                                   std::string(splitter.partial(64)))));
      }
      co_return true;
    }
    ctx.stream.expires_after(ctx.read_timeout);
    auto [ec, n] = co_await http::async_read_some(ctx.stream, ctx.buffer, ctx.parser, kTuple);
    if (ec) {
      co_return false;  // the client went away, timed out, sent bad chunk framing or the grace
                        // period ended (closing)
    }
  }
}

// POST .../records with Transfer-Encoding: chunked. Status 200 and the response header go out
// at once; then one report per record, in order, as each is acknowledged.
asio::awaitable<bool> produce_v3_stream(StreamContext& ctx, ProduceService& service) {
  const Request& req = ctx.parser.get();
  if (auto e = check_v3(req, ctx.params, service)) {
    Response res = make_error_response(*e, req);
    res.keep_alive(false);
    res.prepare_payload();
    ctx.stream.expires_after(ctx.write_timeout);
    co_await http::async_write(ctx.stream, res, kTuple);
    co_return false;
  }
  http::response<http::empty_body> head{http::status::ok, req.version()};
  head.set(http::field::content_type, "application/json");
  head.chunked(true);
  head.keep_alive(req.keep_alive());
  http::response_serializer<http::empty_body> serializer{head};
  ctx.stream.expires_after(ctx.write_timeout);
  auto [hec, hn] = co_await http::async_write_header(ctx.stream, serializer, kTuple);
  if (hec) {
    co_return false;
  }
  auto ex = ctx.stream.get_executor();
  auto st = std::make_shared<StreamState>(ex);
  auto writer = [st, &stream = ctx.stream,
                 timeout = ctx.write_timeout]() -> asio::awaitable<void> {
    co_await write_reports(stream, st, timeout);
  };
  asio::co_spawn(ex, std::move(writer), asio::detached);
  auto expiry = [st, &stream = ctx.stream, after = ctx.max_duration,
                 grace = ctx.grace_period]() -> asio::awaitable<void> {
    co_await expire_stream(stream, st, after, grace);
  };
  asio::co_spawn(ex, std::move(expiry), asio::detached);
  bool complete = co_await read_records(ctx, service, st);
  st->input_done = true;
  if (!st->expired) {
    st->deadline.cancel();  // past it, the grace period still bounds the wait for reports
  }
  st->wake.cancel();
  while (!st->writer_done) {
    co_await wait_signal(st->finished);
  }
  st->deadline.cancel();
  co_return complete && !st->failed && !st->expired && req.keep_alive();
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
  router.add_stream(
      http::verb::post, "/v3/clusters/{cluster_id}/topics/{topic}/records",
      [svc](StreamContext& ctx) { return produce_v3_stream(ctx, *svc); }, "v3.records.stream");
  router.add(
      http::verb::post, "/v3/clusters/{cluster_id}/topics/{topic}/records:batch",
      [svc, max = options.max_batch_entries](RequestContext& ctx) {
        return produce_v3_batch(ctx, *svc, max);
      },
      "v3.records.batch");
}

}  // namespace meridian::gateway
