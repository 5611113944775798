#include "cluster/client/errc.h"

#include <gtest/gtest.h>

namespace meridian::client {
namespace {

TEST(ClientErrcTest, KafkaErrorsKeepTheirCodeAndName) {
  auto ec = kafka_error(protocol::ErrorCode::kNotLeaderOrFollower);
  EXPECT_EQ(as_kafka_error(ec), protocol::ErrorCode::kNotLeaderOrFollower);
  EXPECT_EQ(ec.message(), "NOT_LEADER_OR_FOLLOWER");
  EXPECT_TRUE(is_retriable(ec));
  EXPECT_FALSE(is_retriable(kafka_error(protocol::ErrorCode::kOffsetOutOfRange)));
  EXPECT_FALSE(as_kafka_error(make_error_code(errc::disconnected)).has_value());
}

TEST(ClientErrcTest, ClientErrorsReadWell) {
  std::error_code ec = errc::disconnected;
  EXPECT_EQ(ec.message(), "connection to broker lost");
  EXPECT_TRUE(is_retriable(ec));
  EXPECT_FALSE(is_retriable(make_error_code(errc::request_timeout)));
  EXPECT_FALSE(is_retriable(make_error_code(errc::no_common_version)));
}

}  // namespace
}  // namespace meridian::client
