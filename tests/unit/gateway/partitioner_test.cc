// murmur2 against the Java client's UtilsTest.testMurmur2 vectors and librdkafka's rdmurmur2.c
// unit-test vectors, and the partition choice against kafka-python's DefaultPartitioner
// (/usr/bin/python3, python3-kafka), which follows the Java client.
#include "gateway/partitioner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>

namespace meridian::gateway {
namespace {

TEST(Murmur2, JavaUtilsTestVectors) {
  // org.apache.kafka.common.utils.UtilsTest#testMurmur2
  EXPECT_EQ(murmur2("21"), -973932308);
  EXPECT_EQ(murmur2("foobar"), -790332482);
  EXPECT_EQ(murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(murmur2("abc"), 479470107);
}

TEST(Murmur2, LibrdkafkaVectors) {
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

TEST(Partitioner, ToPositiveAndModulo) {
  EXPECT_EQ(to_positive(-1), 0x7fffffff);
  EXPECT_EQ(to_positive(INT32_MIN), 0);
  EXPECT_EQ(to_positive(5), 5);
  // "21" -> 3321034988 unsigned -> 1173551340 positive; % 12 == 0, % 7 == 3 (kafka-python).
  EXPECT_EQ(partition_for_key("21", 12), PartitionId(0));
  EXPECT_EQ(partition_for_key("21", 7), PartitionId(3));
  EXPECT_EQ(partition_for_key("foobar", 12), PartitionId(6));
  EXPECT_EQ(partition_for_key("kafka", 12), PartitionId(4));
  EXPECT_EQ(partition_for_key("", 12), PartitionId(9));  // an empty key is hashed, not random
  EXPECT_EQ(partition_for_key(std::string("\xff\xfe\x00\x80", 4), 7), PartitionId(6));
  EXPECT_EQ(partition_for_key("anything", 1), PartitionId(0));
}

// Random binary keys against kafka-python's DefaultPartitioner, in one python process.
TEST(Partitioner, MatchesKafkaPythonOnRandomKeys) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::ostringstream script;
  script << "/usr/bin/python3 -c \"import sys\nfrom kafka.partitioner.default import murmur2\n"
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
  char in_path[] = "/tmp/gw_murmur_XXXXXX";
  int fd = mkstemp(in_path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  close(fd);
  std::string cmd = script.str() + " < " + in_path;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  char line[64];
  size_t i = 0;
  while (fgets(line, sizeof line, pipe.get()) && i < keys.size()) {
    EXPECT_EQ(partition_for_key(keys[i], 37).value, std::atoi(line)) << "key index " << i;
    ++i;
  }
  unlink(in_path);
  EXPECT_EQ(i, keys.size()) << "python3-kafka did not answer for every key";
}

}  // namespace
}  // namespace meridian::gateway
