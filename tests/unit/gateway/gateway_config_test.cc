#include "gateway/gateway_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>

namespace meridian::gateway {
namespace {

config::LoadOptions options(std::map<std::string, std::string> env = {},
                            std::optional<std::string> file = std::nullopt) {
  config::LoadOptions o;
  o.file = std::move(file);
  o.getenv = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  return o;
}

std::string temp_yaml(const std::string& text) {
  char path[] = "/tmp/gw_config_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(GatewayConfig, ConfluentDefaults) {
  GatewayConfig c = load_gateway_config(options());
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].host, "0.0.0.0");
  EXPECT_EQ(c.listeners[0].port, 8082);
  EXPECT_EQ(c.consumer_request_timeout.count(), 1000);
  EXPECT_EQ(c.consumer_request_max_bytes, 67108864);
  EXPECT_EQ(c.consumer_instance_timeout.count(), 300000);
  EXPECT_EQ(c.fetch_min_bytes, -1);
  EXPECT_FALSE(c.rate_limit.enabled);
  EXPECT_EQ(c.rate_limit.requests_per_sec, 50);
  EXPECT_EQ(c.streaming_connection_max_duration.count(), 86400000);
  EXPECT_EQ(c.streaming_connection_max_duration_grace_period.count(), 500);
  EXPECT_EQ(c.producer_linger, std::chrono::microseconds(500));
  auto s = c.server_options();
  EXPECT_EQ(s.port, 8082);
  EXPECT_EQ(s.stream_grace_period.count(), 500);
  EXPECT_EQ(s.body_limit, c.body_limit_bytes);
}

TEST(GatewayConfig, DottedAndUnderscoreAndRedpandaNames) {
  std::string path = temp_yaml(
      "consumer_request_timeout_ms: 2500\n"
      "pandaproxy_api: http://127.0.0.1:18082\n"
      "brokers: a:9092,b:9092\n"
      "rate.limit.enable: true\n"
      "rate:\n  limit:\n    permits:\n      per:\n        sec: 7\n"
      "threads: 4\n"
      "streaming.connection.max.duration.grace.period.ms: 2500\n");
  GatewayConfig c = load_gateway_config(options({}, path));
  EXPECT_EQ(c.consumer_request_timeout.count(), 2500);
  EXPECT_EQ(c.listeners[0].host, "127.0.0.1");
  EXPECT_EQ(c.listeners[0].port, 18082);
  EXPECT_EQ(c.bootstrap_servers, (std::vector<std::string>{"a:9092", "b:9092"}));
  EXPECT_TRUE(c.rate_limit.enabled);
  EXPECT_EQ(c.rate_limit.requests_per_sec, 7);
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.server_options().stream_grace_period.count(), 2500);
  unlink(path.c_str());
}

TEST(GatewayConfig, EnvironmentSetsBothSpellingsConsistently) {
  GatewayConfig c =
      load_gateway_config(options({{"MERIDIAN_CONSUMER_INSTANCE_TIMEOUT_MS", "1234"}}));
  EXPECT_EQ(c.consumer_instance_timeout.count(), 1234);
}

// producer.linger.ms takes fractions of a millisecond, under both spellings and from the
// environment; anything else is refused with the key and the value in the message.
TEST(GatewayConfig, ProducerLingerInFractionsOfAMillisecond) {
  std::string dotted = temp_yaml("producer.linger.ms: 2\n");
  EXPECT_EQ(load_gateway_config(options({}, dotted)).producer_linger,
            std::chrono::microseconds(2000));
  std::string underscore = temp_yaml("producer_linger_ms: 0.25\n");
  EXPECT_EQ(load_gateway_config(options({}, underscore)).producer_linger,
            std::chrono::microseconds(250));
  EXPECT_EQ(load_gateway_config(options({{"MERIDIAN_PRODUCER_LINGER_MS", "0"}})).producer_linger,
            std::chrono::microseconds(0));
  for (const auto& p : {dotted, underscore}) unlink(p.c_str());
  for (const char* bad : {"fast", "-1", "0.5ms", "", "60001", "nan", "inf"}) {
    try {
      parse_linger_ms(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const config::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("producer.linger.ms: '" + std::string(bad) + "'"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(parse_linger_ms("60000"), std::chrono::microseconds(60'000'000));
}

TEST(GatewayConfig, Errors) {
  std::string both = temp_yaml("consumer.request.timeout.ms: 1\nconsumer_request_timeout_ms: 2\n");
  EXPECT_THROW(load_gateway_config(options({}, both)), config::ConfigError);
  std::string unknown = temp_yaml("consumer.request.timout.ms: 1\n");
  EXPECT_THROW(load_gateway_config(options({}, unknown)), config::ConfigError);
  std::string tls = temp_yaml("listeners: https://0.0.0.0:8443\n");
  EXPECT_THROW(load_gateway_config(options({}, tls)), config::ConfigError);
  std::string bad_int = temp_yaml("threads: many\n");
  EXPECT_THROW(load_gateway_config(options({}, bad_int)), config::ConfigError);
  for (const auto& p : {both, unknown, tls, bad_int}) unlink(p.c_str());
  EXPECT_THROW(parse_listener("http://host"), config::ConfigError);
  EXPECT_THROW(parse_listener("http://host:99999"), config::ConfigError);
  EXPECT_EQ(parse_listener("[::1]:80").host, "::1");
}

}  // namespace
}  // namespace meridian::gateway
