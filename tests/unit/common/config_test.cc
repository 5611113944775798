#include "common/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "cluster/broker/broker_config.h"

namespace meridian::config {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("meridian-config-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& text) {
    auto path = dir_ / "broker.yaml";
    std::ofstream(path) << text;
    return path.string();
  }

  LoadOptions options(std::optional<std::string> file,
                      std::map<std::string, std::string> env = {}) {
    LoadOptions o;
    o.file = std::move(file);
    o.getenv = [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    return o;
  }

  std::string error_of(const LoadOptions& o) {
    try {
      broker::load_broker_config(o);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(ConfigTest, DefaultsMatchKafka) {
  auto c = broker::load_broker_config(options(std::nullopt));
  EXPECT_EQ(c.broker_id, BrokerId(0));
  EXPECT_EQ(c.log_segment_bytes, 1073741824);
  EXPECT_EQ(c.log_retention_ms, 604800000);
  EXPECT_EQ(c.log_retention_bytes, -1);
  EXPECT_EQ(c.replica_lag_time_max.count(), 30000);
  EXPECT_FALSE(c.unclean_leader_election_enable);
  EXPECT_TRUE(c.auto_create_topics_enable);
  EXPECT_EQ(c.listeners, std::vector<std::string>{"PLAINTEXT://127.0.0.1:9092"});
  EXPECT_EQ(c.advertised_listeners, c.listeners);
  EXPECT_EQ(c.log_flush_interval_messages, broker::kNeverFlush);
}

TEST_F(ConfigTest, FlatAndNestedKeysAndLists) {
  auto file = write(
      "broker.id: 3\n"
      "log:\n"
      "  dirs: [/a, /b]\n"
      "  segment.bytes: 2048\n"
      "unclean.leader.election.enable: TRUE\n");
  auto c = broker::load_broker_config(options(file));
  EXPECT_EQ(c.broker_id, BrokerId(3));
  EXPECT_EQ(c.log_dirs, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(c.log_segment_bytes, 2048);
  EXPECT_TRUE(c.unclean_leader_election_enable);
}

TEST_F(ConfigTest, PrecedenceOverrideBeatsEnvironmentBeatsFile) {
  auto file = write("log.segment.bytes: 2048\nnum.partitions: 4\nbroker.id: 1\n");
  auto o = options(file, {{"MERIDIAN_LOG_SEGMENT_BYTES", "4096"}, {"MERIDIAN_BROKER_ID", "7"}});
  o.overrides.push_back({"broker.id", "9"});
  auto values = load(broker::broker_schema(), o);
  EXPECT_EQ(values.get_int("log.segment.bytes"), 4096);
  EXPECT_EQ(values.raw("log.segment.bytes").source, Source::kEnvironment);
  EXPECT_EQ(values.get_int("num.partitions"), 4);
  EXPECT_EQ(values.raw("num.partitions").source, Source::kFile);
  EXPECT_EQ(values.get_int("broker.id"), 9);
  EXPECT_EQ(values.raw("broker.id").source, Source::kOverride);
  auto printed = values.print_effective();
  EXPECT_NE(printed.find("log.segment.bytes = 4096  (environment: MERIDIAN_LOG_SEGMENT_BYTES)"),
            std::string::npos);
  EXPECT_NE(printed.find("num.partitions = 4  (file: " + file + ")"), std::string::npos);
}

TEST_F(ConfigTest, UnknownKeyGetsDidYouMean) {
  auto file = write("log.segment.byte: 2048\n");
  auto msg = error_of(options(file));
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown configuration key 'log.segment.byte'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'log.segment.bytes'"), std::string::npos) << msg;
}

TEST_F(ConfigTest, UnknownKeyFarFromAnyGetsNoSuggestion) {
  auto msg = error_of(options(write("completely.unrelated.setting.name: 1\n")));
  EXPECT_NE(msg.find("unknown configuration key"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("did you mean"), std::string::npos) << msg;
}

TEST_F(ConfigTest, BadValuesNameKeyValueAndFile) {
  auto file = write("log.segment.bytes: lots\n");
  auto msg = error_of(options(file));
  EXPECT_NE(msg.find("'lots'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("log.segment.bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find(file), std::string::npos) << msg;

  msg = error_of(options(write("min.insync.replicas: 0\n")));
  EXPECT_NE(msg.find("must be >= 1"), std::string::npos) << msg;
  msg = error_of(options(write("auto.create.topics.enable: maybe\n")));
  EXPECT_NE(msg.find("expected true or false"), std::string::npos) << msg;
  msg = error_of(options(write("listeners: SSL://host:1\n")));
  EXPECT_NE(msg.find("only PLAINTEXT"), std::string::npos) << msg;
  msg = error_of(options(write("default.replication.factor: 2\nmin.insync.replicas: 3\n")));
  EXPECT_NE(msg.find("exceeds default.replication.factor"), std::string::npos) << msg;
}

TEST_F(ConfigTest, EnvironmentValueIsValidated) {
  auto msg = error_of(options(std::nullopt, {{"MERIDIAN_LOG_SEGMENT_BYTES", "12x"}}));
  EXPECT_NE(msg.find("MERIDIAN_LOG_SEGMENT_BYTES"), std::string::npos) << msg;
}

TEST_F(ConfigTest, BrokenYamlAndMissingFile) {
  auto msg = error_of(options(write("log.dirs: [unclosed\n")));
  EXPECT_NE(msg.find("invalid YAML"), std::string::npos) << msg;
  msg = error_of(options((dir_ / "absent.yaml").string()));
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
  msg = error_of(options(write("- a\n- b\n")));
  EXPECT_NE(msg.find("expected a map"), std::string::npos) << msg;
}

TEST_F(ConfigTest, OverrideOfUnknownKeyAndBadAssignment) {
  auto o = options(std::nullopt);
  o.overrides.push_back({"num.partition", "3"});
  auto msg = error_of(o);
  EXPECT_NE(msg.find("did you mean 'num.partitions'"), std::string::npos) << msg;
  EXPECT_THROW(parse_assignment("novalue"), ConfigError);
  EXPECT_EQ(parse_assignment("a.b=c=d"), (std::pair<std::string, std::string>{"a.b", "c=d"}));
}

TEST_F(ConfigTest, EmptyFileMeansDefaults) {
  auto c = broker::load_broker_config(options(write("")));
  EXPECT_EQ(c.num_partitions, 1);
}

TEST(ConfigEnvName, UpperCasesAndReplacesDots) {
  EXPECT_EQ(env_name("log.segment.bytes"), "MERIDIAN_LOG_SEGMENT_BYTES");
}

}  // namespace
}  // namespace meridian::config
