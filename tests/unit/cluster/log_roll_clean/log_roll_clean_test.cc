// The producer-state snapshot written at the segment roll (PartitionLog::set_roll_snapshot), and
// compaction bounded by the high watermark (PartitionLog::clean_if_due's max_offset): closed
// segments at or above the bound are neither mapped nor rewritten, so records a follower could
// still truncate or a consumer may not see yet stay as written; a later pass with a higher bound
// cleans them.
#include <map>

#include "cluster/log/partition_log.h"
#include "tests/unit/cluster/log/log_test_util.h"

namespace meridian::log {
namespace {

using testing::FakeClock;
using testing::TempDir;

constexpr int64_t kTs = 1'700'000'000'000;

std::vector<uint8_t> two_keys(int i) {
  record::RecordBatchBuilder b(record::BatchOptions{});
  const std::string va = testing::tag_of("a", i), vb = testing::tag_of("b", i);
  b.append(kTs, "a", va);
  b.append(kTs, "b", vb);
  return b.build().value();
}

std::map<int64_t, std::string> read_all(const PartitionLog& log) {
  std::map<int64_t, std::string> out;  // offset -> value
  auto r = log.read(log.log_start_offset(), 1u << 30, log.log_end_offset());
  EXPECT_TRUE(r);
  auto bytes = r->to_bytes().value();
  std::span<const uint8_t> rest(bytes);
  while (!rest.empty()) {
    auto view = record::BatchView::parse(rest);
    EXPECT_TRUE(view);
    for (const auto& rec : record::decode_records(*view).value()) {
      out[rec.offset.value] = rec.value.value_or("");
    }
    rest = rest.subspan(view->size_bytes());
  }
  return out;
}

TEST(LogCleanHighWatermark, NothingAtOrAboveTheBoundIsCleaned) {
  TempDir tmp;
  FakeClock clock;
  LogConfig c;
  c.segment_bytes = 600;
  c.retention_ms = -1;
  c.cleanup_compact = true;
  c.cleanup_delete = false;
  c.min_cleanable_dirty_ratio = 0.01;
  auto log = PartitionLog::open(tmp.partition(), c, clock.clock()).value();
  for (int i = 0; i < 40; ++i) {
    auto batch = two_keys(i);
    ASSERT_TRUE(log->append(batch, LeaderEpoch(1)));
  }
  auto bases = log->segment_base_offsets();
  ASSERT_GE(bases.size(), 5u);
  const Offset hw = bases[2];  // segments 0 and 1 lie wholly below it
  auto before = read_all(*log);
  auto cleaned = log->clean_if_due(kTs, hw).value();
  EXPECT_EQ(cleaned.cleaned_to, hw);
  EXPECT_GT(cleaned.records_removed, 0u);
  auto after = read_all(*log);
  for (const auto& [offset, value] : before) {
    if (offset >= hw.value) {
      EXPECT_EQ(after.count(offset), 1u) << "offset " << offset << " at/above the HW was cleaned";
    }
  }
  // Below the bound each key keeps only its newest record below the bound.
  size_t below = 0;
  for (const auto& [offset, value] : after) {
    below += offset < hw.value ? 1 : 0;
  }
  EXPECT_EQ(below, 2u);
  EXPECT_EQ(after.count(hw.value - 1), 1u);
  // A bound at or below the checkpoint: nothing to do.
  EXPECT_EQ(log->clean_if_due(kTs, hw).value().segments_cleaned, 0u);
  // The HW moved to the end: the rest of the closed segments are cleaned now.
  auto later = log->clean_if_due(kTs, log->log_end_offset()).value();
  EXPECT_EQ(later.cleaned_to, log->segment_base_offsets().back());
  EXPECT_GT(later.records_removed, 0u);
  EXPECT_EQ(read_all(*log).rbegin()->first, log->log_end_offset().value - 1);
}

TEST(LogRollSnapshot, WrittenAtEveryRollUnderTheNewBase) {
  TempDir tmp;
  FakeClock clock;
  LogConfig c;
  c.segment_bytes = 600;
  c.retention_ms = -1;
  auto log = PartitionLog::open(tmp.partition(), c, clock.clock()).value();
  std::vector<int64_t> asked;
  log->set_roll_snapshot([&](Offset base) -> std::optional<std::vector<uint8_t>> {
    asked.push_back(base.value);
    if (base.value % 2 == 1) {
      return std::nullopt;  // the owner has no state to write: no file
    }
    return std::vector<uint8_t>{7, static_cast<uint8_t>(base.value)};
  });
  for (int i = 0; i < 60; ++i) {
    auto batch = two_keys(i);
    ASSERT_TRUE(log->append(batch, LeaderEpoch(1)));
  }
  auto bases = log->segment_base_offsets();
  ASSERT_GE(bases.size(), 3u);
  // Every roll asked, with the base of the segment it started, right when it rolled.
  std::vector<int64_t> expected;
  for (Offset b : bases) {
    if (b.value > 0) {
      expected.push_back(b.value);
    }
  }
  EXPECT_EQ(asked, expected);
  size_t written = 0;
  for (int64_t b : expected) {
    if (b % 2 == 0) {
      ++written;
    }
  }
  const auto& on_disk = log->state_snapshot_offsets();
  EXPECT_EQ(on_disk.size(), std::min(written, PartitionLog::kMaxStateSnapshots));
  for (Offset at : on_disk) {
    EXPECT_EQ(at.value % 2, 0);
    auto bytes = log->read_state_snapshot(at).value();
    EXPECT_EQ(bytes, (std::vector<uint8_t>{7, static_cast<uint8_t>(at.value)}));
  }
  // A snapshot taken at the roll survives a reopen (open() lists the files).
  const auto kept = on_disk;
  ASSERT_TRUE(log->close());
  auto reopened = PartitionLog::open(tmp.partition(), c, clock.clock()).value();
  EXPECT_EQ(reopened->state_snapshot_offsets(), kept);
}

}  // namespace
}  // namespace meridian::log
