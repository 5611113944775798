#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/http_errors.h"
#include "gateway/json/json_util.h"
#include "gateway/json/produce.h"

namespace meridian::gateway::json {
namespace {

using nlohmann::json;

ApiError produce_error(std::string_view body, EmbeddedFormat f = EmbeddedFormat::kBinary,
                       ProduceTarget t = ProduceTarget::kTopic) {
  auto r = parse_produce_request(body, f, t);
  EXPECT_FALSE(r) << body;
  return r ? ApiError{errc::ok, ""} : r.error();
}

TEST(ProduceParse, BinaryDocsExample) {
  auto r = parse_produce_request(
      R"({"records":[{"key":"a2V5","value":"Y29uZmx1ZW50"},{"value":"a2Fma2E=","partition":1},
          {"value":"bG9ncw=="}]})",
      EmbeddedFormat::kBinary, ProduceTarget::kTopic);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->records[0].key, "key");
  EXPECT_EQ(r->records[0].value, "confluent");
  EXPECT_FALSE(r->records[0].partition);
  EXPECT_FALSE(r->records[1].key);
  EXPECT_EQ(r->records[1].value, "kafka");
  EXPECT_EQ(r->records[1].partition, PartitionId(1));
  EXPECT_EQ(r->records[2].value, "logs");
}

TEST(ProduceParse, JsonEmbedsValuesAsText) {
  auto r = parse_produce_request(
      R"({"records":[{"key":"somekey","value":{"foo":"bar"}},{"value":["foo","bar"],"partition":1},
          {"value":53.5},{"value":null}]})",
      EmbeddedFormat::kJson, ProduceTarget::kTopic);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->records[0].key, "\"somekey\"");
  EXPECT_EQ(r->records[0].value, R"({"foo":"bar"})");
  EXPECT_EQ(r->records[1].value, R"(["foo","bar"])");
  EXPECT_EQ(r->records[2].value, "53.5");
  EXPECT_FALSE(r->records[3].value);  // tombstone
}

TEST(ProduceParse, BadInputCodes) {
  EXPECT_EQ(produce_error("{").kind, errc::bad_request);
  EXPECT_EQ(produce_error("").kind, errc::bad_request);
  EXPECT_EQ(produce_error("[]").kind, errc::unprocessable);
  EXPECT_EQ(produce_error("{}").detail, "records may not be null");
  EXPECT_EQ(produce_error(R"({"records":[]})").detail, "records may not be empty");
  EXPECT_EQ(produce_error(R"({"records":{}})").kind, errc::unprocessable);
  EXPECT_EQ(produce_error(R"({"records":[1]})").kind, errc::unprocessable);
  EXPECT_EQ(produce_error(R"({"records":[{"value":"!!!!"}]})").kind, errc::json_conversion);
  EXPECT_EQ(produce_error(R"({"records":[{"value":"a2V"}]})").kind, errc::json_conversion);
  EXPECT_EQ(produce_error(R"({"records":[{"value":12}]})").kind, errc::unprocessable);
  EXPECT_EQ(produce_error(R"({"records":[{"value":"a2V5","partition":"x"}]})").kind,
            errc::unprocessable);
  EXPECT_EQ(produce_error(R"({"records":[{"value":"a2V5","partition":-1}]})").kind,
            errc::unprocessable);
  EXPECT_EQ(produce_error(R"({"records":[{"value":"a2V5","partition":1.5}]})").kind,
            errc::unprocessable);
  EXPECT_EQ(produce_error(R"({"records":[{"value":"a2V5"}],"extra":1})").detail,
            "Unrecognized field: extra");
  EXPECT_EQ(produce_error(R"({"records":[{"value":"a2V5","headers":[]}]})").detail,
            "Unrecognized field: headers");
  // The to-partition endpoint has no per-record partition.
  EXPECT_EQ(produce_error(R"({"records":[{"value":"a2V5","partition":1}]})",
                          EmbeddedFormat::kBinary, ProduceTarget::kPartition)
                .detail,
            "Unrecognized field: partition");
}

TEST(ProduceParse, SchemaFormatsAnswerClearly) {
  EXPECT_EQ(produce_error(R"({"records":[{"key":1,"value":12}]})", EmbeddedFormat::kAvro).kind,
            errc::key_schema_missing);
  EXPECT_EQ(produce_error(R"({"records":[{"value":12}]})", EmbeddedFormat::kProtobuf).kind,
            errc::value_schema_missing);
  auto e = produce_error(R"({"value_schema":"{\"type\":\"int\"}","records":[{"value":12}]})",
                         EmbeddedFormat::kAvro);
  EXPECT_EQ(e.kind, errc::schema_registry_required);
  EXPECT_EQ(error_spec(e.kind).status, 501u);
  EXPECT_EQ(produce_error(R"({"value_schema_id":3,"records":[{"value":12}]})",
                          EmbeddedFormat::kJsonSchema)
                .kind,
            errc::schema_registry_required);
  // Binary ignores schema fields (kafka-rest's ProduceRequest carries them for every format).
  EXPECT_TRUE(parse_produce_request(R"({"value_schema_id":3,"records":[{"value":"a2V5"}]})",
                                    EmbeddedFormat::kBinary, ProduceTarget::kTopic));
}

TEST(ProduceRender, ExplicitNullsOffsetsFirst) {
  ProduceResponse r;
  r.offsets.push_back({PartitionId(0), Offset(0), std::nullopt, std::nullopt});
  EXPECT_EQ(render_produce_response(r),
            R"({"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}],)"
            R"("key_schema_id":null,"value_schema_id":null})");
  ProduceResponse failed;
  failed.offsets.push_back({std::nullopt, std::nullopt, 50003, "Leader \"moved\""});
  failed.offsets.push_back({PartitionId(2), Offset(102), std::nullopt, std::nullopt});
  failed.value_schema_id = 32;
  auto j = json::parse(render_produce_response(failed));
  EXPECT_TRUE(j["offsets"][0]["partition"].is_null());
  EXPECT_EQ(j["offsets"][0]["error_code"], 50003);
  EXPECT_EQ(j["offsets"][0]["error"], "Leader \"moved\"");
  EXPECT_EQ(j["offsets"][1]["offset"], 102);
  EXPECT_EQ(j["value_schema_id"], 32);
}

TEST(V3Produce, DocsExample) {
  auto r = parse_v3_record(R"({"partition_id":1,
    "headers":[{"name":"Header-1","value":"SGVhZGVyLTE="},{"name":"Header-2","value":"SGVhZGVyLTI="}],
    "key":{"type":"BINARY","data":"Zm9vYmFy"},"value":{"type":"JSON","data":{"foo":"bar"}},
    "timestamp":"2021-02-05T19:14:42Z"})");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->record.partition, PartitionId(1));
  ASSERT_EQ(r->record.headers.size(), 2u);
  EXPECT_EQ(r->record.headers[0].name, "Header-1");
  EXPECT_EQ(r->record.headers[0].value, "Header-1");
  EXPECT_EQ(r->record.key, "foobar");
  EXPECT_EQ(r->record.value, R"({"foo":"bar"})");
  EXPECT_EQ(r->record.timestamp_ms, 1612552482000);
  EXPECT_EQ(r->key_type, "BINARY");
  EXPECT_EQ(r->value_type, "JSON");
  auto s = parse_v3_record(R"({"value":{"type":"STRING","data":"hello"}})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->record.value, "hello");
  EXPECT_FALSE(s->record.key);
}

TEST(V3Produce, Errors) {
  auto bin = parse_v3_record(R"({"value":{"type":"BINARY","data":1}})");
  ASSERT_FALSE(bin);
  EXPECT_EQ(bin.error().kind, errc::bad_request);
  EXPECT_EQ(bin.error().detail, "Bad Request: data=1 is not a base64 string.");
  EXPECT_EQ(parse_v3_record(R"({"value":{"type":"AVRO","data":1}})").error().kind,
            errc::schema_registry_required);
  EXPECT_EQ(parse_v3_record(R"({"value":{"data":1}})").error().kind,
            errc::schema_registry_required);
  EXPECT_EQ(parse_v3_record(R"({"value":{"type":"XML","data":1}})").error().kind,
            errc::bad_request);
  EXPECT_EQ(parse_v3_record(R"({"timestamp":"yesterday"})").error().kind, errc::bad_request);
  EXPECT_EQ(parse_v3_record(R"({"partition_id":-2})").error().kind, errc::bad_request);
  EXPECT_EQ(parse_v3_record(R"({"bogus":1})").error().detail, "Unrecognized field: bogus");
  EXPECT_EQ(parse_v3_record(R"({"headers":[{"value":"AA=="}]})").error().kind, errc::bad_request);
  EXPECT_EQ(parse_v3_record("nope").error().kind, errc::bad_request);
}

TEST(V3Produce, DeliveryReport) {
  DeliveryReport r{"cluster-1", "topic-1", PartitionId(1), Offset(0), 1612552482000,
                   "BINARY",    7,         "JSON",         15};
  auto j = json::parse(render_delivery_report(r));
  EXPECT_EQ(j, json::parse(R"({"error_code":200,"cluster_id":"cluster-1","topic_name":"topic-1",
      "partition_id":1,"offset":0,"timestamp":"2021-02-05T19:14:42Z",
      "key":{"type":"BINARY","size":7},"value":{"type":"JSON","size":15}})"));
}

TEST(V3Batch, IdRules) {
  auto ok = parse_v3_batch(R"({"entries":[{"id":"1","value":{"type":"STRING","data":"a"}},
                                          {"id":"2","value":{"type":"BINARY","data":"!"}}]})",
                           10);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_TRUE((*ok)[0].record);
  EXPECT_FALSE((*ok)[1].record);  // a bad record fails only its entry
  auto code = [](std::string_view body, size_t max = 10) {
    auto r = parse_v3_batch(body, max);
    return r ? std::string("ok") : r.error().detail;
  };
  EXPECT_EQ(code(R"({"entries":[]})"), "Empty batch.");
  EXPECT_EQ(code(R"({"entries":[{"id":"1"},{"id":"1"}]})"), "Batch entry IDs are not distinct.");
  EXPECT_EQ(code(R"({"entries":[{"id":"1"},{"id":"2"}]})", 1), "Too many entries in batch.");
  EXPECT_EQ(code(R"({"entries":[{"id":""}]})"), "Batch entry id must be 1 to 80 characters long.");
  EXPECT_EQ(code(R"({"entries":[{"id":")" + std::string(81, 'x') + R"("}]})"),
            "Batch entry id must be 1 to 80 characters long.");
  EXPECT_EQ(code(R"({"entries":[{"id":")" + std::string(80, 'x') + R"("}]})"), "ok");
  EXPECT_EQ(code(R"({"entries":[{"id":7}]})"), "Batch entry id must be a string.");
  EXPECT_EQ(parse_v3_batch(R"({"entries":[]})", 10).error().kind, errc::batch_error);
}

TEST(V3Batch, Render207Body) {
  std::vector<BatchOutcome> outcomes;
  outcomes.push_back(
      {"1",
       DeliveryReport{"c", "t", PartitionId(0), Offset(5), -1, std::nullopt, 0, "STRING", 1},
       {}});
  outcomes.push_back({"2", std::nullopt, api_error(errc::bad_request, "Bad Request: x")});
  auto j = json::parse(render_v3_batch_response(outcomes));
  ASSERT_EQ(j["successes"].size(), 1u);
  EXPECT_EQ(j["successes"][0]["id"], "1");
  EXPECT_EQ(j["successes"][0]["offset"], 5);
  EXPECT_TRUE(j["successes"][0]["key"].is_null());
  EXPECT_TRUE(j["successes"][0]["timestamp"].is_null());
  ASSERT_EQ(j["failures"].size(), 1u);
  EXPECT_EQ(j["failures"][0],
            json::parse(R"({"id":"2","error_code":400,"message":"Bad Request: x"})"));
}

TEST(Iso8601, ParseAndFormat) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601("2021-02-05T19:14:42Z"), 1612552482000);
  EXPECT_EQ(parse_iso8601("2020-10-30T19:39:45+0000"), 1604086785000);
  EXPECT_EQ(parse_iso8601("2020-10-30T21:39:45+02:00"), 1604086785000);
  EXPECT_EQ(parse_iso8601("2020-10-30T19:39:45.123456Z"), 1604086785123);
  EXPECT_EQ(parse_iso8601("2024-02-29T00:00:00Z"), 1709164800000);
  for (const char* bad : {"", "2021-02-05", "2021-02-05T19:14:42", "2021-13-01T00:00:00Z",
                          "2023-02-29T00:00:00Z", "2021-02-05T25:00:00Z", "2021-02-05T19:14:42Zx",
                          "2021-02-05T19:14:42.Z", "abcd-ef-ghTij:kl:mnZ"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
  EXPECT_EQ(format_iso8601(1612552482000), "2021-02-05T19:14:42Z");
  EXPECT_EQ(format_iso8601(1612552482123), "2021-02-05T19:14:42.123Z");
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
}

TEST(TopicNames, KafkaRules) {
  EXPECT_TRUE(valid_topic_name("orders-1.v2_x"));
  EXPECT_TRUE(valid_topic_name(std::string(249, 'a')));
  EXPECT_FALSE(valid_topic_name(std::string(250, 'a')));
  for (const char* bad : {"", ".", "..", "a/b", "a b", "é", "a\n"}) {
    EXPECT_FALSE(valid_topic_name(bad)) << bad;
  }
}

}  // namespace
}  // namespace meridian::gateway::json
