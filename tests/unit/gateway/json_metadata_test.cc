#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/json/metadata.h"

namespace meridian::gateway::json {
namespace {

using nlohmann::json;

PartitionInfo partition1() {
  return {PartitionId(1), BrokerId(1), {{BrokerId(1), true, true}, {BrokerId(2), false, true}}};
}

TEST(V2Metadata, Shapes) {
  std::vector<std::string> names = {"topic1", "topic2"};
  EXPECT_EQ(render_topic_names(names), R"(["topic1","topic2"])");
  TopicInfo t{"test", {{"cleanup.policy", "compact"}}, {partition1()}};
  EXPECT_EQ(json::parse(render_topic(t)),
            json::parse(R"({"name":"test","configs":{"cleanup.policy":"compact"},"partitions":[
              {"partition":1,"leader":1,"replicas":[{"broker":1,"leader":true,"in_sync":true},
              {"broker":2,"leader":false,"in_sync":true}]}]})"));
  std::vector<PartitionInfo> ps = {partition1()};
  EXPECT_TRUE(json::parse(render_partitions(ps)).is_array());
  EXPECT_EQ(render_partition_offsets({Offset(0), Offset(197)}),
            R"({"beginning_offset":0,"end_offset":197})");
  std::vector<BrokerId> brokers = {BrokerId(1), BrokerId(2), BrokerId(3)};
  EXPECT_EQ(render_brokers(brokers), R"({"brokers":[1,2,3]})");
  TopicInfo empty{"e", {}, {}};
  EXPECT_TRUE(json::parse(render_topic(empty))["configs"].is_object());
}

TEST(V3Metadata, ClusterAndReplicas) {
  V3Context c{"http://gw:8082/v3", "cluster-1"};
  auto cluster = json::parse(render_v3_cluster(c, BrokerId(1)));
  EXPECT_EQ(cluster["kind"], "KafkaCluster");
  EXPECT_EQ(cluster["metadata"]["resource_name"], "crn:///kafka=cluster-1");
  EXPECT_EQ(cluster["metadata"]["self"], "http://gw:8082/v3/clusters/cluster-1");
  EXPECT_EQ(cluster["controller"]["related"], "http://gw:8082/v3/clusters/cluster-1/brokers/1");
  auto list = json::parse(render_v3_clusters(c, std::nullopt));
  EXPECT_EQ(list["kind"], "KafkaClusterList");
  EXPECT_TRUE(list["data"][0]["controller"].is_null());
  auto replicas = json::parse(render_v3_replicas(c, "t", partition1()));
  ASSERT_EQ(replicas["data"].size(), 2u);
  EXPECT_EQ(replicas["data"][0]["is_leader"], true);
  EXPECT_EQ(replicas["data"][1]["is_leader"], false);
  EXPECT_EQ(replicas["data"][1]["is_in_sync"], true);
  EXPECT_EQ(replicas["data"][1]["broker_id"], 2);
  EXPECT_EQ(replicas["data"][1]["metadata"]["resource_name"],
            "crn:///kafka=cluster-1/topic=t/partition=1/replica=2");
}

TEST(V3Metadata, LagAndSummary) {
  V3Context c{"http://gw/v3", "cluster-1"};
  std::vector<V3Lag> lags = {{"consumer-group-1", "topic-1", PartitionId(1), "consumer-1",
                              "consumer-instance-1", "client-1", Offset(1), Offset(101)},
                             {"consumer-group-1", "topic-1", PartitionId(2), "consumer-2",
                              std::nullopt, "client-2", Offset(50), Offset(60)}};
  auto l = json::parse(render_v3_lags(c, lags));
  EXPECT_EQ(l["data"][0]["lag"], 100);
  EXPECT_EQ(l["data"][0]["metadata"]["resource_name"],
            "crn:///kafka=cluster-1/consumer-group=consumer-group-1/lag=topic-1/partition=1");
  EXPECT_TRUE(l["data"][1]["instance_id"].is_null());
  auto s = json::parse(render_v3_lag_summary(c, "consumer-group-1", lags));
  EXPECT_EQ(s["max_lag"], 100);
  EXPECT_EQ(s["total_lag"], 110);
  EXPECT_EQ(s["max_lag_consumer_id"], "consumer-1");
  EXPECT_EQ(s["max_lag_partition_id"], 1);
}

TEST(V3CreateTopic, ParseAndErrors) {
  auto r = parse_v3_create_topic(R"({"topic_name":"topic-X","partitions_count":64,
      "replication_factor":3,"configs":[{"name":"cleanup.policy","value":"compact"}]})");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->topic_name, "topic-X");
  EXPECT_EQ(r->partitions_count, 64);
  EXPECT_EQ(r->replication_factor, 3);
  ASSERT_EQ(r->configs.size(), 1u);
  auto ra = parse_v3_create_topic(
      R"({"topic_name":"t","replicas_assignments":{"0":[1,2],"1":[2,3]},"validate_only":true})");
  ASSERT_TRUE(ra);
  EXPECT_EQ(ra->replicas_assignments.at(1), (std::vector<int32_t>{2, 3}));
  EXPECT_TRUE(ra->validate_only);
  for (const char* bad :
       {R"({})", R"({"topic_name":"a/b"})", R"({"topic_name":"t","x":1})",
        R"({"topic_name":"t","partitions_count":0})", R"({"topic_name":"t","configs":{}})",
        R"({"topic_name":"t","replicas_assignments":{"x":[1]}})"}) {
    auto e = parse_v3_create_topic(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().kind, errc::bad_request) << bad;
  }
}

}  // namespace
}  // namespace meridian::gateway::json
