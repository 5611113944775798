// The gateway's HTTP server on a real loopback socket: every kind of bad input gets the right
// status and Confluent error_code, and the server keeps serving (a follow-up /healthz).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <thread>

#include "gateway/response.h"
#include "gateway/routes/routes.h"
#include "gateway/server.h"
#include "test_client.h"

namespace meridian::gateway {
namespace {

using namespace std::chrono_literals;
using test::Connection;
using test::request_text;
using test::round_trip;

constexpr std::string_view kBinary = "Content-Type: application/vnd.kafka.binary.v2+json\r\n";

// 16 MiB, each byte a function of its position so a lost or repeated piece is seen.
std::string big_body() {
  std::string body(16 * 1024 * 1024, '\0');
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  }
  return body;
}

class GatewayHttp : public ::testing::Test {
 protected:
  void SetUp() override { start(ServerOptions{}); }

  void start(ServerOptions o) {
    server_.reset();
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 2;
    o.body_limit = 1024 * 1024;
    o.read_timeout = 600ms;
    o.idle_timeout = 800ms;
    o.linger_timeout = 500ms;
    Router router;
    add_produce_routes(router, produce_, {.max_batch_entries = 3});
    add_consumer_routes(router, consumers_);
    add_metadata_routes(router, metadata_);
    // A route that takes a while, for the drain test; needs no cluster.
    router.add(
        http::verb::get, "/slow",
        [](RequestContext& ctx) -> boost::asio::awaitable<Response> {
          boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 300ms);
          co_await t.async_wait(boost::asio::use_awaitable);
          co_return make_response(http::status::ok, "{}", "application/json",
                                  ctx.request.version());
        },
        "test.slow");
    // A reply far larger than the loopback socket buffers: the direct send writes part of it
    // and the rest goes out asynchronously under the write timeout.
    router.add(
        http::verb::get, "/big",
        [](RequestContext& ctx) -> boost::asio::awaitable<Response> {
          co_return make_response(http::status::ok, big_body(), "application/octet-stream",
                                  ctx.request.version());
        },
        "test.big");
    server_ = std::make_unique<Server>(o, std::move(router), [this] {
      return Readiness{ready_.load(), "cluster down"};
    });
    ASSERT_TRUE(server_->start());
    port_ = server_->port();
  }

  void TearDown() override {
    if (server_) {
      server_->stop(1s);
    }
  }

  // The server still answers a fresh connection.
  void expect_serving() {
    auto r = round_trip(port_, request_text("GET", "/healthz"));
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "ok\n");
  }

  void expect_error(const test::Reply& r, unsigned status, int code) {
    EXPECT_EQ(r.status, status) << r.body;
    ASSERT_FALSE(r.json.is_discarded()) << r.body;
    EXPECT_EQ(r.json["error_code"], code) << r.body;
    EXPECT_TRUE(r.json["message"].is_string()) << r.body;
  }

  test::Reply produce(std::string_view body, std::string_view headers = kBinary,
                      std::string_view target = "/topics/test") {
    return round_trip(port_, request_text("POST", target, body, headers));
  }

  UnavailableProduceService produce_;
  UnavailableConsumerService consumers_;
  UnavailableMetadataService metadata_;
  std::atomic<bool> ready_{false};
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
};

TEST_F(GatewayHttp, HealthAndReadiness) {
  expect_serving();
  auto live = round_trip(port_, request_text("GET", "/livez?verbose"));
  EXPECT_EQ(live.status, 200u);
  auto r = round_trip(port_, request_text("GET", "/readyz"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.body, "not ready: cluster down\n");
  ready_ = true;
  EXPECT_EQ(round_trip(port_, request_text("GET", "/readyz")).status, 200u);
  EXPECT_EQ(round_trip(port_, request_text("GET", "/v1/status/ready")).status, 200u);
}

TEST_F(GatewayHttp, UnknownRoutesAndMethods) {
  auto r = round_trip(port_, request_text("GET", "/nope"));
  expect_error(r, 404, 404);
  EXPECT_EQ(r.content_type, "application/vnd.kafka.v2+json");
  auto v3 = round_trip(port_, request_text("GET", "/v3/nope"));
  expect_error(v3, 404, 404);
  EXPECT_EQ(v3.content_type, "application/json");
  Connection c(port_);
  c.send(request_text("DELETE", "/topics/test"));
  auto m = c.read();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->result_int(), 405u);
  EXPECT_EQ((*m)[http::field::allow], "POST, GET");
  expect_serving();
}

TEST_F(GatewayHttp, ProduceBadBodies) {
  expect_error(produce("{not json"), 400, 400);
  expect_error(produce(R"({"records":"x"})"), 422, 422);
  expect_error(produce(R"({"records":[{"value":"@@@@"}]})"), 422, 42203);
  expect_error(produce(R"({"records":[{"value":5}]})"), 422, 422);
  auto missing = produce("{}");
  expect_error(missing, 422, 422);
  EXPECT_EQ(missing.json["message"], "records may not be null");
  auto empty = produce(R"({"records":[]})");
  expect_error(empty, 422, 422);
  EXPECT_EQ(empty.json["message"], "records may not be empty");
  auto unknown = produce(R"({"records":[{"value":"a2V5"}],"bogus":true})");
  expect_error(unknown, 422, 422);
  EXPECT_EQ(unknown.json["message"], "Unrecognized field: bogus");
  expect_error(produce(R"({"value_schema_id":1,"records":[{"value":1}]})",
                       "Content-Type: application/vnd.kafka.avro.v2+json\r\n"),
               501, 501);
  expect_error(produce(R"({"records":[{"value":1}]})",
                       "Content-Type: application/vnd.kafka.avro.v2+json\r\n"),
               422, 42202);
  expect_serving();
}

TEST_F(GatewayHttp, ProduceContentTypesAndAccept) {
  const std::string ok = R"({"records":[{"value":"a2V5"}]})";
  expect_error(produce(ok, "Content-Type: text/plain\r\n"), 415, 415);
  expect_error(produce(ok, "Content-Type: application/vnd.kafka.binary.v1+json\r\n"), 415, 415);
  expect_error(produce(ok, std::string(kBinary) + "Accept: text/html\r\n"), 406, 406);
  // Valid requests pass every check and reach the cluster call, which is not wired yet.
  expect_error(produce(ok, ""), 503, 50302);  // no Content-Type: octet-stream = binary
  expect_error(produce(ok, "Content-Type: application/json\r\n"), 503, 50302);
  expect_error(produce(R"({"records":[{"value":{"a":1}}]})",
                       "Content-Type: application/vnd.kafka.json.v2+json\r\n"),
               503, 50302);
  expect_error(
      produce(ok, std::string(kBinary) +
                      "Accept: application/vnd.kafka.v2+json; q=0.9, application/json; q=0.5\r\n"),
      503, 50302);
  // Partition path parameter and topic names.
  expect_error(produce(ok, kBinary, "/topics/test/partitions/abc"), 404, 40402);
  expect_error(produce(ok, kBinary, "/topics/test/partitions/-1"), 404, 40402);
  expect_error(produce(ok, kBinary, "/topics/a%20b"), 404, 40401);
  expect_serving();
}

TEST_F(GatewayHttp, V3ProduceAndBatch) {
  const std::string_view json_ct = "Content-Type: application/json\r\n";
  auto bad = produce(R"({"value":{"type":"BINARY","data":1}})", json_ct,
                     "/v3/clusters/meridian/topics/t/records");
  expect_error(bad, 400, 400);
  EXPECT_EQ(bad.json["message"], "Bad Request: data=1 is not a base64 string.");
  EXPECT_EQ(bad.content_type, "application/json");
  expect_error(produce("{}", kBinary, "/v3/clusters/meridian/topics/t/records"), 415, 415);
  expect_error(produce("{}", json_ct, "/v3/clusters/other/topics/t/records"), 404, 404);
  auto empty =
      produce(R"({"entries":[]})", json_ct, "/v3/clusters/meridian/topics/t/records:batch");
  expect_error(empty, 422, 42208);
  EXPECT_EQ(empty.json["message"], "Empty batch.");
  expect_error(produce(R"({"entries":[{"id":"1"},{"id":"1"}]})", json_ct,
                       "/v3/clusters/meridian/topics/t/records:batch"),
               422, 42208);
  expect_error(produce(R"({"entries":[{"id":"1"},{"id":"2"},{"id":"3"},{"id":"4"}]})", json_ct,
                       "/v3/clusters/meridian/topics/t/records:batch"),
               422, 42208);
  auto multi = produce(R"({"entries":[{"id":"a","value":{"type":"STRING","data":"x"}},
                        {"id":"b","value":{"type":"BINARY","data":"!"}}]})",
                       json_ct, "/v3/clusters/meridian/topics/t/records:batch");
  EXPECT_EQ(multi.status, 207u);
  ASSERT_EQ(multi.json["failures"].size(), 2u) << multi.body;
  EXPECT_EQ(multi.json["failures"][0]["id"], "a");
  EXPECT_EQ(multi.json["failures"][0]["error_code"], 50302);  // no cluster yet
  EXPECT_EQ(multi.json["failures"][1]["error_code"], 400);
  expect_serving();
}

TEST_F(GatewayHttp, ConsumerRoutesValidateBeforeTheCluster) {
  const std::string v2 = "Content-Type: application/vnd.kafka.v2+json\r\n";
  const std::string inst = "/consumers/testgroup/instances/my_consumer";
  auto unknown = produce(R"({"name":"c","max.poll.records":5})", v2, "/consumers/testgroup/");
  expect_error(unknown, 422, 422);
  EXPECT_EQ(unknown.json["message"], "Unrecognized field: max.poll.records");
  expect_error(produce(R"({"format":"xml"})", v2, "/consumers/testgroup"), 422, 42204);
  expect_error(produce(R"({"name":"c"})", "Content-Type: text/plain\r\n", "/consumers/g"), 415,
               415);
  expect_error(produce(R"({"name":"c"})", std::string(kBinary), "/consumers/g"), 415, 415);
  expect_error(produce(R"({"name":"c","format":"binary"})", v2, "/consumers/g"), 503, 50302);
  expect_error(produce(R"({"topics":["a"],"topic_pattern":"b"})", v2, inst + "/subscription"), 409,
               40903);
  expect_error(
      produce(R"({"offsets":[{"topic":"t","partition":0,"offset":-1}]})", v2, inst + "/positions"),
      422, 422);
  expect_error(produce(R"({"partitions":[{"topic":"t"}]})", v2, inst + "/positions/end"), 422, 422);
  expect_error(produce(R"({"topics":["a"]})", v2, inst + "/subscription"), 503, 50302);
  expect_error(round_trip(port_, request_text("GET", inst + "/records?timeout=abc")), 400, 400);
  expect_error(round_trip(port_, request_text("GET", inst + "/records?max_bytes=-5")), 400, 400);
  expect_error(
      round_trip(port_, request_text("GET", inst + "/records?timeout=3000&max_bytes=300000")), 503,
      50302);
  expect_error(round_trip(port_, request_text("GET", inst + "/offsets")), 404, 40402);
  expect_error(round_trip(port_, request_text("DELETE", inst, {}, v2)), 503, 50302);
  expect_error(produce("", v2, inst + "/offsets"), 503, 50302);  // empty body: commit all
  expect_serving();
}

TEST_F(GatewayHttp, MetadataRoutesValidateBeforeTheCluster) {
  for (const char* t :
       {"/topics", "/topics/test", "/topics/test/partitions", "/topics/test/partitions/0",
        "/topics/test/partitions/0/offsets", "/brokers"}) {
    expect_error(round_trip(port_, request_text("GET", t)), 503, 50302);
  }
  expect_error(round_trip(port_, request_text("GET", "/topics/test/partitions/x/offsets")), 404,
               40402);
  expect_error(round_trip(port_, request_text("GET", "/topics/test/partitions/-1")), 404, 40402);
  expect_error(round_trip(port_, request_text("GET", "/topics/a%20b")), 404, 40401);
  expect_error(round_trip(port_, request_text("GET", "/brokers", {}, "Accept: text/html\r\n")), 406,
               406);
  expect_serving();
}

TEST_F(GatewayHttp, BodyOverLimitIs413AndCloses) {
  Connection c(port_);
  std::string body(10 * 1024 * 1024, 'x');
  std::string head = "POST /topics/test HTTP/1.1\r\nHost: x\r\n" + std::string(kBinary) +
                     "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  c.send(head);
  c.send(body);  // may fail part-way once the server closes; the reply is already queued
  auto r = c.read();
  ASSERT_TRUE(r);
  auto reply = test::to_reply(*r);
  expect_error(reply, 413, 413);
  EXPECT_FALSE(reply.keep_alive);
  EXPECT_TRUE(c.closed_by_peer());
  expect_serving();
}

TEST_F(GatewayHttp, ChunkedBodyOverLimitIs413) {
  Connection c(port_);
  std::string head = "POST /topics/test HTTP/1.1\r\nHost: x\r\n" + std::string(kBinary) +
                     "Transfer-Encoding: chunked\r\n\r\n";
  c.send(head);
  std::string chunk = "100000\r\n" + std::string(0x100000, 'y') + "\r\n";
  c.send(chunk);
  c.send(chunk);
  auto r = c.read();
  ASSERT_TRUE(r);
  expect_error(test::to_reply(*r), 413, 413);
  expect_serving();
}

TEST_F(GatewayHttp, Expect100ContinueOverLimitAnsweredEarly) {
  Connection c(port_);
  c.send(
      "POST /topics/test HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Length: 99999999\r\n\r\n");
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 413u);
  expect_serving();
}

TEST_F(GatewayHttp, HeaderFloodIs431) {
  std::string headers;
  for (int i = 0; i < 2000; ++i) {
    headers += "X-Flood-" + std::to_string(i) + ": " + std::string(40, 'a') + "\r\n";
  }
  Connection c(port_);
  c.send(request_text("GET", "/healthz", {}, headers));
  auto r = c.read();
  ASSERT_TRUE(r);
  expect_error(test::to_reply(*r), 431, 431);
  expect_serving();
}

TEST_F(GatewayHttp, SlowlorisIsCutAtReadTimeout) {
  Connection c(port_, 5s);
  const std::string req = request_text("GET", "/healthz");
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  // One byte every 100 ms: the whole request would take ~4 s; the read timeout is 600 ms.
  for (size_t i = 0; i < req.size() && std::chrono::steady_clock::now() - start < 4s; ++i) {
    if (!c.send(req.substr(i, 1))) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(100ms);
    int pending = 0;
    char probe;
    pending =
        static_cast<int>(recv(c.socket().native_handle(), &probe, 1, MSG_DONTWAIT | MSG_PEEK));
    if (pending == 0) {
      cut = true;  // orderly close from the server
      break;
    }
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(cut || c.closed_by_peer());
  EXPECT_LT(elapsed, 3s);
  expect_serving();
}

TEST_F(GatewayHttp, IdleKeepAliveConnectionsClose) {
  Connection c(port_, 3s);
  c.send(request_text("GET", "/healthz"));
  ASSERT_TRUE(c.read());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GT(elapsed, 500ms);
  EXPECT_LT(elapsed, 2500ms);
}

TEST_F(GatewayHttp, PathTraversalAndEncodingTricks) {
  for (const char* t : {"/topics/../brokers", "/topics/%2e%2e/x", "/topics/%2E%2e", "/topics/%zz",
                        "/topics/a%00", "/%2e%2e/%2e%2e/etc/passwd", "/topics/%"}) {
    auto r = round_trip(port_, request_text("GET", t));
    expect_error(r, 400, 400);
  }
  // Beast rejects these at the request line already.
  for (const char* t : {"/topics/a b", "/topics/\x01"}) {
    Connection c(port_);
    c.send(request_text("GET", t));
    auto r = c.read();
    ASSERT_TRUE(r) << t;
    EXPECT_EQ(r->result_int(), 400u);
  }
  expect_error(round_trip(port_, request_text("GET", "/topics/a%2Fb/c")), 404, 404);
  expect_serving();
}

TEST_F(GatewayHttp, KeepAliveAndPipelining) {
  Connection c(port_);
  std::string three = request_text("GET", "/healthz") + request_text("GET", "/nope") +
                      request_text("GET", "/livez");
  c.send(three);
  auto a = c.read();
  auto b = c.read();
  auto d = c.read();
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(a->result_int(), 200u);
  EXPECT_EQ(b->result_int(), 404u);
  EXPECT_EQ(d->result_int(), 200u);
  EXPECT_TRUE(d->keep_alive());
  c.send(request_text("GET", "/healthz"));
  auto e = c.read();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->result_int(), 200u);
}

TEST_F(GatewayHttp, LargeReplyToASlowReaderArrivesWholeAndTheConnectionGoesOn) {
  // 16 MiB is over what loopback socket buffers hold (tcp_wmem + tcp_rmem maxima, ~10 MB), so
  // the direct send stops part way and the rest is written asynchronously.
  Connection c(port_, 10s);
  c.send(request_text("GET", "/big") + request_text("GET", "/healthz"));
  std::this_thread::sleep_for(300ms);  // the server's send buffer fills up meanwhile
  auto big = c.read();
  ASSERT_TRUE(big);
  EXPECT_EQ(big->result_int(), 200u);
  EXPECT_EQ(big->body().size(), 16u * 1024 * 1024);
  EXPECT_TRUE(big->body() == big_body());
  EXPECT_TRUE(big->keep_alive());
  auto next = c.read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->result_int(), 200u);
  EXPECT_EQ(next->body(), "ok\n");
}

TEST_F(GatewayHttp, WriteTimeoutDropsAReaderThatNeverReads) {
  ServerOptions o;
  o.write_timeout = 500ms;
  start(o);
  Connection c(port_, 5s);
  int small = 4096;
  setsockopt(c.socket().native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  c.send(request_text("GET", "/big"));
  auto start = std::chrono::steady_clock::now();
  // The accept may not have happened yet: count from the moment the server holds the connection.
  while (server_->active_connections() == 0 && std::chrono::steady_clock::now() - start < 5s) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_GT(server_->active_connections(), 0u);
  while (server_->active_connections() > 0 && std::chrono::steady_clock::now() - start < 5s) {
    std::this_thread::sleep_for(20ms);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(server_->active_connections(), 0u);  // the stuck reply was abandoned
  EXPECT_GE(elapsed, 400ms);
  EXPECT_LT(elapsed, 3s);
  expect_serving();
}

TEST_F(GatewayHttp, ReplyHeadBytesAsBeastWritesThem) {
  // HTTP/1.0 without keep-alive: the server answers in 1.0 and closes.
  Connection c(port_);
  c.send("GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n");
  std::string raw;
  char chunk[4096];
  for (;;) {
    boost::system::error_code ec;
    size_t n = c.socket().read_some(boost::asio::buffer(chunk), ec);
    raw.append(chunk, n);
    if (ec) {
      break;
    }
  }
  EXPECT_TRUE(raw.starts_with("HTTP/1.0 200 OK\r\n")) << raw;
  EXPECT_NE(raw.find("\r\nContent-Length: 3\r\n"), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\nok\n")) << raw;
  // And 1.1 with keep-alive: no Connection header, the same framing.
  Connection k(port_);
  k.send(request_text("GET", "/nope"));
  auto r = k.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->version(), 11u);
  EXPECT_EQ(r->result_int(), 404u);
  EXPECT_TRUE(r->keep_alive());
  EXPECT_EQ(r->body().size(), std::stoul(std::string((*r)[http::field::content_length])));
}

TEST_F(GatewayHttp, PipelinedGarbage) {
  Connection c(port_);
  c.send(request_text("GET", "/healthz") + "GARBAGE GARBAGE\r\n\r\n" +
         request_text("GET", "/healthz"));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result_int(), 200u);
  auto b = c.read();
  ASSERT_TRUE(b);
  expect_error(test::to_reply(*b), 400, 400);
  EXPECT_FALSE(b->keep_alive());
  EXPECT_TRUE(c.closed_by_peer());
  for (const char* junk :
       {"\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
        "POST /topics/t HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "POST /topics/t HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header\r\n\r\n"}) {
    Connection j(port_);
    j.send(junk);
    auto r = j.read();
    if (r) {
      EXPECT_EQ(r->result_int(), 400u) << junk;
    }
    EXPECT_TRUE(j.closed_by_peer()) << junk;
  }
  expect_serving();
}

TEST_F(GatewayHttp, RateLimitAnswers429) {
  ServerOptions o;
  o.rate_limit = {true, 3, 0};
  start(o);
  int ok = 0;
  int limited = 0;
  test::Reply last;
  for (int i = 0; i < 6; ++i) {
    auto r = round_trip(port_, request_text("GET", "/healthz"));
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      last = r;
    }
  }
  EXPECT_GE(ok, 3);
  EXPECT_GE(limited, 2);
  expect_error(last, 429, 42901);
}

TEST_F(GatewayHttp, GracefulDrainFinishesInFlight) {
  ready_ = true;
  auto inflight = std::async(std::launch::async, [port = port_] {
    return round_trip(port, request_text("GET", "/slow"));
  });
  std::this_thread::sleep_for(100ms);  // the request is in its handler now
  auto begin = std::chrono::steady_clock::now();
  server_->stop(3s);
  auto elapsed = std::chrono::steady_clock::now() - begin;
  auto r = inflight.get();
  EXPECT_EQ(r.status, 200u);
  EXPECT_FALSE(r.keep_alive);  // draining: the connection closes after the reply
  EXPECT_LT(elapsed, 2s);
  EXPECT_TRUE(server_->draining());
  EXPECT_EQ(server_->active_connections(), 0u);
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  boost::system::error_code ec;
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
  EXPECT_TRUE(ec);  // no longer accepting
  server_.reset();
}

}  // namespace
}  // namespace meridian::gateway
