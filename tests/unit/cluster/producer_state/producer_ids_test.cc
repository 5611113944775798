// Producer id blocks claimed from the coordination store (Kafka's /latest_producer_id_block) and
// the topic config catalog behind DescribeConfigs / AlterConfigs.
#include "cluster/broker/producer_ids.h"

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "cluster/broker/config_catalog.h"
#include "cluster/coord/embedded_ensemble.h"

namespace meridian::broker {
namespace {

using namespace std::chrono_literals;

TEST(ProducerIdAllocator, IdsAreUniqueAcrossBrokersAndRestarts) {
  auto ensemble = coord::EmbeddedEnsemble::create();
  auto store_a = ensemble->connect(10s);
  auto store_b = ensemble->connect(10s);
  std::set<int64_t> seen;
  std::mutex mutex;
  {
    ProducerIdAllocator a(*store_a, BrokerId(1), 10);
    ProducerIdAllocator b(*store_b, BrokerId(2), 10);
    // Two brokers race for blocks from four threads: every id is handed out once.
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          auto id = (t % 2 == 0 ? a : b).next();
          ASSERT_TRUE(id) << id.error().message();
          std::lock_guard lock(mutex);
          EXPECT_TRUE(seen.insert(*id).second) << "id " << *id << " handed out twice";
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
  }
  EXPECT_EQ(seen.size(), 200u);
  // A restarted broker claims a fresh block after everything handed out so far.
  ProducerIdAllocator restarted(*store_a, BrokerId(1), 10);
  auto id = restarted.next();
  ASSERT_TRUE(id);
  EXPECT_GT(*id, *seen.rbegin());
  auto node = store_a->get(kProducerIdBlockPath);
  ASSERT_TRUE(node);
  auto block = decode_producer_id_block(node->data);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->broker, BrokerId(1));
  EXPECT_EQ(block->start, *id);
  EXPECT_EQ(block->end, *id + 9);
}

TEST(ProducerIdAllocator, BlockNodeInKafkasFormat) {
  ProducerIdBlock block{BrokerId(3), 1000, 1999};
  auto json = encode_producer_id_block(block);
  EXPECT_NE(json.find("\"block_start\":\"1000\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"block_end\":\"1999\""), std::string::npos) << json;
  auto decoded = decode_producer_id_block(json);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->start, 1000);
  EXPECT_EQ(decoded->end, 1999);
  // Kafka's own node (numbers as strings, version 1) decodes too; garbage does not.
  EXPECT_TRUE(
      decode_producer_id_block(R"({"version":1,"broker":0,"block_start":"0","block_end":"999"})"));
  EXPECT_FALSE(decode_producer_id_block("{\"block_start\":\"x\",\"block_end\":\"1\"}"));
  EXPECT_FALSE(decode_producer_id_block("not json"));
}

TEST(ProducerIdAllocator, CorruptBlockNodeIsAnErrorNotAReset) {
  auto ensemble = coord::EmbeddedEnsemble::create();
  auto store = ensemble->connect(10s);
  ASSERT_TRUE(store->create(kProducerIdBlockPath, "{oops", coord::CreateMode::kPersistent));
  ProducerIdAllocator a(*store, BrokerId(1));
  EXPECT_FALSE(a.next());
}

TEST(ConfigCatalog, ValidatesKeysAndValuesLikeKafka) {
  EXPECT_EQ(validate_topic_config("retention.ms", "3600000"), std::nullopt);
  EXPECT_EQ(validate_topic_config("retention.ms", "-1"), std::nullopt);
  EXPECT_EQ(*validate_topic_config("retention.foo", "1"),
            "Unknown topic config name: retention.foo");
  EXPECT_NE(validate_topic_config("retention.ms", "-2")->find("at least -1"), std::string::npos);
  EXPECT_NE(validate_topic_config("segment.bytes", "99999999999")->find("INT"), std::string::npos);
  EXPECT_TRUE(validate_topic_config("min.insync.replicas", "0"));
  EXPECT_EQ(validate_topic_config("cleanup.policy", "compact,delete"), std::nullopt);
  EXPECT_TRUE(validate_topic_config("cleanup.policy", "shred"));
  EXPECT_EQ(validate_topic_config("compression.type", "zstd"), std::nullopt);
  EXPECT_TRUE(validate_topic_config("compression.type", "brotli"));
  EXPECT_TRUE(validate_topic_config("preallocate", "yes"));
  EXPECT_EQ(validate_topic_config("min.cleanable.dirty.ratio", "0.3"), std::nullopt);
  EXPECT_TRUE(validate_topic_config("min.cleanable.dirty.ratio", "3"));
}

TEST(ConfigCatalog, DescribeReportsSourcesAndSynonyms) {
  BrokerConfig broker;
  broker.log_retention_ms = 1000;  // set away from the default: STATIC_BROKER_CONFIG
  auto configs = describe_topic_configs({{"segment.bytes", "4096"}, {"custom.key", "v"}}, broker);
  auto find = [&](const std::string& name) {
    auto it = std::find_if(configs.begin(), configs.end(),
                           [&](const DescribedConfig& c) { return c.name == name; });
    EXPECT_NE(it, configs.end()) << name;
    return *it;
  };
  auto segment = find("segment.bytes");
  EXPECT_EQ(segment.value, "4096");
  EXPECT_EQ(segment.source, ConfigSource::kTopic);
  ASSERT_EQ(segment.synonyms.size(), 2u);
  EXPECT_EQ(segment.synonyms[1].first, "log.segment.bytes");
  EXPECT_EQ(segment.synonyms[1].second.second, ConfigSource::kDefault);
  auto retention = find("retention.ms");
  EXPECT_EQ(retention.value, "1000");
  EXPECT_EQ(retention.source, ConfigSource::kStaticBroker);
  auto bytes = find("retention.bytes");
  EXPECT_EQ(bytes.value, "-1");
  EXPECT_EQ(bytes.source, ConfigSource::kDefault);
  EXPECT_EQ(find("flush.ms").value, "9223372036854775807");  // Meridian's -1 is Kafka's "never"
  EXPECT_EQ(find("custom.key").source, ConfigSource::kTopic);
  auto broker_configs = describe_broker_configs(broker);
  auto id = std::find_if(broker_configs.begin(), broker_configs.end(),
                         [](const DescribedConfig& c) { return c.name == "broker.id"; });
  ASSERT_NE(id, broker_configs.end());
  EXPECT_TRUE(id->read_only);
}

TEST(ConfigCatalog, EffectiveConfigAppliesOverridesOnTheBrokerBase) {
  log::LogConfig base;
  base.retention_ms = 5000;
  replication::PartitionConfig partition;
  partition.min_insync_replicas = 2;
  auto none = effective_topic_config({}, base, partition);
  EXPECT_EQ(none.log.retention_ms, 5000);
  EXPECT_EQ(none.partition.min_insync_replicas, 2);
  auto some = effective_topic_config({{"retention.ms", "7"},
                                      {"segment.bytes", "2048"},
                                      {"min.insync.replicas", "3"},
                                      {"retention.bytes", "garbage"}},
                                     base, partition);
  EXPECT_EQ(some.log.retention_ms, 7);
  EXPECT_EQ(some.log.segment_bytes, 2048);
  EXPECT_EQ(some.log.retention_bytes, base.retention_bytes);  // invalid values are ignored
  EXPECT_EQ(some.partition.min_insync_replicas, 3);
  EXPECT_FALSE(some == none);
}

}  // namespace
}  // namespace meridian::broker
