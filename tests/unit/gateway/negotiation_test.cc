// Content negotiation (REST-API.md b.1) and the error table (b.2).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/content_type.h"
#include "gateway/http_errors.h"

namespace meridian::gateway {
namespace {

TEST(ContentType, ParsesEveryV2Type) {
  struct Case {
    const char* header;
    MediaKind kind;
    EmbeddedFormat format;
    bool explicit_format;
  };
  const Case cases[] = {
      {"application/vnd.kafka.v2+json", MediaKind::kKafkaV2, EmbeddedFormat::kBinary, false},
      {"application/vnd.kafka.binary.v2+json", MediaKind::kKafkaV2, EmbeddedFormat::kBinary, true},
      {"application/vnd.kafka.json.v2+json", MediaKind::kKafkaV2, EmbeddedFormat::kJson, true},
      {"application/vnd.kafka.avro.v2+json", MediaKind::kKafkaV2, EmbeddedFormat::kAvro, true},
      {"application/vnd.kafka.jsonschema.v2+json", MediaKind::kKafkaV2, EmbeddedFormat::kJsonSchema,
       true},
      {"application/vnd.kafka.protobuf.v2+json", MediaKind::kKafkaV2, EmbeddedFormat::kProtobuf,
       true},
      {"application/vnd.kafka+json", MediaKind::kKafkaDefault, EmbeddedFormat::kBinary, false},
      {"application/vnd.kafka.json+json", MediaKind::kKafkaDefault, EmbeddedFormat::kJson, true},
      {"application/json", MediaKind::kJson, EmbeddedFormat::kBinary, false},
      {"application/json; charset=utf-8", MediaKind::kJson, EmbeddedFormat::kBinary, false},
      {"application/octet-stream", MediaKind::kOctetStream, EmbeddedFormat::kBinary, false},
      {"", MediaKind::kOctetStream, EmbeddedFormat::kBinary, false},
      {"APPLICATION/VND.KAFKA.JSON.V2+JSON", MediaKind::kKafkaV2, EmbeddedFormat::kJson, true},
      {"  application/vnd.kafka.binary.v2+json ; charset=UTF-8", MediaKind::kKafkaV2,
       EmbeddedFormat::kBinary, true},
  };
  for (const auto& c : cases) {
    auto r = parse_content_type(c.header);
    ASSERT_TRUE(r) << c.header;
    EXPECT_EQ(r->kind, c.kind) << c.header;
    EXPECT_EQ(r->format, c.format) << c.header;
    EXPECT_EQ(r->format_explicit, c.explicit_format) << c.header;
  }
}

TEST(ContentType, RejectsOthersWith415) {
  for (const char* h : {"text/plain", "application/xml", "application/vnd.kafka.v1+json",
                        "application/vnd.kafka.binary.v1+json", "application/vnd.kafka.v3+json",
                        "application/vnd.kafka.xml.v2+json", "application/vnd.kafka.v2+xml",
                        "application/vnd.kafkax.v2+json", "application/vnd.kafka..v2+json", "json",
                        "application/", "*/*", "application/vnd.kafka"}) {
    auto r = parse_content_type(h);
    ASSERT_FALSE(r) << h;
    EXPECT_EQ(r.error().kind, errc::unsupported_media_type) << h;
  }
}

std::string_view pick(std::string_view accept) {
  auto p = v2_producibles();
  auto r = negotiate(accept, p);
  return r ? p[*r].media_type : std::string_view("406");
}

TEST(Accept, ServerQualityDecidesTies) {
  // No Accept, */* and the Confluent docs' list all select the v2 type (qs=0.9 beats 0.8, 0.5).
  EXPECT_EQ(pick(""), "application/vnd.kafka.v2+json");
  EXPECT_EQ(pick("*/*"), "application/vnd.kafka.v2+json");
  EXPECT_EQ(pick("application/*"), "application/vnd.kafka.v2+json");
  EXPECT_EQ(pick("application/vnd.kafka.v2+json, application/vnd.kafka+json, application/json"),
            "application/vnd.kafka.v2+json");
  EXPECT_EQ(pick("application/json"), "application/json");
  EXPECT_EQ(pick("application/vnd.kafka+json"), "application/vnd.kafka+json");
}

TEST(Accept, WeightsMultiply) {
  // 0.9*0.9=0.81 vs 0.5*0.5=0.25
  EXPECT_EQ(pick("application/vnd.kafka.v2+json; q=0.9, application/json; q=0.5"),
            "application/vnd.kafka.v2+json");
  // 0.1*0.9=0.09 vs 1.0*0.5=0.5
  EXPECT_EQ(pick("application/vnd.kafka.v2+json;q=0.1, application/json"), "application/json");
  // A more specific range overrides */* (RFC 7231): json q=0 excludes it.
  EXPECT_EQ(pick("application/json;q=0, */*;q=0.1"), "application/vnd.kafka.v2+json");
  EXPECT_EQ(pick("application/vnd.kafka.v2+json;q=0, application/vnd.kafka+json;q=0, */*"),
            "application/json");
}

TEST(Accept, NothingAcceptableIs406) {
  for (const char* a : {"text/html", "application/xml", "text/*", "application/json;q=0",
                        "image/png, text/plain;q=0.5", "garbage", "application/json;q=abc"}) {
    EXPECT_EQ(pick(a), "406") << a;
    auto r = negotiate(a, v2_producibles());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, errc::not_acceptable);
  }
}

TEST(Accept, V3OnlyJson) {
  EXPECT_TRUE(negotiate("", v3_producibles()));
  EXPECT_TRUE(negotiate("application/json", v3_producibles()));
  EXPECT_FALSE(negotiate("application/vnd.kafka.v2+json", v3_producibles()));
}

TEST(Accept, RecordsMustMatchConsumerFormat) {
  auto ok = negotiate_records("application/vnd.kafka.binary.v2+json", EmbeddedFormat::kBinary);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, EmbeddedFormat::kBinary);
  EXPECT_TRUE(negotiate_records("*/*", EmbeddedFormat::kJson));
  EXPECT_TRUE(negotiate_records("", EmbeddedFormat::kAvro));
  auto mismatch = negotiate_records("application/vnd.kafka.json.v2+json", EmbeddedFormat::kBinary);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().kind, errc::consumer_format_mismatch);
  EXPECT_EQ(error_spec(mismatch.error().kind).error_code, 40601);
  EXPECT_EQ(error_spec(mismatch.error().kind).status, 406u);
  auto none = negotiate_records("application/json", EmbeddedFormat::kBinary);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, errc::not_acceptable);
  // The client prefers json over binary: the negotiation picks json, which mismatches.
  auto weighted = negotiate_records(
      "application/vnd.kafka.json.v2+json, application/vnd.kafka.binary.v2+json;q=0.5",
      EmbeddedFormat::kBinary);
  ASSERT_FALSE(weighted);
  EXPECT_EQ(weighted.error().kind, errc::consumer_format_mismatch);
}

TEST(Formats, NamesRoundTrip) {
  for (auto f : {EmbeddedFormat::kBinary, EmbeddedFormat::kJson, EmbeddedFormat::kAvro,
                 EmbeddedFormat::kJsonSchema, EmbeddedFormat::kProtobuf}) {
    EmbeddedFormat back{};
    ASSERT_TRUE(parse_format_name(format_name(f), back));
    EXPECT_EQ(back, f);
    auto ct = parse_content_type(format_media_type(f));
    ASSERT_TRUE(ct);
    EXPECT_EQ(ct->format, f);
  }
  EmbeddedFormat out{};
  EXPECT_FALSE(parse_format_name("xml", out));
}

TEST(ErrorTable, StatusAndCodes) {
  struct Row {
    errc kind;
    unsigned status;
    int32_t code;
  };
  const Row rows[] = {
      {errc::topic_not_found, 404, 40401},
      {errc::partition_not_found, 404, 40402},
      {errc::consumer_instance_not_found, 404, 40403},
      {errc::leader_not_available, 404, 40404},
      {errc::consumer_group_not_found, 404, 40405},
      {errc::consumer_format_mismatch, 406, 40601},
      {errc::consumer_already_subscribed, 409, 40901},
      {errc::consumer_already_exists, 409, 40902},
      {errc::illegal_state, 409, 40903},
      {errc::key_schema_missing, 422, 42201},
      {errc::value_schema_missing, 422, 42202},
      {errc::json_conversion, 422, 42203},
      {errc::invalid_consumer_config, 422, 42204},
      {errc::invalid_schema, 422, 42205},
      {errc::invalid_payload, 422, 42206},
      {errc::serialization, 422, 42207},
      {errc::batch_error, 422, 42208},
      {errc::unprocessable, 422, 422},
      {errc::invalid_consumer_config_constraint, 400, 40001},
      {errc::kafka_bad_request, 400, 40002},
      {errc::too_many_requests, 429, 42901},
      {errc::kafka_error, 500, 50002},
      {errc::kafka_retriable, 500, 50003},
      {errc::broker_not_available, 503, 50302},
      {errc::not_found, 404, 404},
      {errc::method_not_allowed, 405, 405},
      {errc::not_acceptable, 406, 406},
      {errc::payload_too_large, 413, 413},
      {errc::unsupported_media_type, 415, 415},
      {errc::header_fields_too_large, 431, 431},
      {errc::bad_request, 400, 400},
      {errc::kafka_authentication, 401, 40101},
      {errc::kafka_authorization, 403, 40301},
      {errc::schema_registry_required, 501, 501},
  };
  for (const auto& r : rows) {
    const ErrorSpec& s = error_spec(r.kind);
    EXPECT_EQ(s.kind, r.kind);
    EXPECT_EQ(s.status, r.status) << r.code;
    EXPECT_EQ(s.error_code, r.code);
    EXPECT_EQ(s.error_code / 100 == static_cast<int32_t>(s.status) ||
                  s.error_code == static_cast<int32_t>(s.status),
              true)
        << r.code;  // 5-digit codes are status*100+n
  }
  EXPECT_EQ(error_spec(static_cast<errc>(9999)).kind, errc::internal);
}

TEST(ErrorTable, BodyIsConfluentShape) {
  EXPECT_EQ(render_error_body(errc::topic_not_found),
            R"({"error_code":40401,"message":"Topic not found."})");
  EXPECT_EQ(render_error_body(errc::unprocessable, "Unrecognized field: max.poll.records"),
            R"({"error_code":422,"message":"Unrecognized field: max.poll.records"})");
  std::string tricky = render_error_body(errc::bad_request, std::string("a\"b\\c\n\x01", 7));
  auto j = nlohmann::json::parse(tricky);
  EXPECT_EQ(j["message"], std::string("a\"b\\c\n\x01", 7));
  EXPECT_EQ(j["error_code"], 400);
  std::error_code ec = errc::consumer_instance_not_found;
  EXPECT_EQ(ec.message(), "Consumer instance not found.");
  EXPECT_STREQ(ec.category().name(), "meridian.gateway");
}

}  // namespace
}  // namespace meridian::gateway
