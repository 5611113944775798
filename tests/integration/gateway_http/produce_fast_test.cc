// The v2 binary produce fast path (gateway/json/produce_fast.cc) against the JSON DOM parser:
// it must accept the common request shapes, and whenever it accepts a body (valid, or randomly
// mutated) the DOM parser must accept it too with the same records; everything else is left to
// the DOM parser and its error answers.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "gateway/json/produce.h"

namespace meridian::gateway::json {
namespace {

const std::vector<std::string> kValid = {
    R"({"records":[{"value":"aGVsbG8="}]})",
    R"( { "records" : [ { "key" : "a2V5" , "value" : "dmFsdWU=" , "partition" : 2 } ] } )",
    "{\"records\":[\n\t{\"value\":null,\"key\":\"\"},\r\n{\"partition\":0,\"value\":\"eA==\"}]}",
    R"({"records":[{}]})",
    R"({"records":[{"value":"eHl6"},{"value":"eHk="},{"key":null,"value":"eA=="}]})",
    R"({"records":[{"partition":2147483647,"value":"AAAA"}]})",
};

bool same(const ProduceRequest& a, const ProduceRequest& b) {
  if (a.records.size() != b.records.size()) {
    return false;
  }
  for (size_t i = 0; i < a.records.size(); ++i) {
    const auto& x = a.records[i];
    const auto& y = b.records[i];
    if (x.key != y.key || x.value != y.value || x.partition != y.partition ||
        !x.headers.empty() || !y.headers.empty() || x.timestamp_ms || y.timestamp_ms) {
      return false;
    }
  }
  return a.format == b.format && !b.key_schema && !b.value_schema && !b.key_schema_id &&
         !b.value_schema_id;
}

// Fast accepts => DOM accepts with the same request.
void check(const std::string& body, ProduceTarget target, uint32_t seed) {
  auto fast = parse_binary_produce_fast(body, target);
  if (!fast) {
    return;
  }
  auto dom = parse_produce_request_dom(body, EmbeddedFormat::kBinary, target);
  ASSERT_TRUE(dom) << "seed " << seed << " fast accepted what the DOM rejects: " << body;
  ASSERT_TRUE(same(*fast, *dom)) << "seed " << seed << " different records for: " << body;
}

TEST(ProduceFastPath, AcceptsTheCommonShapesWithTheDomResult) {
  for (const auto& body : kValid) {
    auto fast = parse_binary_produce_fast(body, ProduceTarget::kTopic);
    ASSERT_TRUE(fast) << body;
    check(body, ProduceTarget::kTopic, 0);
  }
  auto p = parse_binary_produce_fast(kValid[1], ProduceTarget::kTopic);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->records[0].key, "key");
  EXPECT_EQ(p->records[0].value, "value");
  EXPECT_EQ(p->records[0].partition, PartitionId(2));
}

TEST(ProduceFastPath, LeavesEveryInvalidOrUnusualBodyToTheDom) {
  const std::vector<std::string> rejected = {
      R"({"records":[]})",                              // empty: 422
      R"({"records":[{"value":"aGVsbG8"}]})",           // bad base64: 42203
      R"({"records":[{"value":"aGVs\/bG8="}]})",        // escape
      R"({"records":[{"value":"eA==","value":"eA=="}]})",  // duplicate
      R"({"records":[{"value":"eA==","partition":-1}]})",
      R"({"records":[{"value":"eA==","partition":01}]})",
      R"({"records":[{"value":"eA==","partition":1.0}]})",
      R"({"records":[{"value":"eA==","partition":2147483648}]})",
      R"({"records":[{"value":"eA==","foo":1}]})",
      R"({"records":[{"value":"eA=="}],"value_schema_id":1})",
      R"({"records":[{"value":"eA=="}]} x)",
      R"({"records":[{"value":"eA=="},]})",
      R"({"records":[{"value":"eA=="}])",
      R"({"records":[{"value":1}]})",
  };
  for (const auto& body : rejected) {
    EXPECT_FALSE(parse_binary_produce_fast(body, ProduceTarget::kTopic)) << body;
  }
  // A per-record partition is not a field of POST /topics/{t}/partitions/{p}.
  EXPECT_FALSE(parse_binary_produce_fast(R"({"records":[{"value":"eA==","partition":1}]})",
                                         ProduceTarget::kPartition));
}

TEST(ProduceFastPath, RandomMutationsNeverDisagreeWithTheDom) {
  const uint32_t seed = std::random_device{}();
  std::mt19937 rng(seed);
  const std::string alphabet = "{}[]\":, \t\n\\0123456789-.eE+/=aAzZnul\x01\xc3";
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string body = kValid[rng() % kValid.size()];
    for (int m = 0, n = 1 + static_cast<int>(rng() % 3); m < n && !body.empty(); ++m) {
      size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: body.erase(at, 1 + rng() % 3); break;
        default: body.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    for (auto target : {ProduceTarget::kTopic, ProduceTarget::kPartition}) {
      ASSERT_NO_FATAL_FAILURE(check(body, target, seed));
      accepted += parse_binary_produce_fast(body, target) ? 1 : 0;
    }
  }
  EXPECT_GT(accepted, 0) << "seed " << seed;  // some mutations (whitespace) stay valid
}

}  // namespace
}  // namespace meridian::gateway::json
