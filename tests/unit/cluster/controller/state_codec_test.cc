#include "cluster/controller/state_codec.h"

#include <gtest/gtest.h>

namespace meridian::controller {
namespace {

TEST(StateCodec, BrokerRoundTripAndKafkaFormat) {
  BrokerRegistration b{BrokerId(3), "h1", 9092, "r1", {}, 1700000000000};
  auto decoded = decode_broker(BrokerId(3), encode_broker(b));
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->host, "h1");
  EXPECT_EQ(decoded->port, 9092);
  EXPECT_EQ(decoded->rack, "r1");
  EXPECT_EQ(decoded->endpoints, std::vector<std::string>{"PLAINTEXT://h1:9092"});
  EXPECT_EQ(decoded->timestamp_ms, 1700000000000);
  // As Kafka 2.x writes it (host/port may be null/-1: the endpoint wins).
  auto kafka = decode_broker(
      BrokerId(1),
      R"({"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://k1:19092"],)"
      R"("jmx_port":-1,"host":null,"timestamp":"1589456","port":-1,"version":4})");
  ASSERT_TRUE(kafka) << kafka.error().message();
  EXPECT_EQ(kafka->host, "k1");
  EXPECT_EQ(kafka->port, 19092);
  EXPECT_FALSE(kafka->rack.has_value());
  EXPECT_EQ(kafka->timestamp_ms, 1589456);
}

TEST(StateCodec, AssignmentRoundTripAndValidation) {
  ReplicaAssignment a{{BrokerId(1), BrokerId(2)}, {BrokerId(2), BrokerId(3)}};
  EXPECT_EQ(encode_assignment(a), R"({"partitions":{"0":[1,2],"1":[2,3]},"version":2})");
  auto decoded = decode_assignment(encode_assignment(a));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, a);
  // Partition ids must be exactly 0..n-1.
  EXPECT_EQ(decode_assignment(R"({"version":2,"partitions":{"0":[1],"2":[1]}})").error(),
            errc::bad_state_data);
  EXPECT_EQ(decode_assignment(R"({"version":2,"partitions":{"x":[1]}})").error(),
            errc::bad_state_data);
  EXPECT_EQ(decode_assignment(R"({"version":2,"partitions":{"0":["a"]}})").error(),
            errc::bad_state_data);
}

TEST(StateCodec, PartitionStateKafkaFormat) {
  PartitionStateData s{7, BrokerId(2), LeaderEpoch(4), {BrokerId(2), BrokerId(1)}};
  EXPECT_EQ(encode_partition_state(s),
            R"({"controller_epoch":7,"isr":[2,1],"leader":2,"leader_epoch":4,"version":1})");
  auto decoded = decode_partition_state(
      R"({"controller_epoch":7,"leader":2,"version":1,"leader_epoch":4,"isr":[2,1]})");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, s);
}

TEST(StateCodec, ControllerEpochConfigAndIsrChange) {
  auto c = decode_controller(encode_controller({BrokerId(5), 123}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->broker_id, BrokerId(5));
  EXPECT_EQ(c->timestamp_ms, 123);
  EXPECT_EQ(*decode_controller_epoch("42"), 42);
  EXPECT_FALSE(decode_controller_epoch(""));
  EXPECT_FALSE(decode_controller_epoch("4x"));
  EXPECT_FALSE(decode_controller_epoch("-1"));
  TopicConfig config{{"retention.ms", "1000"}, {"cleanup.policy", "delete"}};
  EXPECT_EQ(*decode_topic_config(encode_topic_config(config)), config);
  std::vector<TopicPartition> tps{{"a", PartitionId(0)}, {"b", PartitionId(3)}};
  EXPECT_EQ(*decode_isr_change(encode_isr_change(tps)), tps);
}

TEST(StateCodec, MalformedInputIsAnErrorNeverAThrow) {
  const std::vector<std::string> bad = {"",
                                        "{",
                                        "[]",
                                        "null",
                                        "42",
                                        R"({"leader":"x"})",
                                        std::string("\xff\xfe", 2),
                                        R"({"isr":[1]})"};
  for (const auto& text : bad) {
    EXPECT_EQ(decode_partition_state(text).error(), errc::bad_state_data) << text;
    EXPECT_FALSE(decode_assignment(text)) << text;
    EXPECT_FALSE(decode_controller(text)) << text;
    EXPECT_FALSE(decode_isr_change(text)) << text;
  }
  EXPECT_FALSE(decode_broker(BrokerId(1), "{\"endpoints\":[\"nonsense\"]}"));
  EXPECT_FALSE(decode_topic_config(R"({"config":[1,2]})"));
}

}  // namespace
}  // namespace meridian::controller
