#include "cluster/log/partition_log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>

#include "cluster/log/detail/checkpoint.h"
#include "log_test_util.h"

namespace meridian::log {
namespace {
using testing::FakeClock;
using testing::make_batch;
using testing::open_log;
using testing::read_all;
using testing::small_config;
using testing::TempDir;

// Appends `n` batches of 1..5 records; returns the stored bytes of each (offsets assigned).
std::vector<std::vector<uint8_t>> append_batches(PartitionLog& log, int n, std::mt19937& rng,
                                                 int64_t ts, LeaderEpoch epoch = LeaderEpoch(0)) {
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < n; ++i) {
    auto batch = make_batch(1 + static_cast<int>(rng() % 5), ts + i * 10, testing::tag_of("b", i),
                            8 + rng() % 200);
    auto info = log.append(batch, epoch);
    EXPECT_TRUE(info.has_value()) << info.error().message();
    out.push_back(std::move(batch));
  }
  return out;
}

TEST(PartitionLog, AppendAssignsOffsetsAndEpochWithoutBreakingCrc) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), {}, clock);
  auto a = make_batch(3, 1000, "a");
  auto b = make_batch(2, 2000, "b");
  auto ia = log->append(a, LeaderEpoch(5));
  ASSERT_TRUE(ia.has_value());
  EXPECT_EQ(ia->first_offset, Offset(0));
  EXPECT_EQ(ia->last_offset, Offset(2));
  auto ib = log->append(b, LeaderEpoch(5));
  ASSERT_TRUE(ib.has_value());
  EXPECT_EQ(ib->first_offset, Offset(3));
  EXPECT_EQ(ib->last_offset, Offset(4));
  EXPECT_EQ(log->log_end_offset(), Offset(5));
  auto view = record::BatchView::parse(b);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->base_offset(), Offset(3));
  EXPECT_EQ(view->leader_epoch(), LeaderEpoch(5));
  EXPECT_TRUE(view->crc_valid());
  auto all = read_all(*log, Offset(0));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], a);
  EXPECT_EQ(all[1], b);
}

TEST(PartitionLog, RejectsInvalidBatchesAndLeavesThemUntouched) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), {}, clock);
  auto good = make_batch(2, 1000, "g");
  auto bad = make_batch(2, 1000, "b");
  bad[bad.size() - 1] ^= 0x40;
  std::vector<uint8_t> both = good;
  both.insert(both.end(), bad.begin(), bad.end());
  auto copy = both;
  EXPECT_EQ(log->append(both, LeaderEpoch(0)).error(), make_error_code(errc::crc_mismatch));
  EXPECT_EQ(both, copy);
  std::vector<uint8_t> torn(good.begin(), good.end() - 3);
  EXPECT_EQ(log->append(torn, LeaderEpoch(0)).error(), make_error_code(errc::invalid_batch));
  std::vector<uint8_t> empty;
  EXPECT_EQ(log->append(empty, LeaderEpoch(0)).error(), make_error_code(errc::invalid_batch));
  EXPECT_EQ(log->log_end_offset(), Offset(0));
  ASSERT_TRUE(log->append(good, LeaderEpoch(3)).has_value());
  EXPECT_EQ(log->append(copy, LeaderEpoch(2)).error(), make_error_code(errc::epoch_regression));
}

TEST(PartitionLog, RoundTripAcrossManySegments) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  std::mt19937 rng(42);
  // Several batches per append call: one write, offsets assigned to each.
  std::vector<std::vector<uint8_t>> expected;
  for (int call = 0; call < 100; ++call) {
    std::vector<uint8_t> buf;
    std::vector<size_t> sizes;
    int n = 1 + call % 3;
    for (int i = 0; i < n; ++i) {
      auto b = make_batch(1 + static_cast<int>(rng() % 4), 1000 + call, testing::tag_of("c", call),
                          rng() % 300);
      sizes.push_back(b.size());
      buf.insert(buf.end(), b.begin(), b.end());
    }
    ASSERT_TRUE(log->append(buf, LeaderEpoch(1)).has_value());
    size_t at = 0;
    for (size_t s : sizes) {
      expected.emplace_back(buf.begin() + at, buf.begin() + at + s);
      at += s;
    }
  }
  EXPECT_GT(log->segment_count(), 5u);
  EXPECT_EQ(read_all(*log, Offset(0)), expected);
  // From every offset: the first batch returned holds it.
  for (const auto& batch : expected) {
    auto view = record::BatchView::parse(batch);
    for (Offset o = view->base_offset(); o <= view->last_offset(); o += 1) {
      auto rr = log->read(o, 1, Offset(INT64_MAX));
      ASSERT_TRUE(rr.has_value());
      ASSERT_EQ(rr->slices.size(), 1u);
      auto bytes = rr->to_bytes();
      ASSERT_TRUE(bytes.has_value());
      EXPECT_EQ(*bytes, batch) << "offset " << o.value;
    }
  }
  // read_into gives the same bytes as read().
  std::vector<uint8_t> buf(5000);
  auto n = log->read_into(Offset(7), buf, Offset(INT64_MAX));
  ASSERT_TRUE(n.has_value());
  auto rr = log->read(Offset(7), buf.size(), Offset(INT64_MAX), FirstBatch::kRespectMaxBytes);
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(*n, rr->total_bytes);
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + *n), *rr->to_bytes());
}

TEST(PartitionLog, ReadLimits) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  std::mt19937 rng(1);
  auto batches = append_batches(*log, 20, rng, 1000);
  Offset end = log->log_end_offset();
  // Out of range on both sides; the end itself is an empty read.
  EXPECT_EQ(log->read(end + 1, 100, end).error(), make_error_code(errc::offset_out_of_range));
  auto at_end = log->read(end, 100, Offset(INT64_MAX));
  ASSERT_TRUE(at_end.has_value());
  EXPECT_TRUE(at_end->slices.empty());
  EXPECT_EQ(at_end->next_offset, end);
  // max_offset (the high watermark) cuts before any batch reaching it.
  Offset hw = testing::base_of(batches[10]);
  auto below_hw = log->read(Offset(0), 1 << 20, hw);
  ASSERT_TRUE(below_hw.has_value());
  EXPECT_EQ(below_hw->next_offset, hw);
  // A first batch larger than max_bytes is returned whole (KIP-74) unless told otherwise.
  auto one = log->read(Offset(0), 1, Offset(INT64_MAX));
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->total_bytes, batches[0].size());
  auto none = log->read(Offset(0), 1, Offset(INT64_MAX), FirstBatch::kRespectMaxBytes);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->slices.empty());
  std::vector<uint8_t> tiny(10);
  EXPECT_EQ(log->read_into(Offset(0), tiny, Offset(INT64_MAX)).error(),
            make_error_code(errc::buffer_too_small));
}

TEST(PartitionLog, RollsBySizeAtTheLogEndOffset) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config;
  config.segment_bytes = 1000;
  auto log = open_log(tmp.partition(), config, clock);
  std::vector<Offset> ends;
  for (int i = 0; i < 10; ++i) {
    ends.push_back(log->log_end_offset());
    auto b = make_batch(2, 1000, "x", 150);  // ~400 bytes
    auto info = log->append(b, LeaderEpoch(0));
    ASSERT_TRUE(info.has_value());
  }
  auto bases = log->segment_base_offsets();
  EXPECT_GE(bases.size(), 4u);
  for (Offset b : bases) {
    EXPECT_NE(std::find(ends.begin(), ends.end(), b), ends.end());
    EXPECT_TRUE(std::filesystem::exists(tmp.partition() /
                                        (std::string(20 - std::to_string(b.value).size(), '0') +
                                         std::to_string(b.value) + ".log")));
  }
  for (Offset b : bases) {
    EXPECT_EQ(b.value % 2, 0);  // every batch has two records
  }
}

TEST(PartitionLog, RollsByTime) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config;
  config.segment_ms = 1000;
  auto log = open_log(tmp.partition(), config, clock);
  auto a = make_batch(1, 1, "a");
  ASSERT_FALSE(log->append(a, LeaderEpoch(0))->rolled);
  clock.advance(500);
  auto b = make_batch(1, 1, "b");
  ASSERT_FALSE(log->append(b, LeaderEpoch(0))->rolled);
  clock.advance(600);
  auto c = make_batch(1, 1, "c");
  auto info = log->append(c, LeaderEpoch(0));
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->rolled);
  EXPECT_EQ(log->segment_base_offsets(), (std::vector<Offset>{Offset(0), Offset(2)}));
  EXPECT_FALSE(*log->roll_if_due());
  clock.advance(1000);
  EXPECT_TRUE(*log->roll_if_due());
  EXPECT_EQ(log->segment_count(), 3u);
  // An empty active segment never rolls by time.
  clock.advance(5000);
  EXPECT_FALSE(*log->roll_if_due());
}

TEST(PartitionLog, RetentionBySizeKeepsTheActiveSegment) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config = small_config();
  config.retention_bytes = 10000;
  config.retention_ms = -1;
  auto log = open_log(tmp.partition(), config, clock);
  std::mt19937 rng(3);
  auto batches = append_batches(*log, 150, rng, *clock.now);
  uint64_t before = log->size_bytes();
  ASSERT_GT(before, 20000u);
  auto result = log->enforce_retention();
  ASSERT_TRUE(result.has_value());
  EXPECT_GT(result->segments_deleted, 0u);
  EXPECT_EQ(log->size_bytes(), before - result->bytes_deleted);
  // Kafka semantics: a segment goes only if what remains is still >= retention.bytes.
  EXPECT_GE(log->size_bytes(), 10000u);
  EXPECT_LT(log->size_bytes(), 10000u + 4096);
  EXPECT_EQ(log->log_start_offset(), log->segment_base_offsets().front());
  EXPECT_EQ(log->read(log->log_start_offset() - 1, 100, Offset(INT64_MAX)).error(),
            make_error_code(errc::offset_out_of_range));
  auto rest = read_all(*log, log->log_start_offset());
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back(), batches.back());
  // Everything gone but the active segment, never the active one.
  log.reset();
  config.retention_bytes = 0;
  log = open_log(tmp.partition(), config, clock);
  ASSERT_TRUE(log->enforce_retention().has_value());
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(read_all(*log, log->log_start_offset()).back(), batches.back());
}

TEST(PartitionLog, RetentionByTimeUsesTheLargestTimestamp) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config = small_config();
  config.retention_ms = 60'000;
  auto log = open_log(tmp.partition(), config, clock);
  std::mt19937 rng(4);
  int64_t old_ts = *clock.now - 600'000;
  append_batches(*log, 60, rng, old_ts);  // ten minutes old
  ASSERT_TRUE(log->roll_if_due().has_value());
  clock.advance(1);
  auto fresh = append_batches(*log, 40, rng, *clock.now);  // now
  size_t segments = log->segment_count();
  auto result = log->enforce_retention();
  ASSERT_TRUE(result.has_value());
  EXPECT_GT(result->segments_deleted, 0u);
  EXPECT_LT(log->segment_count(), segments);
  // No surviving batch is older than retention unless it shares a segment with fresh data.
  auto rest = read_all(*log, log->log_start_offset());
  EXPECT_GE(rest.size(), fresh.size());
  EXPECT_EQ(rest.back(), fresh.back());
  clock.advance(120'000);
  ASSERT_TRUE(log->enforce_retention().has_value());
  EXPECT_EQ(log->segment_count(), 1u);  // the active segment stays even when expired
}

TEST(PartitionLog, AdvanceLogStartDeletesWholeSegmentsAndPersists) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  std::mt19937 rng(5);
  auto batches = append_batches(*log, 100, rng, 1000);
  auto bases = log->segment_base_offsets();
  ASSERT_GT(bases.size(), 3u);
  Offset target = bases[2] + 1;  // inside the third segment
  ASSERT_TRUE(log->advance_log_start(target).has_value());
  EXPECT_EQ(log->log_start_offset(), target);
  EXPECT_EQ(log->segment_base_offsets().front(), bases[2]);
  EXPECT_EQ(log->read(target - 1, 100, Offset(INT64_MAX)).error(),
            make_error_code(errc::offset_out_of_range));
  auto rr = log->read(target, 100, Offset(INT64_MAX));
  ASSERT_TRUE(rr.has_value());
  EXPECT_LE(rr->slices.front().first_offset, target);  // the batch holding it
  EXPECT_EQ(log->advance_log_start(log->log_end_offset() + 1).error(),
            make_error_code(errc::offset_out_of_range));
  ASSERT_TRUE(log->advance_log_start(target - 5).has_value());  // never backwards
  EXPECT_EQ(log->log_start_offset(), target);
  log.reset();
  log = open_log(tmp.partition(), small_config(), clock);
  EXPECT_EQ(log->log_start_offset(), target);
  EXPECT_EQ(*log->offset_for_timestamp(format::kEarliestTimestamp), (TimestampOffset{target, -1}));
}

TEST(PartitionLog, TruncateInsideASegmentThenAppendContinues) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  std::mt19937 rng(6);
  auto batches = append_batches(*log, 30, rng, 1000);
  ASSERT_TRUE(log->flush().has_value());
  // Cut at a batch boundary inside the active segment.
  Offset cut = testing::base_of(batches[27]);
  ASSERT_TRUE(log->truncate_to(cut).has_value());
  EXPECT_EQ(log->log_end_offset(), cut);
  EXPECT_LE(log->recovery_point(), cut);
  auto rest = read_all(*log, Offset(0));
  EXPECT_EQ(rest, std::vector<std::vector<uint8_t>>(batches.begin(), batches.begin() + 27));
  // Cutting inside a batch removes all of it.
  auto view = record::BatchView::parse(batches[25]);
  if (view->last_offset() > view->base_offset()) {
    ASSERT_TRUE(log->truncate_to(view->base_offset() + 1).has_value());
    EXPECT_EQ(log->log_end_offset(), view->base_offset());
  } else {
    ASSERT_TRUE(log->truncate_to(view->base_offset()).has_value());
  }
  auto more = make_batch(4, 5000, "after");
  auto info = log->append(more, LeaderEpoch(0));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->first_offset, view->base_offset());
  auto all = read_all(*log, Offset(0));
  ASSERT_EQ(all.size(), 26u);
  EXPECT_EQ(all.back(), more);
  log.reset();
  log = open_log(tmp.partition(), small_config(), clock);
  EXPECT_EQ(read_all(*log, Offset(0)), all);
}

TEST(PartitionLog, TruncateAcrossSegments) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  std::mt19937 rng(7);
  auto batches = append_batches(*log, 80, rng, 1000);
  auto bases = log->segment_base_offsets();
  ASSERT_GT(bases.size(), 4u);
  // Exactly at a segment's base: that segment goes entirely.
  ASSERT_TRUE(log->truncate_to(bases[3]).has_value());
  EXPECT_EQ(log->log_end_offset(), bases[3]);
  EXPECT_EQ(log->segment_base_offsets(), std::vector<Offset>(bases.begin(), bases.begin() + 3));
  size_t kept = 0;
  while (kept < batches.size() && testing::base_of(batches[kept]) < bases[3]) {
    ++kept;
  }
  EXPECT_EQ(read_all(*log, Offset(0)),
            std::vector<std::vector<uint8_t>>(batches.begin(), batches.begin() + kept));
  auto again = append_batches(*log, 40, rng, 2000);
  EXPECT_EQ(testing::base_of(again.front()), bases[3]);
  auto all = read_all(*log, Offset(0));
  EXPECT_EQ(all.size(), kept + again.size());
  EXPECT_EQ(all.back(), again.back());
  // Below the log start: the log restarts empty there.
  ASSERT_TRUE(log->advance_log_start(Offset(10)).has_value());
  ASSERT_TRUE(log->truncate_to(Offset(5)).has_value());
  EXPECT_EQ(log->log_start_offset(), Offset(5));
  EXPECT_EQ(log->log_end_offset(), Offset(5));
  EXPECT_EQ(log->segment_count(), 1u);
}

TEST(PartitionLog, OffsetForTimestamp) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  // Batch i holds records with timestamps 10000 + 100*i + {0, 1, 2}.
  for (int i = 0; i < 60; ++i) {
    auto b = make_batch(3, 10000 + 100 * i, "t", 100);
    ASSERT_TRUE(log->append(b, LeaderEpoch(0)).has_value());
  }
  ASSERT_GT(log->segment_count(), 2u);
  using TO = TimestampOffset;
  EXPECT_EQ(*log->offset_for_timestamp(format::kEarliestTimestamp), (TO{Offset(0), -1}));
  EXPECT_EQ(*log->offset_for_timestamp(format::kLatestTimestamp), (TO{Offset(180), -1}));
  EXPECT_EQ(*log->offset_for_timestamp(0), (TO{Offset(0), 10000}));
  for (int i = 0; i < 60; ++i) {
    int64_t ts = 10000 + 100 * i;
    EXPECT_EQ(*log->offset_for_timestamp(ts), (TO{Offset(3 * i), ts})) << i;
    EXPECT_EQ(*log->offset_for_timestamp(ts + 2), (TO{Offset(3 * i + 2), ts + 2})) << i;
    if (i < 59) {
      EXPECT_EQ(*log->offset_for_timestamp(ts + 50), (TO{Offset(3 * i + 3), ts + 100})) << i;
    }
  }
  EXPECT_FALSE(log->offset_for_timestamp(10000 + 100 * 59 + 3)->has_value());
  // The lookup survives reopening (time index from disk) and respects the log start.
  log.reset();
  log = open_log(tmp.partition(), small_config(), clock);
  EXPECT_EQ(*log->offset_for_timestamp(10000 + 100 * 30 + 1), (TO{Offset(91), 10000 + 3001}));
  ASSERT_TRUE(log->advance_log_start(Offset(100)).has_value());
  EXPECT_EQ(*log->offset_for_timestamp(0), (TO{Offset(100), 10000 + 100 * 33 + 1}));
}

TEST(PartitionLog, LeaderEpochCheckpointAndEndOffsets) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  auto append_n = [&](int n, int epoch) {
    for (int i = 0; i < n; ++i) {
      auto b = make_batch(2, 1000, "e");
      ASSERT_TRUE(log->append(b, LeaderEpoch(epoch)).has_value());
    }
  };
  append_n(5, 0);  // offsets 0..9
  append_n(5, 1);  // 10..19
  append_n(5, 3);  // 20..29
  std::vector<EpochEntry> expected{
      {LeaderEpoch(0), Offset(0)}, {LeaderEpoch(1), Offset(10)}, {LeaderEpoch(3), Offset(20)}};
  EXPECT_EQ(log->epoch_entries(), expected);
  auto text = detail::read_checkpoint(tmp.partition() / "leader-epoch-checkpoint", 2);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, (detail::CheckpointRows{{0, 0}, {1, 10}, {3, 20}}));
  using E = EpochEndOffset;
  EXPECT_EQ(log->end_offset_for_epoch(LeaderEpoch(0)), (E{LeaderEpoch(0), Offset(10)}));
  EXPECT_EQ(log->end_offset_for_epoch(LeaderEpoch(1)), (E{LeaderEpoch(1), Offset(20)}));
  EXPECT_EQ(log->end_offset_for_epoch(LeaderEpoch(2)), (E{LeaderEpoch(1), Offset(20)}));
  EXPECT_EQ(log->end_offset_for_epoch(LeaderEpoch(3)), (E{LeaderEpoch(3), Offset(30)}));
  EXPECT_EQ(log->end_offset_for_epoch(LeaderEpoch(4)), (E{}));
  EXPECT_EQ(log->end_offset_for_epoch(LeaderEpoch(-1)), (E{}));
  // Suffix truncation drops epochs starting at or after the new end.
  ASSERT_TRUE(log->truncate_to(Offset(20)).has_value());
  expected.pop_back();
  EXPECT_EQ(log->epoch_entries(), expected);
  EXPECT_EQ(log->end_offset_for_epoch(LeaderEpoch(1)), (E{LeaderEpoch(1), Offset(20)}));
  append_n(1, 4);
  expected.push_back({LeaderEpoch(4), Offset(20)});
  EXPECT_EQ(log->epoch_entries(), expected);
  // Prefix truncation moves the covering epoch's start.
  ASSERT_TRUE(log->advance_log_start(Offset(12)).has_value());
  std::vector<EpochEntry> after_prefix{{LeaderEpoch(1), Offset(12)}, {LeaderEpoch(4), Offset(20)}};
  EXPECT_EQ(log->epoch_entries(), after_prefix);
  EXPECT_EQ(log->end_offset_for_epoch(LeaderEpoch(0)), (E{LeaderEpoch(0), Offset(12)}));
  log.reset();
  log = open_log(tmp.partition(), small_config(), clock);
  EXPECT_EQ(log->epoch_entries(), after_prefix);
}

TEST(PartitionLog, FollowerAppendKeepsOffsetsAndEpochs) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  auto a = make_batch(3, 1000, "a", 16, record::Compression::kNone, Offset(0), LeaderEpoch(2));
  auto b = make_batch(2, 1000, "b", 16, record::Compression::kNone, Offset(3), LeaderEpoch(2));
  auto c = make_batch(2, 1000, "c", 16, record::Compression::kNone, Offset(10), LeaderEpoch(5));
  std::vector<uint8_t> ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  ASSERT_TRUE(log->append_with_offsets(ab).has_value());
  ASSERT_TRUE(log->append_with_offsets(c).has_value());  // gap 5..9 (compacted source)
  EXPECT_EQ(log->log_end_offset(), Offset(12));
  EXPECT_EQ(read_all(*log, Offset(0)), (std::vector<std::vector<uint8_t>>{a, b, c}));
  auto rr = log->read(Offset(6), 100, Offset(INT64_MAX));
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(rr->slices.front().first_offset, Offset(10));
  EXPECT_EQ(log->epoch_entries(),
            (std::vector<EpochEntry>{{LeaderEpoch(2), Offset(0)}, {LeaderEpoch(5), Offset(10)}}));
  EXPECT_EQ(log->append_with_offsets(b).error(), make_error_code(errc::non_monotonic_offset));
  // A jump beyond the 32-bit relative offset range starts a new segment.
  auto far = make_batch(1, 1000, "far", 16, record::Compression::kNone, Offset(5'000'000'000),
                        LeaderEpoch(5));
  auto info = log->append_with_offsets(far);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->rolled);
  EXPECT_EQ(log->segment_base_offsets().back(), Offset(5'000'000'000));
}

TEST(PartitionLog, ReopenAfterCleanCloseIsFastAndIdentical) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  std::mt19937 rng(8);
  auto batches = append_batches(*log, 100, rng, 1000);
  Offset end = log->log_end_offset();
  ASSERT_TRUE(log->close().has_value());
  EXPECT_TRUE(std::filesystem::exists(tmp.partition() / "clean-shutdown"));
  EXPECT_EQ(log->read(Offset(0), 10, end).error(), make_error_code(errc::closed));
  log.reset();
  log = open_log(tmp.partition(), small_config(), clock);
  EXPECT_TRUE(log->open_stats().clean_shutdown);
  EXPECT_EQ(log->open_stats().segments_recovered, 0u);
  EXPECT_EQ(log->open_stats().bytes_dropped, 0u);
  EXPECT_EQ(log->open_stats().indexes_rebuilt, 0u);
  EXPECT_TRUE(log->open_stats().warnings.empty());
  EXPECT_FALSE(std::filesystem::exists(tmp.partition() / "clean-shutdown"));
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(log->recovery_point(), end);
  EXPECT_EQ(read_all(*log, Offset(0)), batches);
  auto more = append_batches(*log, 5, rng, 2000);
  EXPECT_EQ(testing::base_of(more.front()), end);
}

TEST(PartitionLog, FlushPolicyAdvancesTheRecoveryPoint) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config;
  config.flush_messages = 10;
  config.recovery_checkpoint_interval_ms = 0;
  auto log = open_log(tmp.partition(), config, clock);
  std::mt19937 rng(9);
  for (int i = 0; i < 4; ++i) {
    auto b = make_batch(3, 1000, "f");
    ASSERT_TRUE(log->append(b, LeaderEpoch(0)).has_value());
  }
  EXPECT_EQ(log->recovery_point(), Offset(12));  // flushed when 10 offsets were pending
  auto b = make_batch(3, 1000, "f");
  ASSERT_TRUE(log->append(b, LeaderEpoch(0)).has_value());
  EXPECT_EQ(log->recovery_point(), Offset(12));
  auto flushed = log->flush();
  ASSERT_TRUE(flushed.has_value());
  EXPECT_EQ(*flushed, Offset(15));
  auto rp = detail::read_checkpoint(tmp.partition() / "recovery-point-offset-checkpoint", 1);
  ASSERT_TRUE(rp.has_value());
  EXPECT_EQ(*rp, (detail::CheckpointRows{{15}}));
  // flush.ms
  log.reset();
  config.flush_messages = INT64_MAX;
  config.flush_ms = 1000;
  log = open_log(tmp.partition(), config, clock);
  auto c = make_batch(1, 1000, "g");
  ASSERT_TRUE(log->append(c, LeaderEpoch(0)).has_value());
  EXPECT_EQ(log->recovery_point(), Offset(15));
  clock.advance(1000);
  ASSERT_TRUE(log->flush_if_due().has_value());
  EXPECT_EQ(log->recovery_point(), Offset(16));
}

TEST(PartitionLog, SlicesOutliveRetentionAndAreReadableFromAnotherThread) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config = small_config();
  config.retention_bytes = 0;
  auto log = open_log(tmp.partition(), config, clock);
  std::mt19937 rng(10);
  auto batches = append_batches(*log, 60, rng, 1000);
  auto rr = log->read(Offset(0), 1 << 20, Offset(INT64_MAX));
  ASSERT_TRUE(rr.has_value());
  ASSERT_GT(rr->slices.size(), 1u);
  ASSERT_TRUE(log->enforce_retention().has_value());
  EXPECT_FALSE(std::filesystem::exists(tmp.partition() / "00000000000000000000.log"));
  std::vector<uint8_t> copied;
  std::thread reader([&] { copied = *rr->to_bytes(); });
  reader.join();
  std::vector<uint8_t> expected;
  for (const auto& b : batches) {
    expected.insert(expected.end(), b.begin(), b.end());
  }
  ASSERT_LE(copied.size(), expected.size());
  EXPECT_TRUE(std::equal(copied.begin(), copied.end(), expected.begin()));
  EXPECT_EQ(copied.size(), rr->total_bytes);
}

TEST(PartitionLog, TruncateFullyAndStartAtSurvivesReopen) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  std::mt19937 rng(11);
  append_batches(*log, 30, rng, 1000, LeaderEpoch(4));
  ASSERT_TRUE(log->truncate_fully_and_start_at(Offset(1000)).has_value());
  EXPECT_EQ(log->log_start_offset(), Offset(1000));
  EXPECT_EQ(log->log_end_offset(), Offset(1000));
  EXPECT_TRUE(log->epoch_entries().empty());
  EXPECT_EQ(log->segment_base_offsets(), std::vector<Offset>{Offset(1000)});
  auto b = make_batch(2, 1000, "z");
  auto info = log->append(b, LeaderEpoch(2));  // epochs restart with the log
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->first_offset, Offset(1000));
  log.reset();
  log = open_log(tmp.partition(), small_config(), clock);
  EXPECT_EQ(log->log_start_offset(), Offset(1000));
  EXPECT_EQ(read_all(*log, Offset(1000)), std::vector<std::vector<uint8_t>>{b});
  EXPECT_EQ(log->epoch_entries(), (std::vector<EpochEntry>{{LeaderEpoch(2), Offset(1000)}}));
}

TEST(PartitionLog, InvalidConfigIsRejected) {
  TempDir tmp;
  LogConfig config;
  config.segment_bytes = 10;
  EXPECT_EQ(PartitionLog::open(tmp.partition(), config).error(),
            make_error_code(errc::invalid_config));
  config = {};
  config.segment_bytes = int64_t{1} << 33;
  EXPECT_EQ(PartitionLog::open(tmp.partition(), config).error(),
            make_error_code(errc::invalid_config));
}

}  // namespace
}  // namespace meridian::log
