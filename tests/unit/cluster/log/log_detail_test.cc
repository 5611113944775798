// Unit tests of the log's building blocks: checkpoints, sparse index lookups, the epoch cache.
#include <gtest/gtest.h>

#include "cluster/log/detail/checkpoint.h"
#include "cluster/log/detail/leader_epoch_cache.h"
#include "cluster/log/detail/sparse_index.h"
#include "cluster/log/errc.h"
#include "log_test_util.h"

namespace meridian::log::detail {
namespace {
using testing::TempDir;

TEST(Checkpoint, RoundTripsAndRejectsMalformedText) {
  CheckpointRows rows{{0, 0}, {3, 150}, {7, 9000}};
  std::string text = encode_checkpoint(rows);
  EXPECT_EQ(text, "0\n3\n0 0\n3 150\n7 9000\n");
  EXPECT_EQ(*decode_checkpoint(text, 2), rows);
  EXPECT_EQ(*decode_checkpoint("0\n0\n", 2), CheckpointRows{});
  for (const char* bad : {"", "1\n0\n", "0\n2\n1 1\n", "0\n1\n1\n", "0\n1\n1 2 3\n", "0\n1\nx y\n",
                          "0\n1\n1 2\ntrailing", "0\n-1\n", "0\n1\n1 2"}) {
    EXPECT_EQ(decode_checkpoint(bad, 2).error(), make_error_code(errc::corrupt_checkpoint))
        << "'" << bad << "'";
  }
  TempDir tmp;
  auto path = tmp.path() / "cp";
  ASSERT_TRUE(write_checkpoint(path, rows).has_value());
  EXPECT_EQ(*read_checkpoint(path, 2), rows);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "cp.tmp"));
  EXPECT_EQ(read_checkpoint(tmp.path() / "missing", 2).error(),
            std::errc::no_such_file_or_directory);
}

TEST(SparseIndex, LookupAndPersistence) {
  TempDir tmp;
  OffsetIndex index(tmp.path() / "x.index");
  for (uint32_t i = 1; i <= 10; ++i) {
    index.append({i * 10, i * 1000});
  }
  EXPECT_FALSE(lookup_offset(index, 9).has_value());
  EXPECT_EQ(*lookup_offset(index, 10), 0u);
  EXPECT_EQ(*lookup_offset(index, 55), 4u);
  EXPECT_EQ(*lookup_offset(index, 1000), 9u);
  ASSERT_TRUE(index.persist(OffsetIndex::Sync::kYes).has_value());
  EXPECT_EQ(std::filesystem::file_size(index.path()), 80u);
  index.truncate_entries(4);
  ASSERT_TRUE(index.persist(OffsetIndex::Sync::kNo).has_value());
  EXPECT_EQ(std::filesystem::file_size(index.path()), 32u);
  OffsetIndex loaded(index.path());
  EXPECT_FALSE(loaded.load(100000, UINT32_MAX).has_value());
  EXPECT_EQ(loaded.entries(), index.entries());
  EXPECT_TRUE(loaded.load(3000, UINT32_MAX).has_value());  // position 4000 beyond the log
  EXPECT_TRUE(loaded.empty());

  TimeIndex times(tmp.path() / "x.timeindex");
  times.append({100, 0});
  times.append({200, 5});
  times.append({300, 9});
  EXPECT_FALSE(lookup_time(times, 99).has_value());
  EXPECT_EQ(*lookup_time(times, 200), 1u);
  EXPECT_EQ(*lookup_time(times, 299), 1u);
  EXPECT_EQ(*lookup_time(times, 1000), 2u);
}

TEST(LeaderEpochCache, KafkaSemantics) {
  TempDir tmp;
  LeaderEpochCache cache(tmp.path() / "leader-epoch-checkpoint");
  ASSERT_TRUE(cache.load().has_value());  // missing file: empty
  EXPECT_EQ(cache.end_offset_for(LeaderEpoch(0), Offset(0)), EpochEndOffset{});
  EXPECT_TRUE(cache.assign(LeaderEpoch(2), Offset(10)));
  EXPECT_FALSE(cache.assign(LeaderEpoch(2), Offset(20)));   // same epoch
  EXPECT_FALSE(cache.assign(LeaderEpoch(1), Offset(30)));   // older epoch
  EXPECT_FALSE(cache.assign(LeaderEpoch(-1), Offset(30)));  // unknown epoch
  EXPECT_TRUE(cache.assign(LeaderEpoch(5), Offset(40)));
  EXPECT_TRUE(cache.assign(LeaderEpoch(6), Offset(60)));
  using E = EpochEndOffset;
  EXPECT_EQ(cache.end_offset_for(LeaderEpoch(1), Offset(70)), (E{LeaderEpoch(1), Offset(10)}));
  EXPECT_EQ(cache.end_offset_for(LeaderEpoch(2), Offset(70)), (E{LeaderEpoch(2), Offset(40)}));
  EXPECT_EQ(cache.end_offset_for(LeaderEpoch(4), Offset(70)), (E{LeaderEpoch(2), Offset(40)}));
  EXPECT_EQ(cache.end_offset_for(LeaderEpoch(6), Offset(70)), (E{LeaderEpoch(6), Offset(70)}));
  EXPECT_EQ(cache.end_offset_for(LeaderEpoch(7), Offset(70)), E{});
  // A newer epoch starting at or before existing entries replaces them.
  EXPECT_TRUE(cache.assign(LeaderEpoch(8), Offset(40)));
  EXPECT_EQ(cache.entries(),
            (std::vector<EpochEntry>{{LeaderEpoch(2), Offset(10)}, {LeaderEpoch(8), Offset(40)}}));
  EXPECT_TRUE(cache.truncate_from_start(Offset(25)));
  EXPECT_EQ(cache.entries().front(), (EpochEntry{LeaderEpoch(2), Offset(25)}));
  EXPECT_FALSE(cache.truncate_from_start(Offset(5)));
  EXPECT_TRUE(cache.truncate_from_start(Offset(40)));
  EXPECT_EQ(cache.entries(), (std::vector<EpochEntry>{{LeaderEpoch(8), Offset(40)}}));
  EXPECT_TRUE(cache.truncate_from_end(Offset(40)));
  EXPECT_TRUE(cache.entries().empty());
  // Persistence and a checkpoint that goes backwards.
  cache.assign(LeaderEpoch(1), Offset(0));
  cache.assign(LeaderEpoch(3), Offset(7));
  ASSERT_TRUE(cache.persist().has_value());
  LeaderEpochCache again(tmp.path() / "leader-epoch-checkpoint");
  ASSERT_TRUE(again.load().has_value());
  EXPECT_EQ(again.entries(), cache.entries());
  ASSERT_TRUE(write_checkpoint(tmp.path() / "leader-epoch-checkpoint", {{3, 7}, {1, 9}}));
  EXPECT_EQ(again.load().error(), make_error_code(errc::corrupt_checkpoint));
}

}  // namespace
}  // namespace meridian::log::detail
