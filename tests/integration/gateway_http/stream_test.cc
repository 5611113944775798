// v3 streaming produce (Transfer-Encoding: chunked) on a real loopback socket, against a fake
// produce service with per-record delays: reports come back one per record, in order, while the
// client is still sending; bad records fail alone; the connection stays usable afterwards.
// Plus the JSON value splitter the stream is cut with.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>
#include <thread>

#include "gateway/routes/json_stream.h"
#include "gateway/routes/routes.h"
#include "gateway/server.h"
#include "test_client.h"

namespace meridian::gateway {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
using test::Connection;

// Offsets in completion order; a value "slow" takes 300 ms (so later records finish first and
// the reports must still come out in request order), "glacial" 2 s, a value "fail" fails with
// 50002.
class FakeProduceService final : public ProduceService {
 public:
  asio::awaitable<ApiResult<ProduceResponse>> produce(std::string, std::optional<PartitionId>,
                                                      ProduceRequest request) override {
    const auto& first = request.records.empty() ? std::nullopt : request.records[0].value;
    const auto delay = first == "slow" ? 300ms : first == "glacial" ? 2000ms : 5ms;
    asio::steady_timer t(co_await asio::this_coro::executor, delay);
    co_await t.async_wait(asio::use_awaitable);
    ProduceResponse out;
    for (const auto& r : request.records) {
      ProduceOffset o;
      if (r.value == "fail") {
        o.error_code = 50002;
        o.error = "boom";
      } else {
        o.partition = PartitionId(0);
        o.offset = Offset(next_++);
      }
      out.offsets.push_back(std::move(o));
    }
    co_return out;
  }
  const std::string& cluster_id() const override { return id_; }
  std::atomic<int64_t> next_{0};

 private:
  std::string id_ = "meridian";
};

std::string record(const std::string& value) {
  return R"({"value":{"type":"STRING","data":")" + value + R"("}})";
}

std::string chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

const std::string kHead =
    "POST /v3/clusters/meridian/topics/t/records HTTP/1.1\r\nHost: x\r\n"
    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

// Reads a chunked response incrementally: the header, then report lines as they arrive.
class StreamReader {
 public:
  explicit StreamReader(Connection& c) : c_(c) {
    parser_.on_chunk_body(on_chunk_);
    beast::error_code ec;
    http::read_header(c_.socket(), buffer_, parser_, ec);
    ok_ = !ec;
  }
  bool ok() const { return ok_; }
  unsigned status() const { return parser_.get().result_int(); }
  // Reads until `n` lines in total arrived (or the response ended / timed out).
  std::vector<nlohmann::json> lines(size_t n) {
    while (count() < n && !parser_.is_done()) {
      beast::error_code ec;
      http::read_some(c_.socket(), buffer_, parser_, ec);
      if (ec) {
        break;
      }
    }
    std::vector<nlohmann::json> out;
    size_t start = 0;
    for (size_t nl; (nl = text_.find('\n', start)) != std::string::npos; start = nl + 1) {
      out.push_back(nlohmann::json::parse(text_.substr(start, nl - start), nullptr, false));
    }
    return out;
  }
  bool finish() {
    while (!parser_.is_done()) {
      beast::error_code ec;
      http::read_some(c_.socket(), buffer_, parser_, ec);
      if (ec) {
        return false;
      }
    }
    return true;
  }

 private:
  size_t count() const { return static_cast<size_t>(std::count(text_.begin(), text_.end(), '\n')); }
  Connection& c_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  std::string text_;
  std::function<size_t(uint64_t, beast::string_view, beast::error_code&)> on_chunk_ =
      [this](uint64_t, beast::string_view body, beast::error_code&) {
        text_.append(body.data(), body.size());
        return body.size();
      };
  bool ok_ = false;
};

class GatewayStream : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 2;
    o.body_limit = 4096;  // the largest single record of a stream
    o.read_timeout = 2s;
    Router router;
    add_produce_routes(router, produce_);
    server_ = std::make_unique<Server>(o, std::move(router), [] { return Readiness{true, ""}; });
    ASSERT_TRUE(server_->start());
    port_ = server_->port();
  }
  void TearDown() override { server_->stop(1s); }

  FakeProduceService produce_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
};

TEST_F(GatewayStream, ReportsArriveInOrderWhileTheClientIsStillSending) {
  Connection c(port_, 5s);
  ASSERT_TRUE(c.send(kHead));
  StreamReader reader(c);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader.status(), 200u);
  // Two records, the second split across two chunks: both answered before anything else is sent.
  std::string first = record("a") + "\n" + record("bb");
  ASSERT_TRUE(c.send(chunk(first.substr(0, first.size() - 7))));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c.send(chunk(first.substr(first.size() - 7))));
  auto got = reader.lines(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["error_code"], 200);
  EXPECT_EQ(got[0]["value"]["size"], 1);
  EXPECT_EQ(got[1]["value"]["size"], 2);
  // A slow record, then fast ones, a bad one, a failing one: reports stay in request order.
  std::string rest = record("slow") + record("ccc") + R"({"value":{"type":"BINARY","data":"!"}})" +
                     record("fail") + "{\"value\": }" + record("dddd");
  ASSERT_TRUE(c.send(chunk(rest)));
  ASSERT_TRUE(c.send("0\r\n\r\n"));
  got = reader.lines(8);
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(got[2]["value"]["size"], 4);  // "slow", though "ccc" was acknowledged first
  EXPECT_EQ(got[3]["value"]["size"], 3);
  EXPECT_EQ(got[4]["error_code"], 400) << got[4];  // not base64
  EXPECT_EQ(got[5]["error_code"], 50002) << got[5];
  EXPECT_EQ(got[6]["error_code"], 400) << got[6];  // invalid JSON
  EXPECT_EQ(got[7]["value"]["size"], 4);
  EXPECT_TRUE(reader.finish());
  // Each successful record has its own offset.
  std::set<int64_t> offsets;
  for (size_t i : {0, 1, 2, 3, 7}) {
    offsets.insert(got[i]["offset"].get<int64_t>());
  }
  EXPECT_EQ(offsets.size(), 5u);
  // The connection serves the next request.
  ASSERT_TRUE(c.send(test::request_text("GET", "/healthz")));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
}

TEST_F(GatewayStream, ManyRecordsInRandomChunks) {
  std::mt19937 rng(std::random_device{}());
  uint32_t seed = rng();
  rng.seed(seed);
  std::string body;
  constexpr int kRecords = 3000;  // more than the stream's window of 1024
  for (int i = 0; i < kRecords; ++i) {
    body += record(std::string(1 + i % 50, 'v')) + (i % 3 ? "" : "\r\n");
  }
  Connection c(port_, 10s);
  ASSERT_TRUE(c.send(kHead));
  // Sent from another thread while this one reads: the server stops reading while its window
  // is full of unread reports, so a client that only writes would stall it (by design).
  std::atomic<bool> sent{true};
  std::thread sender([&] {
    for (size_t pos = 0; pos < body.size();) {
      size_t n = std::min<size_t>(body.size() - pos, 1 + rng() % 3000);
      sent = sent && c.send(chunk(body.substr(pos, n)));
      pos += n;
    }
    sent = sent && c.send("0\r\n\r\n");
  });
  StreamReader reader(c);
  EXPECT_EQ(reader.status(), 200u);
  auto got = reader.lines(kRecords);
  sender.join();
  EXPECT_TRUE(sent) << "seed " << seed;
  ASSERT_EQ(got.size(), static_cast<size_t>(kRecords)) << "seed " << seed;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_EQ(got[i]["error_code"], 200) << "seed " << seed << " record " << i;
    ASSERT_EQ(got[i]["value"]["size"], 1 + i % 50) << "seed " << seed << " record " << i;
  }
  EXPECT_TRUE(reader.finish());
}

TEST_F(GatewayStream, OversizeRecordEndsTheStreamWith413) {
  Connection c(port_, 5s);
  ASSERT_TRUE(c.send(kHead + chunk(record("ok")) + chunk("{\"value\":\"" + std::string(8000, 'x'))));
  StreamReader reader(c);
  auto got = reader.lines(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["error_code"], 200);
  EXPECT_EQ(got[1]["error_code"], 413);
  EXPECT_TRUE(reader.finish());
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(GatewayStream, WrongContentTypeOrClusterIsAPlainError) {
  Connection c(port_, 5s);
  ASSERT_TRUE(c.send(
      "POST /v3/clusters/other/topics/t/records HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
      chunk(record("a"))));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 404u);
  Connection d(port_, 5s);
  ASSERT_TRUE(d.send(
      "POST /v3/clusters/meridian/topics/t/records HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" +
      chunk(record("a")) + "0\r\n\r\n"));
  r = d.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 415u);
}

// streaming.connection.max.duration.ms: at the deadline the server stops producing what it
// reads (408 reports), answers every record it already had (one still being produced included)
// during streaming.connection.max.duration.grace.period.ms, ends the response and closes.
class GatewayStreamDeadline : public GatewayStream {
 protected:
  void SetUp() override { start(500ms); }
  void start(std::chrono::milliseconds grace) {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 2;
    o.read_timeout = 5s;
    o.stream_max_duration = 600ms;
    o.stream_grace_period = grace;
    Router router;
    add_produce_routes(router, produce_);
    server_ = std::make_unique<Server>(o, std::move(router), [] { return Readiness{true, ""}; });
    ASSERT_TRUE(server_->start());
    port_ = server_->port();
  }
};

TEST_F(GatewayStreamDeadline, EndsTheStreamAfterAnsweringWhatItRead) {
  const auto start = std::chrono::steady_clock::now();
  Connection c(port_, 5s);
  ASSERT_TRUE(c.send(kHead + chunk(record("a"))));
  StreamReader reader(c);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader.status(), 200u);
  std::this_thread::sleep_for(400ms);
  // "slow" is acknowledged 300 ms later, after the deadline; the partial record never is.
  ASSERT_TRUE(c.send(chunk(record("slow") + "{\"value\":")));
  EXPECT_TRUE(reader.finish());  // the last chunk came, before the 5 s read timeout
  const auto took = std::chrono::steady_clock::now() - start;
  auto got = reader.lines(3);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["error_code"], 200);
  EXPECT_EQ(got[0]["value"]["size"], 1);
  EXPECT_EQ(got[1]["error_code"], 200) << got[1];
  EXPECT_EQ(got[1]["value"]["size"], 4);
  EXPECT_GE(took, 600ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(c.closed_by_peer());
}

class GatewayStreamGrace : public GatewayStreamDeadline {
 protected:
  void SetUp() override {}
};

// Confluent's grace period: a record sent after the deadline gets a 408 report (not produced);
// one sent before it is produced and answered; the response ends when the grace period does.
TEST_F(GatewayStreamGrace, LateRecordsGet408AndEarlierOnesAreAnswered) {
  start(1500ms);
  const auto start_at = std::chrono::steady_clock::now();
  Connection c(port_, 6s);
  ASSERT_TRUE(c.send(kHead + chunk(record("a"))));
  StreamReader reader(c);
  ASSERT_TRUE(reader.ok());
  std::this_thread::sleep_for(400ms);
  ASSERT_TRUE(c.send(chunk(record("slow"))));  // read before the deadline, answered after it
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(c.send(chunk(record("late"))));  // after the deadline
  auto got = reader.lines(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0]["error_code"], 200);
  EXPECT_EQ(got[1]["error_code"], 200) << got[1];
  EXPECT_EQ(got[1]["value"]["size"], 4);
  EXPECT_EQ(got[2]["error_code"], 408) << got[2];
  EXPECT_NE(got[2]["message"].get<std::string>().find("longer than allowed"), std::string::npos);
  EXPECT_TRUE(reader.finish());  // every report in: a clean end when the grace period is over
  const auto took = std::chrono::steady_clock::now() - start_at;
  EXPECT_GE(took, 2000ms);  // 600 ms + 1500 ms: the stream stayed open for the grace period
  EXPECT_LT(took, 4500ms);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(produce_.next_.load(), 2);  // the late record was never produced
}

// A report still missing when the grace period ends: the connection drops without the last
// chunk (the client cannot take the stream for complete), without waiting for the record.
TEST_F(GatewayStreamGrace, GraceOverWithAReportMissingDropsTheConnection) {
  start(200ms);
  const auto start_at = std::chrono::steady_clock::now();
  Connection c(port_, 6s);
  ASSERT_TRUE(c.send(kHead + chunk(record("a"))));
  StreamReader reader(c);
  ASSERT_TRUE(reader.ok());
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(c.send(chunk(record("glacial"))));  // answered 2 s later, after the grace period
  EXPECT_FALSE(reader.finish());
  const auto took = std::chrono::steady_clock::now() - start_at;
  EXPECT_GE(took, 800ms);
  EXPECT_LT(took, 2000ms);
  auto got = reader.lines(2);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["error_code"], 200);
}

// The body ends during the grace period: the response ends once the reports are in, without
// waiting for the rest of the grace period; the connection still closes (it outlived its cap).
TEST_F(GatewayStreamGrace, BodyEndingInTheGracePeriodEndsTheResponseEarly) {
  start(3000ms);
  const auto start_at = std::chrono::steady_clock::now();
  Connection c(port_, 6s);
  ASSERT_TRUE(c.send(kHead + chunk(record("a"))));
  StreamReader reader(c);
  ASSERT_TRUE(reader.ok());
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(c.send(chunk(record("glacial"))));  // answered at about 2.3 s, in the grace period
  std::this_thread::sleep_for(400ms);
  ASSERT_TRUE(c.send("0\r\n\r\n"));  // after the deadline
  EXPECT_TRUE(reader.finish());
  const auto took = std::chrono::steady_clock::now() - start_at;
  EXPECT_GE(took, 2200ms);
  EXPECT_LT(took, 3300ms);  // not 600 ms + 3000 ms
  auto got = reader.lines(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1]["error_code"], 200) << got[1];
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(GatewayStreamDeadline, AStreamThatEndsInTimeKeepsTheConnection) {
  Connection c(port_, 5s);
  ASSERT_TRUE(c.send(kHead + chunk(record("a") + record("bb")) + "0\r\n\r\n"));
  StreamReader reader(c);
  auto got = reader.lines(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(reader.finish());
  std::this_thread::sleep_for(800ms);  // past the (cancelled) deadline of the finished stream
  ASSERT_TRUE(c.send(test::request_text("GET", "/healthz")));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
}

TEST(JsonValueSplitter, CutsConcatenatedValuesAtAnyBoundary) {
  const std::string text = R"( {"a":"}{\"x"} [1,[2]]{"b":{"c":"\\"}}  42 "s" {)";
  for (size_t step = 1; step <= text.size(); ++step) {
    JsonValueSplitter s(1000);
    std::vector<std::string> values;
    for (size_t pos = 0; pos < text.size(); pos += step) {
      s.append(std::string_view(text).substr(pos, step));
      std::string_view v;
      while (s.next(v) == JsonValueSplitter::Next::kValue) {
        values.emplace_back(v);
      }
    }
    ASSERT_EQ(values.size(), 5u) << "step " << step;
    EXPECT_EQ(values[0], R"({"a":"}{\"x"})");
    EXPECT_EQ(values[1], "[1,[2]]");
    EXPECT_EQ(values[2], R"({"b":{"c":"\\"}})");
    EXPECT_EQ(values[3], "42");
    EXPECT_EQ(values[4], "\"s\"");  // a top-level scalar comes out whole; its parse fails later
    EXPECT_TRUE(s.has_partial());
  }
}

TEST(JsonValueSplitter, ValueOverTheLimitIsTooLarge) {
  JsonValueSplitter s(10);
  s.append(R"({"a":1} {"long":"0123456789")");
  std::string_view v;
  EXPECT_EQ(s.next(v), JsonValueSplitter::Next::kValue);
  EXPECT_EQ(s.next(v), JsonValueSplitter::Next::kTooLarge);
}

}  // namespace
}  // namespace meridian::gateway
