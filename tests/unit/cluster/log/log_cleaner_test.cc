// Log compaction (cleanup.policy=compact) and producer-state snapshot files of PartitionLog:
// latest record per key kept at its offset, tombstones dropped after delete.retention.ms, the
// active segment untouched, the dirty ratio honoured, a clean interrupted at any step leaves a
// readable log; snapshots pruned with their segments and by truncation.
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "cluster/log/detail/cleaner.h"
#include "cluster/log/format.h"
#include "log_test_util.h"

namespace meridian::log {
namespace {

namespace fs = std::filesystem;
using testing::FakeClock;
using testing::TempDir;

constexpr int64_t kTs = 1'700'000'000'000;

// One batch of keyed records: keys[i] -> values[i] (nullopt = tombstone).
std::vector<uint8_t> keyed_batch(const std::vector<std::pair<std::string, std::optional<std::string>>>& kv,
                                 int64_t ts, record::Compression codec = record::Compression::kNone) {
  record::BatchOptions opts;
  opts.compression = codec;
  record::RecordBatchBuilder b(opts);
  for (const auto& [k, v] : kv) {
    b.append(ts, k, v ? std::optional<std::string_view>(*v) : std::nullopt);
  }
  return b.build().value();
}

struct Read {
  std::vector<record::Record> records;
};

Read read_all(const PartitionLog& log) {
  Read out;
  auto r = log.read(log.log_start_offset(), 1u << 30, log.log_end_offset());
  EXPECT_TRUE(r) << r.error().message();
  auto bytes = r->to_bytes().value();
  std::span<const uint8_t> rest(bytes);
  while (!rest.empty()) {
    auto view = record::BatchView::parse(rest);
    EXPECT_TRUE(view);
    EXPECT_TRUE(view->crc_valid());
    auto recs = record::decode_records(*view);
    EXPECT_TRUE(recs) << recs.error().message();
    out.records.insert(out.records.end(), recs->begin(), recs->end());
    rest = rest.subspan(view->size_bytes());
  }
  return out;
}

LogConfig compact_config() {
  LogConfig c;
  c.segment_bytes = 600;
  c.retention_ms = -1;
  c.cleanup_compact = true;
  c.cleanup_delete = false;
  c.delete_retention_ms = 1000;
  c.min_cleanable_dirty_ratio = 0.5;
  return c;
}

class LogCleanerTest : public ::testing::TestWithParam<record::Compression> {};

TEST_P(LogCleanerTest, KeepsTheLatestRecordPerKeyAtItsOffset) {
  uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  TempDir tmp;
  FakeClock clock;
  auto log = PartitionLog::open(tmp.partition(), compact_config(), clock.clock()).value();
  std::map<std::string, std::pair<int64_t, std::optional<std::string>>> latest;  // key -> offset
  for (int i = 0; i < 60; ++i) {
    std::vector<std::pair<std::string, std::optional<std::string>>> kv;
    for (int j = 0; j < 3; ++j) {
      std::string key = testing::tag_of("key", static_cast<int>(rng() % 8));
      std::optional<std::string> value = testing::tag_of("v", i * 3 + j);
      if (rng() % 10 == 0) {
        value.reset();
      }
      kv.emplace_back(key, value);
    }
    auto batch = keyed_batch(kv, kTs + i, GetParam());
    auto info = log->append(batch, LeaderEpoch(1)).value();
    for (int j = 0; j < 3; ++j) {
      latest[kv[j].first] = {info.first_offset.value + j, kv[j].second};
    }
  }
  ASSERT_GT(log->segment_count(), 4u);
  auto before = read_all(*log);
  auto active_base = log->segment_base_offsets().back();
  auto end = log->log_end_offset();
  // Tombstones are young (now = kTs): they stay.
  auto cleaned = log->clean_if_due(kTs).value();
  EXPECT_GT(cleaned.segments_cleaned, 0u);
  EXPECT_GT(cleaned.records_removed, 0u);
  EXPECT_LT(cleaned.bytes_after, cleaned.bytes_before);
  EXPECT_EQ(cleaned.cleaned_to, active_base);
  EXPECT_EQ(log->log_end_offset(), end);
  auto after = read_all(*log);
  EXPECT_LT(after.records.size(), before.records.size());
  // Below the active segment: only the latest record of each key. Offsets are the originals.
  std::map<int64_t, record::Record> by_offset;
  for (const auto& r : before.records) {
    by_offset[r.offset.value] = r;
  }
  // The map covers the closed segments only (as Kafka's): there each key keeps its newest record.
  std::map<std::string, int64_t> newest_closed;
  for (const auto& r : before.records) {
    if (r.offset < active_base) {
      newest_closed[*r.key] = r.offset.value;
    }
  }
  std::map<std::string, std::optional<std::string>> seen;
  for (const auto& r : after.records) {
    ASSERT_TRUE(by_offset.contains(r.offset.value));
    EXPECT_EQ(by_offset[r.offset.value], r);  // same key, value, timestamp at the same offset
    if (r.offset < active_base) {
      EXPECT_EQ(newest_closed[*r.key], r.offset.value)
          << "a superseded record of " << *r.key << " survived at " << r.offset.value;
    }
    seen[*r.key] = r.value;
  }
  for (const auto& [key, at] : latest) {
    EXPECT_EQ(seen[key], at.second) << key;
  }
  // Every record of the active segment is still there.
  size_t active_before = 0, active_after = 0;
  for (const auto& r : before.records) active_before += r.offset >= active_base;
  for (const auto& r : after.records) active_after += r.offset >= active_base;
  EXPECT_EQ(active_before, active_after);
  // Nothing dirty: a second pass does nothing.
  EXPECT_EQ(log->clean_if_due(kTs).value().segments_cleaned, 0u);
  // Reopened, the log reads the same.
  ASSERT_TRUE(log->close());
  auto reopened = PartitionLog::open(tmp.partition(), compact_config(), clock.clock()).value();
  EXPECT_EQ(read_all(*reopened).records, after.records);
  EXPECT_EQ(reopened->cleaned_to(), active_base);
}

INSTANTIATE_TEST_SUITE_P(Codecs, LogCleanerTest,
                         ::testing::Values(record::Compression::kNone, record::Compression::kGzip,
                                           record::Compression::kZstd));

// Fills segments with key "a" updated again and again, plus a tombstone for "t".
void fill(PartitionLog& log, int batches, int64_t ts) {
  for (int i = 0; i < batches; ++i) {
    std::vector<std::pair<std::string, std::optional<std::string>>> kv = {
        {"a", testing::tag_of("a", i)}, {"pad", std::string(100, 'p')}};
    if (i == 0) {
      kv.emplace_back("t", std::nullopt);
    }
    auto batch = keyed_batch(kv, ts);
    ASSERT_TRUE(log.append(batch, LeaderEpoch(1)));
  }
}

TEST(LogCleaner, OldTombstonesGoAfterDeleteRetention) {
  TempDir tmp;
  FakeClock clock;
  auto log = PartitionLog::open(tmp.partition(), compact_config(), clock.clock()).value();
  fill(*log, 20, kTs);
  ASSERT_TRUE(log->clean_if_due(kTs + 10));
  auto young = read_all(*log);
  EXPECT_TRUE(std::any_of(young.records.begin(), young.records.end(),
                          [](const auto& r) { return r.key == "t" && !r.value; }));
  fill(*log, 20, kTs);  // make the log dirty again
  ASSERT_TRUE(log->clean_if_due(kTs + 5000));  // past delete.retention.ms = 1000
  auto old = read_all(*log);
  EXPECT_FALSE(std::any_of(old.records.begin(), old.records.end(),
                           [](const auto& r) { return r.key == "t"; }));
}

TEST(LogCleaner, HonoursTheDirtyRatioAndThePolicy) {
  TempDir tmp;
  FakeClock clock;
  auto config = compact_config();
  config.min_cleanable_dirty_ratio = 0.9;
  auto log = PartitionLog::open(tmp.partition(), config, clock.clock()).value();
  fill(*log, 20, kTs);
  ASSERT_GT(log->clean_if_due(kTs).value().segments_cleaned, 0u) << "all dirty: ratio 1.0";
  fill(*log, 3, kTs);  // a little dirt over a larger clean part
  EXPECT_EQ(log->clean_if_due(kTs).value().segments_cleaned, 0u);
  // cleanup.policy=delete: never compacted. compact only: retention deletes nothing.
  auto plain = compact_config();
  plain.cleanup_compact = false;
  plain.cleanup_delete = true;
  plain.retention_ms = 1;
  ASSERT_TRUE(log->set_config(plain));
  fill(*log, 20, kTs);
  EXPECT_EQ(log->clean_if_due(kTs).value().segments_cleaned, 0u);
  auto compact_only = compact_config();
  compact_only.retention_ms = 1;
  ASSERT_TRUE(log->set_config(compact_only));
  EXPECT_EQ(log->enforce_retention().value().segments_deleted, 0u);
}

// The states a SIGKILL can leave (see partition_log_clean.cc): a half-written .cleaned file,
// indexes unlinked before the rename, the renamed segment without indexes. Each opens readable.
TEST(LogCleaner, InterruptedCleanLeavesAReadableLog) {
  TempDir tmp;
  FakeClock clock;
  std::vector<record::Record> expected;
  Offset base;
  {
    auto log = PartitionLog::open(tmp.partition(), compact_config(), clock.clock()).value();
    fill(*log, 20, kTs);
    expected = read_all(*log).records;
    base = log->segment_base_offsets()[1];
    log->simulate_crash_for_test();
  }
  auto seg = [&](std::string_view suffix) {
    return tmp.partition() / (std::string(20 - std::to_string(base.value).size(), '0') +
                              std::to_string(base.value) + std::string(suffix));
  };
  {  // crash while writing the cleaned copy, after unlinking the indexes
    std::ofstream(seg(".log.cleaned")) << "half a segment";
    fs::remove(seg(".index"));
    fs::remove(seg(".timeindex"));
    auto log = PartitionLog::open(tmp.partition(), compact_config(), clock.clock()).value();
    EXPECT_FALSE(fs::exists(seg(".log.cleaned")));
    EXPECT_EQ(read_all(*log).records, expected);
    // Then a whole clean, crashed right after: the cleaned segments open without their indexes.
    ASSERT_GT(log->clean_if_due(kTs).value().segments_cleaned, 0u);
    expected = read_all(*log).records;
    log->simulate_crash_for_test();
  }
  fs::remove(seg(".index"));
  fs::remove(seg(".timeindex"));
  auto log = PartitionLog::open(tmp.partition(), compact_config(), clock.clock()).value();
  EXPECT_EQ(read_all(*log).records, expected);
  auto after = keyed_batch({{"a", "after"}}, kTs);
  ASSERT_TRUE(log->append(after, LeaderEpoch(1)));
}

TEST(LogCleaner, FilterBatchRewritesOnlyWhatChanged) {
  auto batch = keyed_batch({{"a", "1"}, {"b", "2"}, {"a", "3"}, {"", std::nullopt}}, kTs);
  detail::OffsetMap map;
  ASSERT_TRUE(map.add_batches(batch));
  EXPECT_EQ(map.latest("a"), Offset(2));
  auto f = detail::filter_batch(batch, map, 0).value();
  ASSERT_EQ(f.action, detail::FilteredBatch::Action::kRewrite);
  EXPECT_EQ(f.records_removed, 1u);
  auto view = record::BatchView::parse(f.bytes).value();
  EXPECT_TRUE(view.crc_valid());
  EXPECT_EQ(view.last_offset_delta(), 3);  // the batch still spans offsets 0..3
  auto recs = record::decode_records(view).value();
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].offset, Offset(1));
  EXPECT_EQ(recs[1].offset, Offset(2));
  EXPECT_EQ(recs[1].value, "3");
  // The empty-key tombstone is old (horizon after its timestamp): gone as well.
  auto g = detail::filter_batch(batch, map, kTs + 1).value();
  EXPECT_EQ(g.records_removed, 2u);
  // A batch of superseded records only is dropped; an untouched one is kept as is.
  detail::OffsetMap later;
  ASSERT_TRUE(later.add_batches(batch));
  auto newer = keyed_batch({{"a", "9"}, {"b", "9"}}, kTs);
  record::set_base_offset(newer, Offset(10));
  ASSERT_TRUE(later.add_batches(newer));
  auto only_old = keyed_batch({{"a", "1"}, {"b", "2"}}, kTs);
  EXPECT_EQ(detail::filter_batch(only_old, later, 0).value().action,
            detail::FilteredBatch::Action::kDrop);
  EXPECT_EQ(detail::filter_batch(newer, later, 0).value().action,
            detail::FilteredBatch::Action::kKeep);
}

TEST(StateSnapshots, PrunedByTruncationRetentionAndCount) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config;
  config.segment_bytes = 600;
  config.retention_ms = -1;
  auto log = PartitionLog::open(tmp.partition(), config, clock.clock()).value();
  fill(*log, 30, kTs);
  auto bases = log->segment_base_offsets();
  ASSERT_GT(bases.size(), 5u);
  std::vector<uint8_t> blob = {1, 2, 3};
  for (size_t i = 1; i < bases.size(); ++i) {
    ASSERT_TRUE(log->write_state_snapshot(bases[i], blob));
  }
  ASSERT_EQ(log->state_snapshot_offsets().size(), PartitionLog::kMaxStateSnapshots);
  EXPECT_EQ(log->state_snapshot_offsets().back(), bases.back());
  EXPECT_EQ(log->read_state_snapshot(bases.back()).value(), blob);
  // A truncation drops the snapshots above the new end; a reopen finds the rest.
  ASSERT_TRUE(log->truncate_to(bases.back() - 1));
  auto left = log->state_snapshot_offsets();
  ASSERT_EQ(left.size(), PartitionLog::kMaxStateSnapshots - 1);
  ASSERT_TRUE(log->close());
  std::ofstream(tmp.partition() / "00000000000000000007.snapshot.tmp") << "torn";
  log = PartitionLog::open(tmp.partition(), config, clock.clock()).value();
  EXPECT_EQ(log->state_snapshot_offsets(), left);
  EXPECT_TRUE(log->open_stats().warnings.size() == 1u);
  EXPECT_FALSE(fs::exists(tmp.partition() / "00000000000000000007.snapshot.tmp"));
  // Retention: snapshots below the new log start go with their segments.
  ASSERT_TRUE(log->advance_log_start(left.back()));
  EXPECT_EQ(log->state_snapshot_offsets(), std::vector<Offset>{left.back()});
  ASSERT_TRUE(log->truncate_fully_and_start_at(Offset(1000)));
  EXPECT_TRUE(log->state_snapshot_offsets().empty());
}

}  // namespace
}  // namespace meridian::log
