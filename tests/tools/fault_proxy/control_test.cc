// The control protocol's parser, without sockets: what is accepted, what is rejected and why.

#include "tests/tools/fault_proxy/control.h"

#include <gtest/gtest.h>

namespace meridian::fault_proxy {
namespace {

Command parse_ok(std::string_view line) {
  auto parsed = parse_command(line);
  EXPECT_TRUE(std::holds_alternative<Command>(parsed)) << line;
  return std::holds_alternative<Command>(parsed) ? std::get<Command>(parsed) : Command{};
}

std::string parse_error(std::string_view line) {
  auto parsed = parse_command(line);
  EXPECT_TRUE(std::holds_alternative<std::string>(parsed)) << line;
  return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "";
}

TEST(FaultProxyControlTest, ParsesEveryCommand) {
  Command delay = parse_ok("delay 50 10");
  EXPECT_EQ(delay.kind, CommandKind::kDelay);
  EXPECT_EQ(delay.delay_ms, 50);
  EXPECT_EQ(delay.jitter_ms, 10);
  EXPECT_FALSE(delay.route.has_value());

  Command no_jitter = parse_ok("delay 7 route=2");
  EXPECT_EQ(no_jitter.jitter_ms, 0);
  ASSERT_TRUE(no_jitter.route.has_value());
  EXPECT_EQ(*no_jitter.route, 2u);

  EXPECT_EQ(parse_ok("bandwidth 1000000").bandwidth, 1000000u);
  EXPECT_DOUBLE_EQ(parse_ok("drop 0.25").probability, 0.25);
  EXPECT_EQ(parse_ok("  cut\r").kind, CommandKind::kCut);
  EXPECT_EQ(parse_ok("blackhole route=0").kind, CommandKind::kBlackhole);
  EXPECT_EQ(parse_ok("heal").kind, CommandKind::kHeal);
  EXPECT_EQ(parse_ok("stats").kind, CommandKind::kStats);
  EXPECT_EQ(parse_ok("reset-stats").kind, CommandKind::kResetStats);
  EXPECT_EQ(parse_ok("ping").kind, CommandKind::kPing);
}

TEST(FaultProxyControlTest, TrailingIntegerBeyondTheArgumentsIsTheRoute) {
  Command cut = parse_ok("cut 1");
  ASSERT_TRUE(cut.route.has_value());
  EXPECT_EQ(*cut.route, 1u);
  Command delay = parse_ok("delay 50 5 3");
  EXPECT_EQ(delay.jitter_ms, 5);
  ASSERT_TRUE(delay.route.has_value());
  EXPECT_EQ(*delay.route, 3u);
  EXPECT_FALSE(parse_ok("delay 50 5").route.has_value()) << "the second number is jitter";
  EXPECT_EQ(*parse_ok("bandwidth 1000 0").route, 0u);
  EXPECT_NE(parse_error("cut 1 2").find("arguments"), std::string::npos);
}

TEST(FaultProxyControlTest, RejectsGarbageWithAReason) {
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
  EXPECT_NE(parse_error("teleport").find("unknown command"), std::string::npos);
  EXPECT_NE(parse_error("delay").find("arguments"), std::string::npos);
  EXPECT_NE(parse_error("delay 1 2 3 4").find("arguments"), std::string::npos);
  EXPECT_NE(parse_error("delay 1 2 x").find("arguments"), std::string::npos);
  EXPECT_NE(parse_error("delay -5").find("delay"), std::string::npos);
  EXPECT_NE(parse_error("delay 5ms").find("delay"), std::string::npos);
  EXPECT_NE(parse_error("delay 600001").find("delay"), std::string::npos);
  EXPECT_NE(parse_error("drop 1.5").find("probability"), std::string::npos);
  EXPECT_NE(parse_error("drop nan").find("probability"), std::string::npos);
  EXPECT_NE(parse_error("bandwidth fast").find("bandwidth"), std::string::npos);
  EXPECT_NE(parse_error("cut now").find("arguments"), std::string::npos);
  EXPECT_NE(parse_error("cut route=x").find("route"), std::string::npos);
  EXPECT_NE(parse_error("cut route=1 route=2").find("route"), std::string::npos);
}

TEST(FaultProxyControlTest, ParsesEndpoints) {
  auto v4 = parse_endpoint("127.0.0.1:9092");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->port(), 9092);
  ASSERT_TRUE(parse_endpoint("[::1]:0").has_value());
  EXPECT_TRUE(parse_endpoint("localhost:1").has_value());
  EXPECT_FALSE(parse_endpoint("127.0.0.1").has_value());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:65536").has_value());
  EXPECT_FALSE(parse_endpoint("nowhere:80").has_value());
}

}  // namespace
}  // namespace meridian::fault_proxy
