#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/json/consumer.h"

namespace meridian::gateway::json {
namespace {

using nlohmann::json;

TEST(ConsumerCreate, DocsExample) {
  auto r = parse_consumer_create(R"({"name":"my_consumer","format":"binary",
      "auto.offset.reset":"earliest","auto.commit.enable":"false"})");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->name, "my_consumer");
  EXPECT_EQ(r->format, EmbeddedFormat::kBinary);
  EXPECT_EQ(r->auto_offset_reset, OffsetReset::kEarliest);
  EXPECT_EQ(r->auto_commit_enable, false);
  EXPECT_FALSE(r->fetch_min_bytes);
}

TEST(ConsumerCreate, AliasesAndDefaults) {
  auto r = parse_consumer_create(R"({"id":"old","format":"JSON","responseMinBytes":1024,
      "requestWaitMs":"500","auto.commit.enable":true})");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->name, "old");
  EXPECT_EQ(r->format, EmbeddedFormat::kJson);
  EXPECT_EQ(r->fetch_min_bytes, 1024);
  EXPECT_EQ(r->request_timeout_ms, 500);
  EXPECT_EQ(r->auto_commit_enable, true);
  auto dotted = parse_consumer_create(R"({"fetch.min.bytes":7,"responseMinBytes":9,
      "consumer.request.timeout.ms":100})");
  ASSERT_TRUE(dotted);
  EXPECT_EQ(dotted->fetch_min_bytes, 7);
  EXPECT_EQ(dotted->request_timeout_ms, 100);
  auto empty = parse_consumer_create("");
  ASSERT_TRUE(empty);  // kafka-rest accepts a missing body: all defaults
  EXPECT_FALSE(empty->name);
  EXPECT_EQ(empty->format, EmbeddedFormat::kBinary);
}

TEST(ConsumerCreate, Errors) {
  auto unknown = parse_consumer_create(R"({"max.poll.records":5})");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, errc::unprocessable);
  EXPECT_EQ(unknown.error().detail, "Unrecognized field: max.poll.records");
  for (const char* bad :
       {R"({"format":"xml"})", R"({"auto.offset.reset":"middle"})",
        R"({"auto.commit.enable":"maybe"})", R"({"fetch.min.bytes":"lots"})", R"({"name":""})"}) {
    auto r = parse_consumer_create(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, errc::invalid_consumer_config) << bad;
  }
  EXPECT_EQ(parse_consumer_create("{").error().kind, errc::bad_request);
  EXPECT_EQ(parse_consumer_create(R"({"name":5})").error().kind, errc::unprocessable);
}

TEST(ConsumerCreate, Render) {
  EXPECT_EQ(
      render_consumer_create({"my_consumer", "http://gw/consumers/g/instances/my_consumer"}),
      R"({"instance_id":"my_consumer","base_uri":"http://gw/consumers/g/instances/my_consumer"})");
}

TEST(Subscription, TopicsOrPattern) {
  auto t = parse_subscription(R"({"topics":["test1","test2"]})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->topics, (std::vector<std::string>{"test1", "test2"}));
  auto p = parse_subscription(R"({"topic_pattern":"test.*"})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->topic_pattern, "test.*");
  auto both = parse_subscription(R"({"topics":["a"],"topic_pattern":"b"})");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().kind, errc::illegal_state);
  EXPECT_EQ(parse_subscription("{}").error().kind, errc::unprocessable);
  EXPECT_EQ(parse_subscription(R"({"topics":[]})").error().kind, errc::unprocessable);
  EXPECT_EQ(parse_subscription(R"({"topics":[1]})").error().kind, errc::unprocessable);
  EXPECT_EQ(parse_subscription(R"({"topics":"a"})").error().kind, errc::unprocessable);
  EXPECT_EQ(render_subscription(t->topics), R"({"topics":["test1","test2"]})");
}

TEST(Partitions, AssignmentsAndPositions) {
  auto a = parse_partitions(
      R"({"partitions":[{"topic":"test","partition":0},{"topic":"test","partition":1}]})");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[1].partition, PartitionId(1));
  EXPECT_EQ(render_assignments(*a),
            R"({"partitions":[{"topic":"test","partition":0},{"topic":"test","partition":1}]})");
  EXPECT_EQ(parse_partitions("").error().kind, errc::partition_not_found);  // GET offsets, no body
  EXPECT_EQ(parse_partitions(R"({"partitions":[{"topic":"t"}]})").error().kind,
            errc::unprocessable);
  EXPECT_EQ(parse_partitions(R"({"partitions":[{"topic":"t","partition":-1}]})").error().kind,
            errc::unprocessable);
  EXPECT_EQ(
      parse_partitions(R"({"partitions":[{"topic":"t","partition":0,"x":1}]})").error().detail,
      "Unrecognized field: x");
}

TEST(Seek, OffsetsAndTimestamps) {
  auto s = parse_seek(R"({"offsets":[{"topic":"test","partition":0,"offset":20},
      {"topic":"test","partition":1,"offset":30}],
      "timestamps":[{"topic":"topic-2","partition":1,"timestamp":"2020-10-30T19:39:45+0000",
      "metadata":"m"}]})");
  ASSERT_TRUE(s) << s.error().detail;
  ASSERT_EQ(s->offsets.size(), 2u);
  EXPECT_EQ(s->offsets[1].offset, Offset(30));
  ASSERT_EQ(s->timestamps.size(), 1u);
  EXPECT_EQ(s->timestamps[0].timestamp_ms, 1604086785000);
  EXPECT_EQ(s->timestamps[0].metadata, "m");
  EXPECT_EQ(parse_seek("{}").error().kind, errc::unprocessable);
  EXPECT_EQ(parse_seek(R"({"offsets":[{"topic":"t","partition":0,"offset":-5}]})").error().kind,
            errc::unprocessable);
  EXPECT_EQ(
      parse_seek(R"({"timestamps":[{"topic":"t","partition":0,"timestamp":"now"}]})").error().kind,
      errc::unprocessable);
}

TEST(Commit, EmptyBodyCommitsAll) {
  auto all = parse_commit_offsets("");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->commit_all);
  auto some = parse_commit_offsets(R"({"offsets":[{"topic":"test","partition":0,"offset":20}]})");
  ASSERT_TRUE(some);
  EXPECT_FALSE(some->commit_all);
  EXPECT_EQ(some->offsets[0].offset, Offset(20));
  std::vector<CommitResult> results = {{"test", PartitionId(0), Offset(20), Offset(20)}};
  EXPECT_EQ(render_commit_offsets(results),
            R"([{"topic":"test","partition":0,"consumed":20,"committed":20}])");
  std::vector<TopicPartitionOffset> committed = {{"test", PartitionId(0), Offset(21), ""}};
  EXPECT_EQ(render_committed_offsets(committed),
            R"({"offsets":[{"topic":"test","partition":0,"offset":21,"metadata":""}]})");
}

TEST(Records, BinaryAndJson) {
  std::vector<ConsumedRecord> recs(2);
  recs[0] = {"test", "key", "confluent", PartitionId(1), Offset(100), 1000, {{"h", "v"}}};
  recs[1] = {"test", std::nullopt, std::nullopt, PartitionId(2), Offset(101), -1, {}};
  auto bin = render_records(recs, EmbeddedFormat::kBinary);
  ASSERT_TRUE(bin);
  auto j = json::parse(*bin);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0]["key"], "a2V5");
  EXPECT_EQ(j[0]["value"], "Y29uZmx1ZW50");
  EXPECT_EQ(j[0]["partition"], 1);
  EXPECT_EQ(j[0]["offset"], 100);
  EXPECT_EQ(j[0]["timestamp"], 1000);
  EXPECT_EQ(j[0]["headers"][0], json::parse(R"({"key":"h","value":"dg=="})"));
  EXPECT_TRUE(j[1]["key"].is_null());
  EXPECT_TRUE(j[1]["value"].is_null());
  EXPECT_TRUE(j[1]["timestamp"].is_null());

  std::vector<ConsumedRecord> js(1);
  js[0] = {"test", "\"k\"", R"({"foo":"bar"})", PartitionId(0), Offset(1), 5, {}};
  auto jr = render_records(js, EmbeddedFormat::kJson);
  ASSERT_TRUE(jr);
  auto jj = json::parse(*jr);
  EXPECT_EQ(jj[0]["value"]["foo"], "bar");
  EXPECT_EQ(jj[0]["key"], "k");
  js[0].value = "not json";
  auto bad = render_records(js, EmbeddedFormat::kJson);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, errc::kafka_error);
  EXPECT_EQ(*render_records({}, EmbeddedFormat::kBinary), "[]");
}

}  // namespace
}  // namespace meridian::gateway::json
