// The gateway's renders against Confluent REST Proxy examples (golden/*.json, from
// REST-API.md): same field names, same nulls, arrays where Confluent has arrays. Field order is
// compared only where kafka-rest's real output fixes it (the produce response, kafka-rest#398).
// Meridian's documented extras (records' `timestamp` and `headers`) are allowed on top.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gateway/base64.h"
#include "gateway/http_errors.h"
#include "gateway/json/consumer.h"
#include "gateway/json/metadata.h"
#include "gateway/json/produce.h"

namespace meridian::gateway {
namespace {

using Json = nlohmann::json;

std::string golden_text(const std::string& name) {
  std::ifstream in(std::string(MERIDIAN_SOURCE_DIR) + "/tests/compat/rest/golden/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Json golden(const std::string& name) { return Json::parse(golden_text(name)); }

// Every field of `expected` is in `actual` with the same value (recursively for objects;
// arrays must match element-wise). Extra fields in `actual` are allowed only if listed.
void expect_covers(const Json& expected, const Json& actual, const std::vector<std::string>& extra,
                   const std::string& path = "$") {
  ASSERT_EQ(expected.type(), actual.type()) << path << ": " << actual.dump();
  if (expected.is_object()) {
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      ASSERT_TRUE(actual.contains(it.key())) << path << "." << it.key();
      expect_covers(*it, actual[it.key()], extra, path + "." + it.key());
    }
    for (auto it = actual.begin(); it != actual.end(); ++it) {
      bool allowed = expected.contains(it.key()) ||
                     std::find(extra.begin(), extra.end(), it.key()) != extra.end();
      EXPECT_TRUE(allowed) << path << ": unexpected field " << it.key();
    }
  } else if (expected.is_array()) {
    ASSERT_EQ(expected.size(), actual.size()) << path;
    for (size_t i = 0; i < expected.size(); ++i) {
      expect_covers(expected[i], actual[i], extra, path + "[" + std::to_string(i) + "]");
    }
  } else {
    EXPECT_EQ(expected, actual) << path;
  }
}

TEST(RestCompat, ProduceResponseExactBytes) {
  ProduceResponse r;
  r.offsets.push_back({PartitionId(0), Offset(0), std::nullopt, std::nullopt});
  std::string rendered = json::render_produce_response(r);
  // Compact, in the file's field order: same bytes, same order, same explicit nulls.
  EXPECT_EQ(rendered,
            nlohmann::ordered_json::parse(golden_text("produce_response_real.json")).dump());
}

TEST(RestCompat, ProduceResponseDocs) {
  ProduceResponse r;
  r.offsets = {{PartitionId(2), Offset(100), {}, {}},
               {PartitionId(1), Offset(101), {}, {}},
               {PartitionId(2), Offset(102), {}, {}}};
  // The docs omit error_code/error; real servers send them as null.
  expect_covers(golden("produce_response_docs.json"), Json::parse(json::render_produce_response(r)),
                {"error_code", "error"});
}

TEST(RestCompat, ConsumerShapes) {
  expect_covers(golden("consumer_create_response.json"),
                Json::parse(json::render_consumer_create(
                    {"my_consumer",
                     "http://proxy-instance.kafkaproxy.example.com/consumers/testgroup/instances/"
                     "my_consumer"})),
                {});
  std::vector<std::string> topics = {"test1", "test2"};
  expect_covers(golden("subscription_response.json"),
                Json::parse(json::render_subscription(topics)), {});
  std::vector<TopicPartition> tps = {{"test", PartitionId(0)}, {"test", PartitionId(1)}};
  expect_covers(golden("assignments_response.json"), Json::parse(json::render_assignments(tps)),
                {});
  std::vector<CommitResult> commits = {{"test", PartitionId(0), Offset(20), Offset(20)},
                                       {"test", PartitionId(1), Offset(30), Offset(30)}};
  expect_covers(golden("commit_offsets_response.json"),
                Json::parse(json::render_commit_offsets(commits)), {});
  std::vector<TopicPartitionOffset> committed = {{"test", PartitionId(0), Offset(21), ""},
                                                 {"test", PartitionId(1), Offset(31), ""}};
  expect_covers(golden("committed_offsets_response.json"),
                Json::parse(json::render_committed_offsets(committed)), {});
}

TEST(RestCompat, RecordsAreABareArrayWithMeridianExtras) {
  std::vector<ConsumedRecord> recs = {
      {"test", "key", "confluent", PartitionId(1), Offset(100), 1700000000000, {}},
      {"test", "key", "kafka", PartitionId(2), Offset(101), -1, {{"h", "v"}}}};
  auto rendered = json::render_records(recs, EmbeddedFormat::kBinary);
  ASSERT_TRUE(rendered);
  Json actual = Json::parse(*rendered);
  ASSERT_TRUE(actual.is_array());  // not {"records":[...]} as pandaproxy documents
  expect_covers(golden("records_binary.json"), actual, {"timestamp", "headers"});
}

TEST(RestCompat, Metadata) {
  std::vector<std::string> names = {"topic1", "topic2"};
  expect_covers(golden("topics.json"), Json::parse(json::render_topic_names(names)), {});
  TopicInfo t{
      "test",
      {{"cleanup.policy", "compact"}},
      {{PartitionId(1), BrokerId(1), {{BrokerId(1), true, true}, {BrokerId(2), false, true}}}}};
  expect_covers(golden("topic.json"), Json::parse(json::render_topic(t)), {});
  expect_covers(golden("partition_offsets.json"),
                Json::parse(json::render_partition_offsets({Offset(0), Offset(197)})), {});
  std::vector<BrokerId> b = {BrokerId(1), BrokerId(2), BrokerId(3)};
  expect_covers(golden("brokers.json"), Json::parse(json::render_brokers(b)), {});
}

TEST(RestCompat, ErrorBodies) {
  expect_covers(golden("error_topic_not_found.json"),
                Json::parse(render_error_body(errc::topic_not_found)), {});
  expect_covers(golden("error_unrecognized_field.json"),
                Json::parse(render_error_body(
                    json::parse_consumer_create(R"({"max.poll.records":1})").error())),
                {});
  expect_covers(golden("error_records_empty.json"),
                Json::parse(render_error_body(
                    json::parse_produce_request(R"({"records":[]})", EmbeddedFormat::kBinary,
                                                json::ProduceTarget::kTopic)
                        .error())),
                {});
  expect_covers(golden("v3_record_failure.json"),
                Json::parse(render_error_body(
                    json::parse_v3_record(R"({"value":{"type":"BINARY","data":1}})").error())),
                {});
}

TEST(RestCompat, V3Shapes) {
  json::DeliveryReport r{"cluster-1", "topic-1", PartitionId(1), Offset(0), 1612552482000,
                         "BINARY",    7,         "JSON",         15};
  expect_covers(golden("v3_delivery_report.json"), Json::parse(json::render_delivery_report(r)),
                {});
  json::V3Context c{"http://localhost:8082/v3", "cluster-1"};
  std::vector<json::V3Lag> lags = {{"consumer-group-1", "topic-1", PartitionId(1), "consumer-1",
                                    "consumer-instance-1", "client-1", Offset(1), Offset(101)}};
  Json list = Json::parse(json::render_v3_lags(c, lags));
  EXPECT_EQ(list["kind"], "KafkaConsumerLagList");
  expect_covers(golden("v3_lag.json"), list["data"][0], {});
}

}  // namespace
}  // namespace meridian::gateway
