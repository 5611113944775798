// murmur2 must match Kafka's Java client bit for bit, or keyed records produced through Meridian
// land in other partitions than the same keys produced by any Kafka client. The vectors come
// from Java's UtilsTest ("21") and Debian's kafka-python (kafka.partitioner.default.murmur2).
#include "cluster/client/partitioner.h"

#include <gtest/gtest.h>

#include <string>

namespace meridian::client {
namespace {

struct Vector {
  std::string key;
  int32_t hash;
  int32_t partition_of_3;
  int32_t partition_of_7;
};

TEST(Murmur2Test, MatchesKafkaJavaAndKafkaPython) {
  const Vector vectors[] = {
      {"21", -973932308, 0, 3},
      {"foobar", -790332482, 0, 0},
      {"a", -1563381124, 1, 5},
      {"ab", 316155434, 2, 0},
      {"abc", 479470107, 0, 4},
      {"abcd", -1323649548, 2, 5},
      {"key-1", 193331640, 0, 5},
      {"", 275646681, 0, 2},
      {"order-42", 501153024, 0, 1},
      {std::string("\xff\xfe\x00\x01\x80", 5), -868190774, 0, 6},
  };
  for (const auto& v : vectors) {
    EXPECT_EQ(murmur2(v.key), v.hash) << "key '" << v.key << "'";
    EXPECT_EQ(partition_for_key(v.key, 3), v.partition_of_3) << "key '" << v.key << "'";
    EXPECT_EQ(partition_for_key(v.key, 7), v.partition_of_7) << "key '" << v.key << "'";
  }
}

TEST(Murmur2Test, PartitionIsAlwaysInRange) {
  for (int i = 0; i < 1000; ++i) {
    std::string key = "k";
    key += std::to_string(i);
    int32_t p = partition_for_key(key, 5);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, 5);
  }
}

}  // namespace
}  // namespace meridian::client
