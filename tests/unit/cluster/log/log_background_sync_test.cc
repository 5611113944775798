// The log's background sync thread (detail/background_sync.h): a roll no longer waits for the
// old segment's fsync, the recovery point moves only once that fsync is done, truncation and
// flush() interact correctly with pending seals, and appends hand writeback to the thread.

#include <fstream>

#include <gtest/gtest.h>

#include "cluster/log/detail/background_sync.h"
#include "cluster/log/detail/checkpoint.h"
#include "cluster/log/partition_log.h"
#include "log_test_util.h"

namespace meridian::log {
namespace {
using detail::BackgroundSync;
using testing::FakeClock;
using testing::make_batch;
using testing::open_log;
using testing::read_all;
using testing::small_config;
using testing::TempDir;

// Holds the background thread still for the test's scope; resumes and drains at exit so no
// other test sees paused jobs.
class PauseBackground {
 public:
  PauseBackground() { BackgroundSync::instance().pause_for_test(true); }
  ~PauseBackground() { resume(); }
  void resume() {
    BackgroundSync::instance().pause_for_test(false);
    BackgroundSync::instance().drain();
  }
};

// Appends ~1 KiB batches until `rolls` rolls happened; returns the stored batches and, per
// roll, the log end offset just before it (what that roll's seal makes durable).
struct Appended {
  std::vector<std::vector<uint8_t>> batches;
  std::vector<Offset> roll_ends;
};
Appended append_until_rolls(PartitionLog& log, size_t rolls) {
  Appended out;
  for (int i = 0; i < 1000 && out.roll_ends.size() < rolls; ++i) {
    auto batch = make_batch(2, 1000 + i, testing::tag_of("r", i), 500);
    Offset end_before = log.log_end_offset();
    auto info = log.append(batch, LeaderEpoch(0));
    EXPECT_TRUE(info.has_value()) << info.error().message();
    if (!info) {
      break;
    }
    if (info->rolled) {
      out.roll_ends.push_back(end_before);
    }
    out.batches.push_back(std::move(batch));
  }
  EXPECT_EQ(out.roll_ends.size(), rolls);
  return out;
}

Offset checkpointed_recovery_point(const TempDir& tmp) {
  auto rows = detail::read_checkpoint(tmp.partition() / "recovery-point-offset-checkpoint", 1);
  if (!rows || rows->empty()) {
    return Offset(-1);
  }
  return Offset((*rows)[0][0]);
}

TEST(LogBackgroundSync, RollDoesNotWaitForTheSealAndTheRecoveryPointWaitsForIt) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  PauseBackground pause;
  // With the sync thread held, a synchronous roll could not have synced anything: the appends
  // returning (rolls included) shows they do not wait for it.
  auto appended = append_until_rolls(*log, 2);
  ASSERT_EQ(appended.roll_ends.size(), 2u);
  EXPECT_EQ(log->pending_seals(), 2u);
  EXPECT_EQ(log->recovery_point(), Offset(0));  // nothing claimed durable yet
  EXPECT_EQ(read_all(*log, Offset(0)), appended.batches);
  pause.resume();
  // The next append reaps both finished seals.
  auto more = make_batch(1, 5000, "after", 16);
  ASSERT_TRUE(log->append(more, LeaderEpoch(0)).has_value());
  EXPECT_EQ(log->pending_seals(), 0u);
  EXPECT_EQ(log->recovery_point(), appended.roll_ends.back());
  EXPECT_EQ(checkpointed_recovery_point(tmp), appended.roll_ends.back());
}

TEST(LogBackgroundSync, CrashBeforeTheSealRecoversFromTheOldRecoveryPoint) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  Appended appended;
  {
    PauseBackground pause;
    appended = append_until_rolls(*log, 2);
    log->simulate_crash_for_test();
  }
  EXPECT_NE(checkpointed_recovery_point(tmp), appended.roll_ends.back());
  log = open_log(tmp.partition(), small_config(), clock);
  EXPECT_FALSE(log->open_stats().clean_shutdown);
  // Every segment is validated again: none was claimed durable before its sync finished.
  EXPECT_EQ(log->open_stats().segments_recovered, log->segment_count());
  EXPECT_EQ(log->open_stats().bytes_dropped, 0u);
  EXPECT_EQ(read_all(*log, Offset(0)), appended.batches);
}

TEST(LogBackgroundSync, TruncationForgetsSealsBeyondTheNewEnd) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  PauseBackground pause;
  auto appended = append_until_rolls(*log, 3);
  ASSERT_EQ(appended.roll_ends.size(), 3u);
  ASSERT_EQ(log->pending_seals(), 3u);
  // Cut inside the second sealed segment: its seal and the third no longer describe the log.
  Offset cut = appended.roll_ends[1] - 1;
  ASSERT_GT(cut, appended.roll_ends[0]);
  ASSERT_TRUE(log->truncate_to(cut).has_value());
  EXPECT_EQ(log->pending_seals(), 1u);
  pause.resume();
  ASSERT_TRUE(log->roll_if_due().has_value());  // reaps
  EXPECT_EQ(log->pending_seals(), 0u);
  EXPECT_EQ(log->recovery_point(), appended.roll_ends[0]);
  EXPECT_LE(log->recovery_point(), log->log_end_offset());
}

TEST(LogBackgroundSync, FlushSyncsPendingSegmentsItself) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), small_config(), clock);
  PauseBackground pause;
  auto appended = append_until_rolls(*log, 1);
  ASSERT_EQ(log->pending_seals(), 1u);
  auto flushed = log->flush();
  ASSERT_TRUE(flushed.has_value());
  EXPECT_EQ(*flushed, log->log_end_offset());
  EXPECT_EQ(log->recovery_point(), log->log_end_offset());
  pause.resume();
  ASSERT_TRUE(log->flush_if_due().has_value());  // reaps; must not move the point back
  EXPECT_EQ(log->pending_seals(), 0u);
  EXPECT_EQ(log->recovery_point(), log->log_end_offset());
  ASSERT_TRUE(log->close().has_value());
  log = open_log(tmp.partition(), small_config(), clock);
  EXPECT_EQ(read_all(*log, Offset(0)), appended.batches);
}

// Bytes appended since the last writeback, in whole writeback_bytes steps, go to the thread.
TEST(LogBackgroundSync, AppendsStartWritebackEveryWritebackBytes) {
  TempDir tmp;
  FakeClock clock;
  auto& sync = BackgroundSync::instance();
  for (int64_t step : {int64_t{0}, int64_t{8192}}) {
    LogConfig config;
    config.writeback_bytes = step;
    auto log = open_log(tmp.path() / ("wb-" + std::to_string(step)), config, clock);
    sync.drain();
    uint64_t before = sync.writebacks_done() + sync.writebacks_dropped();
    uint64_t bytes = 0;
    for (int i = 0; i < 64; ++i) {
      auto batch = make_batch(1, 1000 + i, testing::tag_of("w", i), 1000);
      auto info = log->append(batch, LeaderEpoch(0));
      ASSERT_TRUE(info.has_value());
      bytes += info->bytes;
    }
    sync.drain();
    uint64_t started = sync.writebacks_done() + sync.writebacks_dropped() - before;
    if (step == 0) {
      EXPECT_EQ(started, 0u);
    } else {
      // One per full step; each call covers at least `step` bytes, so never more than that.
      EXPECT_GE(started, bytes / static_cast<uint64_t>(step) / 2);
      EXPECT_LE(started, bytes / static_cast<uint64_t>(step));
    }
  }
}

TEST(LogBackgroundSync, SealSkipsVanishedIndexesAndReportsErrors) {
  TempDir tmp;
  auto& sync = BackgroundSync::instance();
  auto file = detail::File::open(tmp.path() / "a.log", detail::File::Mode::kCreateTruncate);
  ASSERT_TRUE(file.has_value());
  std::vector<uint8_t> bytes(4096, 7);
  ASSERT_TRUE((*file)->pwrite(bytes, 0).has_value());
  // An index deleted meanwhile (retention, truncation) is not an error.
  auto ok = sync.seal({*file, {tmp.path() / "gone.index"}, tmp.path()});
  // A directory that cannot be synced is.
  auto bad = sync.seal({*file, {}, tmp.path() / "no-such-dir"});
  sync.drain();
  ASSERT_TRUE(ok->done.load());
  EXPECT_FALSE(ok->error) << ok->error.message();
  ASSERT_TRUE(bad->done.load());
  EXPECT_TRUE(bad->error);
}

}  // namespace
}  // namespace meridian::log
