// __consumer_offsets record formats (byte-exact against Kafka's schemas), the partition a group
// maps to (Java's String.hashCode), and replaying a partition with tombstones and bad records.
#include "cluster/broker/group_records.h"

#include <gtest/gtest.h>

#include "cluster/broker/detail/group_append.h"

namespace meridian::broker {
namespace {

TEST(GroupRecordsTest, JavaStringHashAndPartition) {
  // Values from Java: "hello".hashCode() etc.
  EXPECT_EQ(java_string_hash(""), 0);
  EXPECT_EQ(java_string_hash("hello"), 99162322);
  EXPECT_EQ(java_string_hash("my-group"), -1906497762);
  EXPECT_EQ(java_string_hash("gr\xc3\xbc\xc3\x9f"
                             "e"),
            98768023);                                         // "grüße"
  EXPECT_EQ(java_string_hash("\xf0\x9f\x98\x80x"), 54959989);  // emoji: a surrogate pair
  EXPECT_EQ(java_string_hash("polygenelubricants"), INT32_MIN);
  EXPECT_EQ(offsets_partition_for("hello", 50), 22);
  EXPECT_EQ(offsets_partition_for("my-group", 50), 12);           // abs of a negative hash
  EXPECT_EQ(offsets_partition_for("polygenelubricants", 50), 0);  // Utils.abs(MIN_VALUE) = 0
}

TEST(GroupRecordsTest, OffsetKeyAndValueBytes) {
  auto key = encode_offset_key({"g", "t", 3});
  EXPECT_EQ(key, (GroupBytes{0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3}));
  auto value = encode_offset_value({42, 5, "m", 7});
  EXPECT_EQ(value, (GroupBytes{0, 3, 0, 0,   0, 0, 0, 0, 0, 42, 0, 0, 0,
                               5, 0, 1, 'm', 0, 0, 0, 0, 0, 0,  0, 7}));
  auto k = decode_offsets_key(key);
  ASSERT_TRUE(k);
  EXPECT_EQ(std::get<OffsetKey>(*k), (OffsetKey{"g", "t", 3}));
  auto v = decode_offset_value(value);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (CommittedOffset{42, 5, "m", 7}));
  // Value v1 (Kafka 0.10-2.0) carries an expire timestamp; it is read and ignored.
  GroupBytes v1{0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2};
  auto old = decode_offset_value(v1);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->offset, 9);
  EXPECT_EQ(old->leader_epoch, -1);
  EXPECT_EQ(old->commit_timestamp, 1);
}

TEST(GroupRecordsTest, GroupMetadataRoundTripAndCorruption) {
  GroupMetadata md;
  md.protocol_type = "consumer";
  md.generation = 4;
  md.protocol = "range";
  md.leader = "m1";
  md.current_state_timestamp = 99;
  md.members.push_back({"m1", std::nullopt, "c1", "/127.0.0.1", 300000, 10000, {1, 2}, {3}});
  md.members.push_back({"m2", std::string("static"), "c2", "/127.0.0.2", 1, 2, {}, {}});
  auto bytes = encode_group_value(md);
  EXPECT_EQ(bytes[0], 0);
  EXPECT_EQ(bytes[1], 3);  // value version 3
  auto back = decode_group_value(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, md);
  auto key = decode_offsets_key(encode_group_key({"grp"}));
  ASSERT_TRUE(key);
  EXPECT_EQ(std::get<GroupKey>(*key).group, "grp");
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    GroupBytes truncated(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(decode_group_value(truncated)) << cut;
  }
  GroupBytes bad_version = bytes;
  bad_version[1] = 9;
  EXPECT_FALSE(decode_group_value(bad_version));
  EXPECT_FALSE(decode_offsets_key(GroupBytes{0, 7, 0, 0}));
}

TEST(GroupRecordsTest, ReplayKeepsTheLatestAndHonoursTombstones) {
  GroupMetadata md;
  md.protocol_type = "consumer";
  md.generation = 1;
  std::vector<std::pair<GroupBytes, std::optional<GroupBytes>>> first, second;
  first.emplace_back(encode_offset_key({"a", "t", 0}), encode_offset_value({10, -1, "", 1}));
  first.emplace_back(encode_offset_key({"a", "t", 1}), encode_offset_value({20, -1, "", 1}));
  first.emplace_back(encode_group_key({"a"}), encode_group_value(md));
  first.emplace_back(encode_offset_key({"b", "t", 0}), encode_offset_value({5, -1, "", 1}));
  first.emplace_back(GroupBytes{0, 9, 1}, GroupBytes{1});  // someone else's format: skipped
  second.emplace_back(encode_offset_key({"a", "t", 0}), encode_offset_value({11, -1, "x", 2}));
  second.emplace_back(encode_offset_key({"a", "t", 1}), std::nullopt);
  second.emplace_back(encode_group_key({"b"}), std::nullopt);
  auto b1 = detail::build_offsets_batch(first);
  auto b2 = detail::build_offsets_batch(second);
  ASSERT_TRUE(b1 && b2);
  GroupBytes log = *b1;
  log.insert(log.end(), b2->begin(), b2->end());
  OffsetsReplay replay;
  replay_offsets_batches(log, replay);
  EXPECT_EQ(replay.records, 8u);
  EXPECT_EQ(replay.skipped, 1u);
  ASSERT_EQ(replay.offsets["a"].size(), 1u);
  EXPECT_EQ((replay.offsets["a"][{"t", 0}]), (CommittedOffset{11, -1, "x", 2}));
  EXPECT_EQ(replay.groups["a"], md);
  EXPECT_FALSE(replay.groups["b"].has_value());
  EXPECT_TRUE(replay.offsets["b"].empty());
  // A corrupted batch (CRC) is skipped without stopping the replay of the next one.
  GroupBytes corrupt = *b1;
  corrupt.back() ^= 0xFF;
  corrupt.insert(corrupt.end(), b2->begin(), b2->end());
  OffsetsReplay partial;
  replay_offsets_batches(corrupt, partial);
  EXPECT_EQ(partial.skipped, 5u);
  EXPECT_EQ((partial.offsets["a"][{"t", 0}].offset), 11);
}

}  // namespace
}  // namespace meridian::broker
