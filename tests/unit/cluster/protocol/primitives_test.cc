// Byte-exact tests of the primitives, framing, headers, error codes and the supported table.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "cluster/protocol/codec.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/messages.h"
#include "cluster/protocol/supported_apis.h"

namespace meridian::protocol {
namespace {

using B = std::vector<uint8_t>;

TEST(Writer, EncodesPrimitivesBigEndian) {
  B out;
  Writer w(out);
  w.field(int8_t{-2});
  w.field(int16_t{0x0102});
  w.field(int32_t{-1});
  w.field(int64_t{0x0102030405060708});
  w.field(uint32_t{0xA0B0C0D0});
  w.field(true);
  w.field(ErrorCode::kNotLeaderOrFollower);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(out, (B{0xFE, 0x01, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 1,    2,    3,    4,
                    5,    6,    7,    8,    0xA0, 0xB0, 0xC0, 0xD0, 0x01, 0x00, 0x06}));
}

TEST(Writer, EncodesStringsBytesAndArrays) {
  B out;
  Writer w(out);
  w.field(std::string("ab"));
  w.field(std::optional<std::string>());
  w.field(B{9});
  w.field(std::optional<B>());
  w.array(std::vector<int32_t>{7}, 0);
  w.array(std::optional<std::vector<int32_t>>(), 0);
  w.array(std::optional<std::vector<int32_t>>(), 0, Nullable::kNo);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(out,
            (B{0, 2, 'a', 'b', 0xFF, 0xFF, 0, 0,    0,    1,    9,    0xFF, 0xFF, 0xFF, 0xFF, 0,
               0, 0, 1,   0,   0,    0,    7, 0xFF, 0xFF, 0xFF, 0xFF, 0,    0,    0,    0}));
}

TEST(Writer, RejectsStringsLongerThanInt16) {
  B out;
  Writer w(out);
  w.field(std::string(40000, 'x'));
  EXPECT_EQ(w.error(), make_error_code(errc::value_too_large));
}

TEST(Reader, DecodesWhatWriterWrote) {
  B bytes{0xFE, 0x01, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0, 2, 'h', 'i', 0xFF, 0xFF, 0x05};
  Reader r(bytes);
  int8_t a = 0;
  int16_t b = 0;
  int32_t c = 0;
  std::string s;
  std::optional<std::string> n = "x";
  bool flag = false;
  r.field(a);
  r.field(b);
  r.field(c);
  r.field(s);
  r.field(n);
  r.field(flag);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(a, -2);
  EXPECT_EQ(b, 0x0102);
  EXPECT_EQ(c, -1);
  EXPECT_EQ(s, "hi");
  EXPECT_FALSE(n.has_value());
  EXPECT_TRUE(flag);  // any non-zero byte is true, as in Kafka
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(Reader, FirstErrorIsStickyAndNothingIsReadPastTheEnd) {
  B bytes{0x00, 0x01};
  Reader r(bytes);
  int32_t x = 42;
  r.field(x);
  EXPECT_EQ(r.error(), make_error_code(errc::truncated));
  EXPECT_EQ(x, 0);
  int8_t y = 5;
  r.field(y);  // would fit, but the reader already failed
  EXPECT_EQ(y, 0);
  EXPECT_EQ(r.position(), 0u);
}

TEST(Reader, RejectsNegativeAndOversizedLengths) {
  {
    B bytes{0xFF, 0xFE};  // string length -2
    Reader r(bytes);
    std::optional<std::string> s;
    r.field(s);
    EXPECT_EQ(r.error(), make_error_code(errc::invalid_length));
  }
  {
    B bytes{0x7F, 0xFF, 'a'};  // string length 32767, one byte present
    Reader r(bytes);
    std::string s;
    r.field(s);
    EXPECT_EQ(r.error(), make_error_code(errc::truncated));
  }
  {
    B bytes{0x80, 0x00, 0x00, 0x00};  // bytes length INT32_MIN
    Reader r(bytes);
    B b;
    r.field(b);
    EXPECT_EQ(r.error(), make_error_code(errc::invalid_length));
  }
  {
    B bytes{0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1};  // array count INT32_MAX: never allocated
    Reader r(bytes);
    std::vector<int32_t> v;
    r.array(v, 0);
    EXPECT_EQ(r.error(), make_error_code(errc::truncated));
    EXPECT_TRUE(v.empty());
  }
  {
    B bytes{0xFF, 0xFF, 0xFF, 0xFD};  // array count -3
    Reader r(bytes);
    std::vector<std::string> v;
    r.array(v, 0);
    EXPECT_EQ(r.error(), make_error_code(errc::invalid_length));
  }
}

TEST(Reader, NullWhereNotNullableIsAnError) {
  B minus_one16{0xFF, 0xFF};
  B minus_one32{0xFF, 0xFF, 0xFF, 0xFF};
  std::string s;
  Reader r1(minus_one16);
  r1.field(s);
  EXPECT_EQ(r1.error(), make_error_code(errc::null_not_allowed));
  B b;
  Reader r2(minus_one32);
  r2.field(b);
  EXPECT_EQ(r2.error(), make_error_code(errc::null_not_allowed));
  std::vector<int32_t> v;
  Reader r3(minus_one32);
  r3.array(v, 0);
  EXPECT_EQ(r3.error(), make_error_code(errc::null_not_allowed));
  std::optional<std::vector<int32_t>> nv = std::vector<int32_t>{1};
  Reader r4(minus_one32);
  r4.array(nv, 0);
  EXPECT_TRUE(r4.ok());
  EXPECT_FALSE(nv.has_value());
}

TEST(Varint, ZigZagMatchesKafka) {
  // Kafka's ByteUtils: 0 -> 00, -1 -> 01, 1 -> 02, 300 -> d8 04, INT32_MIN -> ff ff ff ff 0f.
  B out;
  Writer w(out);
  w.varint(0);
  w.varint(-1);
  w.varint(1);
  w.varint(300);
  w.varint(std::numeric_limits<int32_t>::min());
  w.varlong(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(out, (B{0x00, 0x01, 0x02, 0xd8, 0x04, 0xff, 0xff, 0xff, 0xff, 0x0f,
                    0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  Reader r(out);
  int32_t a = 9, b = 9, c = 9, d = 9, e = 9;
  int64_t f = 9;
  r.varint(a);
  r.varint(b);
  r.varint(c);
  r.varint(d);
  r.varint(e);
  r.varlong(f);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(a, 0);
  EXPECT_EQ(b, -1);
  EXPECT_EQ(c, 1);
  EXPECT_EQ(d, 300);
  EXPECT_EQ(e, std::numeric_limits<int32_t>::min());
  EXPECT_EQ(f, std::numeric_limits<int64_t>::max());
}

TEST(Varint, OverlongOrTruncatedIsAnError) {
  B overlong{0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  Reader r1(overlong);
  int32_t v = 0;
  r1.varint(v);
  EXPECT_EQ(r1.error(), make_error_code(errc::bad_varint));
  B truncated{0x80};
  Reader r2(truncated);
  r2.varint(v);
  EXPECT_EQ(r2.error(), make_error_code(errc::bad_varint));
}

TEST(Framing, NextFrameNeedsTheWholeFrame) {
  B buf{0, 0, 0, 3, 'a', 'b'};
  auto r = next_frame(buf);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->has_value());
  buf.push_back('c');
  buf.push_back('z');  // start of the next frame
  r = next_frame(buf);
  ASSERT_TRUE(r.has_value() && r->has_value());
  EXPECT_EQ(B((*r)->begin(), (*r)->end()), (B{'a', 'b', 'c'}));
  auto partial = next_frame(std::span<const uint8_t>(buf.data(), 3));
  ASSERT_TRUE(partial.has_value());
  EXPECT_FALSE(partial->has_value());
}

TEST(Framing, RejectsNegativeAndOversizedFrames) {
  B negative{0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(next_frame(negative).error(), make_error_code(errc::invalid_length));
  B big{0x06, 0x40, 0x00, 0x01};  // 100 MiB + 1
  EXPECT_EQ(next_frame(big).error(), make_error_code(errc::frame_too_large));
  B at_limit{0x06, 0x40, 0x00, 0x00};  // exactly 100 MiB: allowed, just incomplete
  auto r = next_frame(at_limit);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(parse_frame_size(B{0, 0, 0, 9}, 8).error(), make_error_code(errc::frame_too_large));
}

TEST(Header, RequestFrameIsByteExact) {
  RequestHeader h;
  h.api_version = 1;
  h.correlation_id = 7;
  h.client_id = "c";
  MetadataRequest body;
  body.topics = std::vector<MetadataRequest::Topic>{{"t"}};
  auto frame = encode_request_frame(h, body);
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(*frame, (B{0, 0, 0, 18, 0, 3, 0, 1, 0, 0, 0, 7, 0, 1, 'c', 0, 0, 0, 1, 0, 1, 't'}));
  auto payload = next_frame(*frame);
  ASSERT_TRUE(payload.has_value() && payload->has_value());
  auto parsed = parse_request(**payload);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->header.api_key, ApiKey::kMetadata);
  EXPECT_EQ(parsed->header.client_id, "c");
  auto decoded = decode<MetadataRequest>(parsed->body, 1);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(*decoded == body);
}

TEST(Header, NullClientIdAndTruncatedHeaders) {
  B payload{0, 18, 0, 0, 0, 0, 0, 5, 0xFF, 0xFF};
  auto parsed = parse_request(payload);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->header.client_id.has_value());
  EXPECT_EQ(parsed->header.correlation_id, 5);
  EXPECT_TRUE(parsed->body.empty());
  for (size_t len = 0; len < payload.size(); ++len) {
    EXPECT_FALSE(parse_request(std::span<const uint8_t>(payload.data(), len)).has_value());
  }
  // ControlledShutdown v0 uses header v0 (no client_id).
  B v0{0, 7, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1};
  auto cs = parse_request(v0);
  ASSERT_TRUE(cs.has_value());
  EXPECT_EQ(cs->body.size(), 4u);
}

TEST(Header, UnknownKeysParseButAreNotSupported) {
  B payload{0x01, 0x00, 0, 0, 0, 0, 0, 1, 0, 0};  // api_key 256
  auto parsed = parse_request(payload);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(check_supported(parsed->header.api_key, parsed->header.api_version),
            make_error_code(errc::unknown_api_key));
  EXPECT_EQ(check_supported(ApiKey::kApiVersions, 3), make_error_code(errc::unsupported_version));
  EXPECT_FALSE(check_supported(ApiKey::kFetch, 11));
  EXPECT_EQ(api_key_name(ApiKey::kOffsetForLeaderEpoch), "OffsetForLeaderEpoch");
  EXPECT_EQ(api_key_name(static_cast<ApiKey>(256)), "Unknown");
}

TEST(ErrorCodes, NumbersAndNamesAreKafkas) {
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kUnknownServerError), -1);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kOffsetOutOfRange), 1);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kNotLeaderOrFollower), 6);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kNotEnoughReplicas), 19);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kNotEnoughReplicasAfterAppend), 20);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kIllegalGeneration), 22);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kUnsupportedVersion), 35);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kOutOfOrderSequenceNumber), 45);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kFencedLeaderEpoch), 74);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kUnknownLeaderEpoch), 75);
  EXPECT_EQ(error_code_name(ErrorCode::kNotLeaderOrFollower), "NOT_LEADER_OR_FOLLOWER");
  EXPECT_EQ(error_code_name(ErrorCode::kRequestTimedOut), "REQUEST_TIMED_OUT");
  EXPECT_EQ(error_code_name(static_cast<ErrorCode>(99)), "UNKNOWN_ERROR_CODE");
  EXPECT_TRUE(is_retriable(ErrorCode::kNotEnoughReplicas));
  EXPECT_FALSE(is_retriable(ErrorCode::kTopicAuthorizationFailed));
}

TEST(ErrorCategory, HasReadableMessages) {
  EXPECT_EQ(std::error_code(errc::truncated).category().name(), std::string("meridian.protocol"));
  EXPECT_EQ(std::error_code(errc::frame_too_large).message(),
            "frame larger than socket.request.max.bytes");
}

TEST(SupportedApis, ListsExactlyTheImplementedRanges) {
  auto apis = supported_apis();
  ASSERT_EQ(apis.size(), 26u);
  for (size_t i = 1; i < apis.size(); ++i) {
    EXPECT_LT(static_cast<int16_t>(apis[i - 1].api_key), static_cast<int16_t>(apis[i].api_key));
  }
  auto expect = [](ApiKey key, int16_t min, int16_t max) {
    auto range = supported_range(key);
    ASSERT_TRUE(range.has_value()) << api_key_name(key);
    EXPECT_EQ(range->min_version, min) << api_key_name(key);
    EXPECT_EQ(range->max_version, max) << api_key_name(key);
  };
  expect(ApiKey::kProduce, 0, 8);
  expect(ApiKey::kFetch, 0, 11);
  expect(ApiKey::kListOffsets, 0, 5);
  expect(ApiKey::kMetadata, 0, 8);
  expect(ApiKey::kApiVersions, 0, 2);
  expect(ApiKey::kOffsetForLeaderEpoch, 0, 3);
  expect(ApiKey::kOffsetCommit, 0, 7);
  expect(ApiKey::kLeaderAndIsr, 0, 3);
  expect(ApiKey::kStopReplica, 0, 1);
  expect(ApiKey::kControlledShutdown, 0, 2);
  EXPECT_FALSE(supported_range(ApiKey::kUpdateMetadata).has_value());
  EXPECT_FALSE(supported_range(ApiKey::kDescribeCluster).has_value());
}

TEST(SupportedApis, FallbackFrameIsApiVersionsV0WithUnsupportedVersion) {
  auto frame = api_versions_fallback_frame(0x01020304);
  ASSERT_TRUE(frame.has_value());
  // size, correlation id, error 35, then the array of 26 (key, min, max) triples.
  ASSERT_EQ(frame->size(), 4u + 4 + 2 + 4 + 26 * 6);
  EXPECT_EQ(B(frame->begin(), frame->begin() + 14),
            (B{0, 0, 0, 0xA6, 1, 2, 3, 4, 0, 35, 0, 0, 0, 26}));
  auto payload = next_frame(*frame);
  auto parsed = parse_response(**payload);
  ASSERT_TRUE(parsed.has_value());
  auto body = decode<ApiVersionsResponse>(parsed->body, 0);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(body->error_code, ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(body->api_keys.size(), 26u);
}

TEST(Splicing, FetchRecordsAreReferencedNotCopied) {
  FetchResponse resp;
  resp.responses.resize(1);
  resp.responses[0].topic = "t";
  resp.responses[0].partitions.resize(2);
  resp.responses[0].partitions[0].records = B(1000, 0xAB);
  resp.responses[0].partitions[1].records = B{1, 2, 3};
  for (int16_t v : {0, 4, 11}) {
    auto spliced = encode_response_frame(9, resp, v, Splicing::kYes);
    auto copied = encode_response_frame(9, resp, v, Splicing::kNo);
    ASSERT_TRUE(spliced.has_value() && copied.has_value());
    EXPECT_EQ(spliced->splices.size(), 2u);
    EXPECT_TRUE(copied->splices.empty());
    EXPECT_EQ(spliced->head.size() + 1003, copied->head.size());
    EXPECT_EQ(spliced->splices[0].bytes.data(), resp.responses[0].partitions[0].records->data());
    B joined;
    for (auto piece : spliced->buffers()) {
      joined.insert(joined.end(), piece.begin(), piece.end());
    }
    EXPECT_EQ(joined, copied->head) << "version " << v;
    EXPECT_EQ(spliced->size(), joined.size());
  }
}

TEST(Metadata, V0EmptyTopicListMeansAllTopics) {
  MetadataRequest all;  // topics == nullopt
  auto v0 = encode(all, 0);
  ASSERT_TRUE(v0.has_value());
  EXPECT_EQ(*v0, (B{0, 0, 0, 0}));
  auto v1 = encode(all, 1);
  EXPECT_EQ(*v1, (B{0xFF, 0xFF, 0xFF, 0xFF}));
  auto back = decode<MetadataRequest>(*v0, 0);
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->topics.has_value());
  auto none = decode<MetadataRequest>(B{0, 0, 0, 0}, 1);
  ASSERT_TRUE(none.has_value());
  ASSERT_TRUE(none->topics.has_value());
  EXPECT_TRUE(none->topics->empty());
}

TEST(Dispatch, VisitRequestTypeFindsEveryImplementedKey) {
  int visited = 0;
  for (const auto& range : supported_apis()) {
    bool found = visit_request_type(range.api_key, [&]<class T>(std::type_identity<T>) {
      EXPECT_EQ(T::kApiKey, range.api_key);
      ++visited;
    });
    EXPECT_TRUE(found);
  }
  EXPECT_EQ(visited, 26);
  EXPECT_FALSE(visit_request_type(ApiKey::kSaslHandshake, [](auto) {}));
}

}  // namespace
}  // namespace meridian::protocol
