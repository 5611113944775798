// murmur2 must match Kafka's Java client bit for bit, or keyed records produced through Meridian
// (the gateway's included) land in other partitions than the same keys produced by any Kafka
// client. The vectors come from Java's UtilsTest, librdkafka's rdmurmur2.c unit test and
// Debian's kafka-python (kafka.partitioner.default.murmur2, run here on random keys).
#include "cluster/client/partitioner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

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

TEST(Murmur2Test, JavaUtilsTestVectors) {
  // org.apache.kafka.common.utils.UtilsTest#testMurmur2
  EXPECT_EQ(murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
}

TEST(Murmur2Test, LibrdkafkaVectors) {
  // librdkafka src/rdmurmur2.c unittest_murmur2 (unsigned there; same bits).
  EXPECT_EQ(static_cast<uint32_t>(murmur2("kafka")), 0xd067cf64u);
  EXPECT_EQ(static_cast<uint32_t>(murmur2("giberish123456789")), 0x8f552b0cu);
  EXPECT_EQ(static_cast<uint32_t>(murmur2("1234")), 0x9fc97b14u);
  EXPECT_EQ(static_cast<uint32_t>(murmur2("234")), 0xe7c009cau);
  EXPECT_EQ(static_cast<uint32_t>(murmur2("34")), 0x873930dau);
  EXPECT_EQ(static_cast<uint32_t>(murmur2("4")), 0x5a4b5ca1u);
  EXPECT_EQ(static_cast<uint32_t>(murmur2("PreAmbleWillBeRemoved,ThePrePartThatIs")), 0x78424f1cu);
  EXPECT_EQ(static_cast<uint32_t>(murmur2("reAmbleWillBeRemoved,ThePrePartThatIs")), 0x4a62b377u);
  EXPECT_EQ(static_cast<uint32_t>(murmur2("eAmbleWillBeRemoved,ThePrePartThatIs")), 0xe0e4e09eu);
  EXPECT_EQ(static_cast<uint32_t>(murmur2("AmbleWillBeRemoved,ThePrePartThatIs")), 0x62b8b43fu);
  EXPECT_EQ(static_cast<uint32_t>(murmur2("")), 0x106e08d9u);
}

TEST(Murmur2Test, ToPositiveIsNotAbs) {
  // murmur2("kafka") has the sign bit set; Java's toPositive clears it (abs() would differ).
  EXPECT_EQ(partition_for_key("kafka", 12), 4);
  EXPECT_EQ(partition_for_key("21", 12), 0);
  EXPECT_EQ(partition_for_key("foobar", 12), 6);
  EXPECT_EQ(partition_for_key("", 12), 9);  // an empty key is hashed, not random
  EXPECT_EQ(partition_for_key("anything", 1), 0);
}

// Random binary keys against kafka-python's DefaultPartitioner, in one python process.
TEST(Murmur2Test, MatchesKafkaPythonOnRandomKeys) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const std::string script =
      "/usr/bin/python3 -c \"import sys\nfrom kafka.partitioner.default import murmur2\n"
      "for line in sys.stdin:\n  k=bytes.fromhex(line.strip())\n"
      "  print(((murmur2(k)&0x7fffffff)%37))\"";
  std::vector<std::string> keys;
  std::string input;
  for (int i = 0; i < 300; ++i) {
    std::string key(rng() % 40, '\0');
    for (auto& c : key) {
      c = static_cast<char>(rng());
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned char c : key) {
      input += kHex[c >> 4];
      input += kHex[c & 15];
    }
    input += '\n';
    keys.push_back(std::move(key));
  }
  char in_path[] = "/tmp/client_murmur_XXXXXX";
  int fd = mkstemp(in_path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  close(fd);
  const std::string cmd = script + " < " + in_path;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  char line[64];
  size_t i = 0;
  while (fgets(line, sizeof line, pipe.get()) && i < keys.size()) {
    EXPECT_EQ(partition_for_key(keys[i], 37), std::atoi(line)) << "key index " << i;
    ++i;
  }
  unlink(in_path);
  EXPECT_EQ(i, keys.size()) << "python3-kafka did not answer for every key";
}

}  // namespace
}  // namespace meridian::client
