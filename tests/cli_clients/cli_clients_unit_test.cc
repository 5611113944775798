// The pure parts of the client commands: produce input formats, consume output formats, the
// -o offset grammar, the cluster health verdict, and the latency histogram.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/bench_histogram.h"
#include "cli/cluster_health.h"
#include "cli/record_format.h"

namespace meridian::cli {
namespace {

std::vector<FormatToken> input_format(const std::string& f) {
  std::string error;
  auto tokens = parse_format(f, true, error);
  EXPECT_TRUE(tokens) << f << ": " << error;
  return tokens.value_or(std::vector<FormatToken>{});
}

TEST(RecordReader, OneValuePerLineAndMissingFinalNewline) {
  std::istringstream in("a\n\nlast");
  RecordReader reader(in, input_format("%v\\n"));
  std::vector<std::string> values;
  while (auto r = reader.next()) {
    EXPECT_FALSE(r->key);
    values.push_back(r->value);
  }
  EXPECT_EQ(values, (std::vector<std::string>{"a", "", "last"}));
  EXPECT_TRUE(reader.error().empty());
}

TEST(RecordReader, KeyValueSeparator) {
  std::istringstream in("user-1=hello=world\nuser-2=bye\n");
  RecordReader reader(in, input_format("%k=%v\\n"));
  auto first = reader.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->key, "user-1");
  EXPECT_EQ(first->value, "hello=world");
  auto second = reader.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->key, "user-2");
  EXPECT_FALSE(reader.next());
  EXPECT_TRUE(reader.error().empty());
}

TEST(RecordReader, MissingSeparatorIsAnError) {
  std::istringstream in("no-separator\n");
  RecordReader reader(in, input_format("%k=%v\\n"));
  EXPECT_FALSE(reader.next());
  EXPECT_NE(reader.error().find("ends before '='"), std::string::npos) << reader.error();
}

TEST(RecordReader, LeadingLiteralMustMatch) {
  std::istringstream in("[k] v\nx\n");
  RecordReader reader(in, input_format("[%k] %v\\n"));
  auto r = reader.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->key, "k");
  EXPECT_EQ(r->value, "v");
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.error().empty());
}

TEST(ParseFormat, RejectsBadFormats) {
  std::string error;
  EXPECT_FALSE(parse_format("%k%v", true, error));
  EXPECT_FALSE(parse_format("%k\\n", true, error));
  EXPECT_FALSE(parse_format("%x", false, error));
  EXPECT_FALSE(parse_format("%v%", false, error));
  EXPECT_TRUE(parse_format("%t %p %o %T %d %h %k %v\\n", false, error)) << error;
}

TEST(RenderRecord, TextAndJson) {
  client::ConsumerRecord r{{"orders", PartitionId(2)}, {}};
  r.record.offset = Offset(7);
  r.record.timestamp = 1732552258123;
  r.record.key = "k";
  r.record.value = std::string("v\xff", 2);
  r.record.headers = {{"h1", "x"}, {"h2", std::nullopt}};
  std::string error;
  auto text = parse_format(kDefaultOutputFormat, false, error);
  ASSERT_TRUE(text) << error;
  EXPECT_EQ(render_record(*text, r),
            "orders/2@7  2024-11-25T16:30:58.123Z  key=k  headers={h1=x,h2=(null)}  v\xff\n");
  const std::string json = render_record_json(r);
  EXPECT_NE(json.find("\"offset\":7"), std::string::npos) << json;
  EXPECT_NE(json.find("\"headers\":[{\"key\":\"h1\",\"value\":\"x\"}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"timestamp\":1732552258123"), std::string::npos) << json;
}

TEST(OffsetSpec, GrammarAndClamping) {
  using K = OffsetSpec::Kind;
  EXPECT_EQ(parse_offset_spec("beginning")->kind, K::kBeginning);
  EXPECT_EQ(parse_offset_spec("start")->kind, K::kBeginning);
  EXPECT_EQ(parse_offset_spec("end")->kind, K::kEnd);
  EXPECT_EQ(parse_offset_spec("-3")->kind, K::kBeforeEnd);
  EXPECT_EQ(parse_offset_spec("+3")->kind, K::kAfterStart);
  EXPECT_EQ(parse_offset_spec("@1000")->kind, K::kTimestamp);
  EXPECT_EQ(parse_offset_spec("42")->value, 42);
  EXPECT_FALSE(parse_offset_spec("soon"));
  EXPECT_FALSE(parse_offset_spec("4x"));
  EXPECT_FALSE(parse_offset_spec("+"));
  // Log [10, 20).
  EXPECT_EQ(resolve_offset(*parse_offset_spec("beginning"), 10, 20, -1), 10);
  EXPECT_EQ(resolve_offset(*parse_offset_spec("end"), 10, 20, -1), 20);
  EXPECT_EQ(resolve_offset(*parse_offset_spec("-3"), 10, 20, -1), 17);
  EXPECT_EQ(resolve_offset(*parse_offset_spec("-30"), 10, 20, -1), 10);
  EXPECT_EQ(resolve_offset(*parse_offset_spec("+3"), 10, 20, -1), 13);
  EXPECT_EQ(resolve_offset(*parse_offset_spec("5"), 10, 20, -1), 10);
  EXPECT_EQ(resolve_offset(*parse_offset_spec("99"), 10, 20, -1), 20);
  EXPECT_EQ(resolve_offset(*parse_offset_spec("@5"), 10, 20, 15), 15);
  EXPECT_EQ(resolve_offset(*parse_offset_spec("@5"), 10, 20, -1), 20);
}

protocol::MetadataResponse three_brokers() {
  protocol::MetadataResponse m;
  m.controller_id = 1;
  for (int id : {1, 2, 3}) {
    m.brokers.push_back({id, "127.0.0.1", 9090 + id, std::nullopt});
  }
  protocol::MetadataResponse::Topic t;
  t.name = "orders";
  for (int p = 0; p < 2; ++p) {
    protocol::MetadataResponse::Partition part;
    part.partition_index = p;
    part.leader_id = 1 + p;
    part.replica_nodes = {1, 2, 3};
    part.isr_nodes = {1, 2, 3};
    t.partitions.push_back(part);
  }
  m.topics.push_back(t);
  return m;
}

TEST(ClusterHealth, HealthyCluster) {
  auto report = evaluate_health(three_brokers(), {1, 2, 3});
  EXPECT_TRUE(report.healthy);
  EXPECT_EQ(report.all_nodes, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_TRUE(report.nodes_down.empty());
  EXPECT_NE(render_health_text(report).find("Healthy:                          true"),
            std::string::npos);
}

TEST(ClusterHealth, BrokerGoneLeaderlessAndUnderReplicated) {
  auto m = three_brokers();
  m.brokers.pop_back();  // broker 3 no longer registered
  m.topics[0].partitions[0].isr_nodes = {1, 2};
  m.topics[0].partitions[1].leader_id = -1;
  auto report = evaluate_health(m, {1, 2});
  EXPECT_FALSE(report.healthy);
  EXPECT_EQ(report.nodes_down, (std::vector<int32_t>{3}));
  EXPECT_EQ(report.leaderless, (std::vector<std::string>{"orders/1"}));
  EXPECT_EQ(report.under_replicated, (std::vector<std::string>{"orders/0"}));
  EXPECT_EQ(report.reasons, (std::vector<std::string>{"nodes_down", "leaderless_partitions"}));
  EXPECT_NE(render_health_json(report).find("\"is_healthy\":false"), std::string::npos);
}

TEST(ClusterHealth, UnresponsiveBrokerAndNoController) {
  auto m = three_brokers();
  m.controller_id = -1;
  auto report = evaluate_health(m, {1, 3});
  EXPECT_FALSE(report.healthy);
  EXPECT_EQ(report.nodes_down, (std::vector<int32_t>{2}));
  EXPECT_EQ(report.reasons.front(), "no_controller");
}

TEST(ClusterHealth, UnderReplicatedAloneStaysHealthy) {
  auto m = three_brokers();
  m.topics[0].partitions[1].isr_nodes = {2};
  auto report = evaluate_health(m, {1, 2, 3});
  EXPECT_TRUE(report.healthy);
  EXPECT_EQ(report.under_replicated.size(), 1u);
}

TEST(LatencyHistogram, PercentilesWithinBucketPrecision) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(0.99), 0);
  for (int v = 1; v <= 10000; ++v) {
    h.record(v);
  }
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_EQ(h.max(), 10000u);
  EXPECT_NEAR(h.percentile(0.5), 5000, 5000 * 0.035);
  EXPECT_NEAR(h.percentile(0.99), 9900, 9900 * 0.035);
  EXPECT_NEAR(h.percentile(0.999), 9990, 9990 * 0.035);
  LatencyHistogram small;
  small.record(3);
  small.record(40);
  EXPECT_EQ(small.percentile(0.0), 3);
  EXPECT_EQ(small.percentile(1.0), 40);
  LatencyHistogram huge;
  huge.record(int64_t{1} << 50);
  EXPECT_NEAR(huge.percentile(0.5), static_cast<double>(int64_t{1} << 50), (int64_t{1} << 50) * 0.035);
}

}  // namespace
}  // namespace meridian::cli
