// Bounded random-input test of the request path: random and mutated JSON bodies, content types,
// Accept headers, targets and timestamps at the parse layer, then random and mutated raw HTTP
// requests at a live server socket. Every parse result must be a value or an error kind from
// the table; the server must answer or close, never hang or crash, and still serve /healthz.
// ~10 s by default (MERIDIAN_LONG_TESTS=1: ~60 s). The seed is printed on failure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "gateway/base64.h"
#include "gateway/content_type.h"
#include "gateway/http_errors.h"
#include "gateway/json/consumer.h"
#include "gateway/json/json_util.h"
#include "gateway/json/metadata.h"
#include "gateway/json/produce.h"
#include "gateway/routes/routes.h"
#include "gateway/server.h"
#include "test_client.h"

namespace meridian::gateway {
namespace {

using namespace std::chrono_literals;

std::chrono::seconds budget() {
  const char* longer = std::getenv("MERIDIAN_LONG_TESTS");
  return (longer && std::string(longer) == "1") ? 60s : 5s;  // per phase; two phases
}

const std::vector<std::string> kSeeds = {
    R"({"records":[{"key":"a2V5","value":"Y29uZmx1ZW50"},{"value":"a2Fma2E=","partition":1}]})",
    R"({"records":[{"key":"somekey","value":{"foo":"bar"}},{"value":[1,2,{"x":null}]}]})",
    R"({"name":"c","format":"json","auto.offset.reset":"earliest","auto.commit.enable":"false"})",
    R"({"topics":["a","b"]})",
    R"({"partitions":[{"topic":"t","partition":0}]})",
    R"({"offsets":[{"topic":"t","partition":0,"offset":20}],"timestamps":[{"topic":"t","partition":1,"timestamp":"2020-10-30T19:39:45+0000"}]})",
    R"({"entries":[{"id":"1","value":{"type":"JSON","data":{"a":1}}},{"id":"2","key":{"type":"BINARY","data":"AA=="}}]})",
    R"({"partition_id":1,"headers":[{"name":"h","value":"SGk="}],"value":{"type":"STRING","data":"x"},"timestamp":"2021-02-05T19:14:42Z"})",
    R"({"topic_name":"t","partitions_count":3,"configs":[{"name":"a","value":"b"}],"replicas_assignments":{"0":[1]}})",
};

std::string mutate(std::string s, std::mt19937& rng) {
  static const std::string kAlphabet = "{}[]\":,0123456789.-+eEtrufalsn \\/\x00\xff\x7f\n=abc%";
  int edits = 1 + static_cast<int>(rng() % 8);
  for (int i = 0; i < edits; ++i) {
    size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 5) {
      case 0:
        s.insert(pos, 1, kAlphabet[rng() % kAlphabet.size()]);
        break;
      case 1:
        if (pos < s.size()) s.erase(pos, 1 + rng() % 4);
        break;
      case 2:
        if (pos < s.size()) s[pos] = static_cast<char>(rng());
        break;
      case 3:
        s = s.substr(0, pos);
        break;
      case 4:
        if (!s.empty()) s.insert(pos, s.substr(rng() % s.size(), rng() % 16));
        break;
    }
  }
  return s;
}

std::string random_bytes(std::mt19937& rng, size_t max) {
  std::string s(rng() % max, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

template <class R>
void check(const R& r) {
  if (!r) {
    const ErrorSpec& spec = error_spec(r.error().kind);
    ASSERT_EQ(spec.kind, r.error().kind);
    ASSERT_GE(spec.status, 400u);
    // The body must always be valid JSON, whatever bytes the detail echoes.
    auto j = nlohmann::json::parse(render_error_body(r.error()), nullptr, false);
    ASSERT_FALSE(j.is_discarded());
  }
}

void parse_everything(const std::string& body, std::mt19937& rng) {
  static const EmbeddedFormat kFormats[] = {EmbeddedFormat::kBinary, EmbeddedFormat::kJson,
                                            EmbeddedFormat::kAvro};
  auto f = kFormats[rng() % 3];
  check(json::parse_produce_request(body, f, json::ProduceTarget::kTopic));
  check(json::parse_produce_request(body, f, json::ProduceTarget::kPartition));
  check(json::parse_consumer_create(body));
  check(json::parse_subscription(body));
  check(json::parse_partitions(body));
  check(json::parse_seek(body));
  check(json::parse_commit_offsets(body));
  check(json::parse_v3_record(body));
  check(json::parse_v3_batch(body, 100));
  check(json::parse_v3_create_topic(body));
  check(parse_content_type(body.substr(0, 64)));
  check(negotiate(body.substr(0, 128), v2_producibles()));
  (void)base64_decode(body);
  (void)json::parse_iso8601(body);
}

TEST(ParserRobustness, ParseLayer) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto until = std::chrono::steady_clock::now() + budget();
  size_t iterations = 0;
  while (std::chrono::steady_clock::now() < until) {
    std::string body =
        rng() % 4 == 0 ? random_bytes(rng, 200) : mutate(kSeeds[rng() % kSeeds.size()], rng);
    parse_everything(body, rng);
    if (HasFatalFailure()) {
      ADD_FAILURE() << "input: " << body;
      return;
    }
    ++iterations;
  }
  EXPECT_GT(iterations, 1000u);
  std::printf("parse layer: %zu inputs\n", iterations);
}

std::string random_request(std::mt19937& rng) {
  static const char* kMethods[] = {"GET", "POST", "DELETE", "PUT", "PATCH", "G\x01T", ""};
  static const char* kTargets[] = {"/topics/t",
                                   "/topics/t/partitions/0",
                                   "/healthz",
                                   "/%zz",
                                   "/topics/../x",
                                   "/v3/clusters/meridian/topics/t/records",
                                   "/v3/clusters/meridian/topics/t/records:batch",
                                   "*",
                                   "/a?b=%",
                                   "/consumers/g",
                                   "/consumers/g/instances/i/subscription",
                                   "/consumers/g/instances/i/positions",
                                   "/consumers/g/instances/i/records?timeout=x&max_bytes=1",
                                   "/consumers/g/instances/i/offsets",
                                   "/brokers",
                                   "/topics/t/partitions/0/offsets"};
  static const char* kTypes[] = {"application/vnd.kafka.v2+json",
                                 "application/vnd.kafka.binary.v2+json",
                                 "application/vnd.kafka.json.v2+json",
                                 "application/json",
                                 "text/plain",
                                 "",
                                 "application/vnd.kafka.avro.v2+json"};
  std::string body = mutate(kSeeds[rng() % kSeeds.size()], rng);
  std::string req = std::string(kMethods[rng() % std::size(kMethods)]) + " " +
                    kTargets[rng() % std::size(kTargets)] + " HTTP/1.1\r\n";
  req += "Host: x\r\nContent-Type: " + std::string(kTypes[rng() % std::size(kTypes)]) + "\r\n";
  if (rng() % 3 == 0) req += "Accept: " + mutate("application/json;q=0.5, */*", rng) + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return rng() % 3 == 0 ? mutate(req, rng) : req;
}

TEST(ParserRobustness, LiveSocket) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  UnavailableProduceService produce;
  UnavailableConsumerService consumers;
  UnavailableMetadataService metadata;
  Router router;
  add_produce_routes(router, produce);
  add_consumer_routes(router, consumers);
  add_metadata_routes(router, metadata);
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.read_timeout = 300ms;
  o.idle_timeout = 300ms;
  o.linger_timeout = 100ms;
  o.body_limit = 64 * 1024;
  Server server(o, std::move(router), [] { return Readiness{true, ""}; });
  ASSERT_TRUE(server.start());
  auto until = std::chrono::steady_clock::now() + budget();
  size_t requests = 0;
  size_t answered = 0;
  while (std::chrono::steady_clock::now() < until) {
    test::Connection c(server.port(), 2s);
    // Several requests per connection: pipelined and keep-alive paths both get exercised.
    std::string batch;
    int n = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) batch += random_request(rng);
    c.send(batch);
    while (auto r = c.read()) {
      ++answered;
      auto status = r->result_int();
      ASSERT_TRUE(status == 200 || status == 207 || (status >= 400 && status < 600)) << status;
      if (status >= 400 && !(*r)[http::field::content_type].starts_with("text/")) {
        auto j = nlohmann::json::parse(r->body(), nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << r->body();
        ASSERT_TRUE(j.contains("error_code")) << r->body();
      }
      if (!r->keep_alive()) break;
      if (--n == 0) break;
    }
    ++requests;
  }
  EXPECT_GT(requests, 10u);
  EXPECT_GT(answered, 0u);
  auto health = test::round_trip(server.port(), test::request_text("GET", "/healthz"));
  EXPECT_EQ(health.status, 200u);
  std::printf("live socket: %zu connections, %zu responses\n", requests, answered);
  server.stop(1s);
}

}  // namespace
}  // namespace meridian::gateway
