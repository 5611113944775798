#include "cluster/replication/producer_state.h"

#include <limits>

#include <gtest/gtest.h>

#include "cluster/record/record.h"

namespace meridian::replication {
namespace {

constexpr int64_t kNow = 1'000'000;

ProducerBatchHeader batch(int64_t pid, int16_t epoch, int32_t first_seq, int32_t records,
                          int64_t first_offset) {
  ProducerBatchHeader h;
  h.producer_id = ProducerId(pid);
  h.epoch = epoch;
  h.first_seq = first_seq;
  h.last_seq = first_seq + records - 1;
  h.first_offset = Offset(first_offset);
  h.last_offset = Offset(first_offset + records - 1);
  return h;
}

// check() then record() as the leader does; returns the check's result.
Result<std::optional<ProducerBatch>> append(ProducerStateTable& table, ProducerBatchHeader h) {
  auto checked = table.check(h);
  if (checked && !*checked) {
    table.record(h, kNow);
  }
  return checked;
}

TEST(ProducerStateTable, NonIdempotentBatchesAreNotTracked) {
  ProducerStateTable table;
  auto h = batch(-1, -1, -1, 3, 0);
  auto checked = append(table, h);
  ASSERT_TRUE(checked);
  EXPECT_FALSE(*checked);
  EXPECT_EQ(table.size(), 0u);
}

TEST(ProducerStateTable, InSequenceBatchesAreAccepted) {
  ProducerStateTable table;
  ASSERT_FALSE(*append(table, batch(7, 0, 0, 5, 100)));
  ASSERT_FALSE(*append(table, batch(7, 0, 5, 5, 105)));
  const ProducerEntry* entry = table.find(ProducerId(7));
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->epoch, 0);
  ASSERT_EQ(entry->batches.size(), 2u);
  EXPECT_EQ(entry->batches.back(), (ProducerBatch{5, 9, Offset(105), Offset(109)}));
}

TEST(ProducerStateTable, DuplicateReturnsTheOriginalOffsets) {
  ProducerStateTable table;
  ASSERT_FALSE(*append(table, batch(7, 0, 0, 5, 100)));
  ASSERT_FALSE(*append(table, batch(7, 0, 5, 5, 105)));
  // The retry arrives with whatever offsets; the answer is where the first copy landed.
  auto dup = append(table, batch(7, 0, 5, 5, 999));
  ASSERT_TRUE(dup);
  ASSERT_TRUE(*dup);
  EXPECT_EQ((*dup)->first_offset, Offset(105));
  EXPECT_EQ((*dup)->last_offset, Offset(109));
  auto older = append(table, batch(7, 0, 0, 5, 999));
  ASSERT_TRUE(older && *older);
  EXPECT_EQ((*older)->first_offset, Offset(100));
  EXPECT_EQ(table.find(ProducerId(7))->batches.size(), 2u);  // nothing recorded twice
}

TEST(ProducerStateTable, GapIsOutOfOrder) {
  ProducerStateTable table;
  ASSERT_FALSE(*append(table, batch(7, 0, 0, 5, 100)));
  auto gap = append(table, batch(7, 0, 6, 1, 105));
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error(), producer_errc::out_of_order_sequence);
  // A batch overlapping the last one but not identical to it is not a duplicate either.
  auto overlap = append(table, batch(7, 0, 3, 4, 105));
  ASSERT_FALSE(overlap);
  EXPECT_EQ(overlap.error(), producer_errc::out_of_order_sequence);
  EXPECT_FALSE(*append(table, batch(7, 0, 5, 1, 105)));
}

TEST(ProducerStateTable, OnlyTheLastFiveBatchesAreRemembered) {
  ProducerStateTable table;
  for (int i = 0; i < 7; ++i) {
    ASSERT_FALSE(*append(table, batch(7, 0, i * 2, 2, 100 + i * 2)));
  }
  EXPECT_EQ(table.find(ProducerId(7))->batches.size(), ProducerStateTable::kMaxCachedBatches);
  // Batches 2..6 (seq 4..13) are duplicates; batches 0 and 1 fell out of the window and their
  // retry is out of order, as in Kafka.
  for (int i = 2; i < 7; ++i) {
    auto dup = append(table, batch(7, 0, i * 2, 2, 0));
    ASSERT_TRUE(dup && *dup) << i;
    EXPECT_EQ((*dup)->first_offset, Offset(100 + i * 2));
  }
  for (int i = 0; i < 2; ++i) {
    auto old = append(table, batch(7, 0, i * 2, 2, 0));
    ASSERT_FALSE(old) << i;
    EXPECT_EQ(old.error(), producer_errc::out_of_order_sequence);
  }
}

TEST(ProducerStateTable, EpochRules) {
  ProducerStateTable table;
  ASSERT_FALSE(*append(table, batch(7, 3, 0, 5, 100)));
  auto fenced = append(table, batch(7, 2, 5, 1, 105));
  ASSERT_FALSE(fenced);
  EXPECT_EQ(fenced.error(), producer_errc::invalid_producer_epoch);
  // A bumped epoch must restart at sequence 0.
  auto bad_start = append(table, batch(7, 4, 5, 1, 105));
  ASSERT_FALSE(bad_start);
  EXPECT_EQ(bad_start.error(), producer_errc::out_of_order_sequence);
  ASSERT_FALSE(*append(table, batch(7, 4, 0, 2, 105)));
  EXPECT_EQ(table.find(ProducerId(7))->epoch, 4);
  EXPECT_EQ(table.find(ProducerId(7))->batches.size(), 1u);  // the old epoch's batches are gone
  // The old epoch's batches are no longer duplicates: they are fenced.
  auto old_dup = append(table, batch(7, 3, 0, 5, 0));
  ASSERT_FALSE(old_dup);
  EXPECT_EQ(old_dup.error(), producer_errc::invalid_producer_epoch);
}

TEST(ProducerStateTable, UnknownProducerMustStartAtZero) {
  ProducerStateTable table;
  auto unknown = append(table, batch(9, 0, 42, 1, 0));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), producer_errc::unknown_producer_id);
  EXPECT_FALSE(*append(table, batch(9, 0, 0, 1, 0)));
  EXPECT_EQ(table.size(), 1u);
}

TEST(ProducerStateTable, ProducersAreIndependent) {
  ProducerStateTable table;
  ASSERT_FALSE(*append(table, batch(1, 0, 0, 3, 0)));
  ASSERT_FALSE(*append(table, batch(2, 0, 0, 3, 3)));
  ASSERT_FALSE(*append(table, batch(1, 0, 3, 3, 6)));
  auto dup = append(table, batch(2, 0, 0, 3, 0));
  ASSERT_TRUE(dup && *dup);
  EXPECT_EQ((*dup)->first_offset, Offset(3));
}

TEST(ProducerStateTable, SequenceWrapsAtIntMax) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  ProducerStateTable table;
  ProducerBatchHeader high = batch(7, 0, kMax - 1, 2, 1);  // seq kMax-1 .. kMax
  high.first_seq = kMax - 1;
  high.last_seq = kMax;
  table.record(high, kNow);
  EXPECT_FALSE(*append(table, batch(7, 0, 0, 1, 3)));  // 0 follows INT32_MAX
  auto gap = append(table, batch(7, 0, 2, 1, 4));
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error(), producer_errc::out_of_order_sequence);
}

TEST(ProducerStateTable, HeaderOfABuiltBatch) {
  record::BatchOptions options;
  options.producer_id = 77;
  options.producer_epoch = 2;
  options.base_sequence = 10;
  options.base_offset = Offset(500);
  record::RecordBatchBuilder builder(options);
  for (int i = 0; i < 4; ++i) {
    builder.append(1000, std::nullopt, "x");
  }
  auto bytes = builder.build().value();
  auto h = ProducerBatchHeader::of(record::BatchView::parse(bytes).value());
  EXPECT_EQ(h.producer_id, ProducerId(77));
  EXPECT_EQ(h.epoch, 2);
  EXPECT_EQ(h.first_seq, 10);
  EXPECT_EQ(h.last_seq, 13);
  EXPECT_EQ(h.first_offset, Offset(500));
  EXPECT_EQ(h.last_offset, Offset(503));
}

TEST(ProducerStateTable, RecordAllReplaysConcatenatedBatches) {
  std::vector<uint8_t> log;
  for (int i = 0; i < 8; ++i) {
    record::BatchOptions options;
    options.producer_id = 1 + i % 2;
    options.producer_epoch = 0;
    options.base_sequence = (i / 2) * 3;
    options.base_offset = Offset(i * 3);
    record::RecordBatchBuilder builder(options);
    for (int r = 0; r < 3; ++r) {
      builder.append(1000, std::nullopt, "v");
    }
    auto bytes = builder.build().value();
    log.insert(log.end(), bytes.begin(), bytes.end());
  }
  ProducerStateTable table;
  auto end = table.record_all(log, kNow);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, Offset(24));
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.find(ProducerId(1))->batches.back().last_seq, 11);
  EXPECT_EQ(table.find(ProducerId(2))->batches.back().last_offset, Offset(23));
  EXPECT_FALSE(*table.check(batch(1, 0, 12, 1, 24)));
  auto dup = table.check(batch(2, 0, 9, 3, 0));
  ASSERT_TRUE(dup && *dup);
  EXPECT_EQ((*dup)->first_offset, Offset(21));
}

TEST(ProducerStateTable, TruncateTailIsExactOnlyWhenNothingWasCut) {
  ProducerStateTable table;
  table.record(batch(1, 0, 0, 5, 0), kNow);
  table.record(batch(2, 0, 0, 5, 5), kNow);
  table.record(batch(1, 0, 5, 5, 10), kNow);
  EXPECT_TRUE(table.truncate_tail(Offset(15)));   // nothing at or beyond 15
  EXPECT_FALSE(table.truncate_tail(Offset(12)));  // producer 1's last batch goes
  EXPECT_EQ(table.find(ProducerId(1))->batches.back().last_seq, 4);
  EXPECT_FALSE(table.truncate_tail(Offset(3)));
  EXPECT_EQ(table.size(), 0u);
}

TEST(ProducerStateTable, TruncateHeadAndExpiry) {
  ProducerStateTable table;
  table.record(batch(1, 0, 0, 5, 0), kNow);
  table.record(batch(2, 0, 0, 5, 5), kNow + 500);
  table.truncate_head(Offset(5));
  EXPECT_EQ(table.find(ProducerId(1)), nullptr);
  EXPECT_NE(table.find(ProducerId(2)), nullptr);
  EXPECT_EQ(table.expire(kNow + 1000, 600), 0u);
  EXPECT_EQ(table.expire(kNow + 1200, 600), 1u);
  EXPECT_EQ(table.size(), 0u);
}

TEST(ProducerStateTable, ErrorMessagesAreReadable) {
  std::error_code ec = producer_errc::out_of_order_sequence;
  EXPECT_EQ(ec.category().name(), std::string("meridian.producer"));
  EXPECT_NE(ec.message().find("sequence"), std::string::npos);
}

}  // namespace
}  // namespace meridian::replication
