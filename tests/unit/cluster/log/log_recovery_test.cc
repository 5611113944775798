// Crash recovery, index rebuilding and directory hygiene of the partition log.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "cluster/log/detail/checkpoint.h"
#include "cluster/log/partition_log.h"
#include "log_test_util.h"

namespace meridian::log {
namespace {
namespace fs = std::filesystem;
using testing::FakeClock;
using testing::make_batch;
using testing::open_log;
using testing::read_all;
using testing::TempDir;
using Batches = std::vector<std::vector<uint8_t>>;

Batches fill(PartitionLog& log, int n, std::mt19937& rng) {
  Batches out;
  for (int i = 0; i < n; ++i) {
    auto codec = rng() % 4 == 0 ? record::Compression::kLz4 : record::Compression::kNone;
    auto b = make_batch(1 + static_cast<int>(rng() % 6), 1000 + 10 * i, testing::tag_of("r", i),
                        rng() % 400, codec);
    EXPECT_TRUE(log.append(b, LeaderEpoch(i / 20)).has_value());
    out.push_back(std::move(b));
  }
  return out;
}

std::string segment_name(int64_t base, const char* suffix) {
  std::string digits = std::to_string(base);
  return std::string(20 - digits.size(), '0') + digits + suffix;
}

void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Checks every offset and timestamp lookup against the expected batches.
void expect_lookups(const PartitionLog& log, const Batches& batches) {
  for (const auto& batch : batches) {
    auto view = record::BatchView::parse(batch);
    auto rr = log.read(view->last_offset(), 1, Offset(INT64_MAX));
    ASSERT_TRUE(rr.has_value());
    ASSERT_EQ(*rr->to_bytes(), batch) << view->last_offset().value;
    auto found = log.offset_for_timestamp(view->max_timestamp());
    ASSERT_TRUE(found.has_value() && found->has_value());
    EXPECT_LE((*found)->offset, view->last_offset());
  }
}

int iterations(int normal, int long_run) {
  return std::getenv("MERIDIAN_LONG_TESTS") ? long_run : normal;
}

TEST(LogRecovery, DeletedIndexesAreRebuilt) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config;
  config.segment_bytes = 8192;
  config.index_interval_bytes = 300;
  auto log = open_log(tmp.partition(), config, clock);
  std::mt19937 rng(11);
  auto batches = fill(*log, 120, rng);
  auto bases = log->segment_base_offsets();
  ASSERT_TRUE(log->close().has_value());
  log.reset();
  for (Offset b : bases) {
    fs::remove(tmp.partition() / segment_name(b.value, ".index"));
    fs::remove(tmp.partition() / segment_name(b.value, ".timeindex"));
  }
  log = open_log(tmp.partition(), config, clock);
  EXPECT_EQ(log->open_stats().indexes_rebuilt, bases.size());
  EXPECT_EQ(read_all(*log, Offset(0)), batches);
  expect_lookups(*log, batches);
  for (Offset b : bases) {
    EXPECT_TRUE(fs::exists(tmp.partition() / segment_name(b.value, ".index")));
  }
}

TEST(LogRecovery, CorruptOrTruncatedIndexesAreRebuiltOrCompleted) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config;
  config.segment_bytes = 1 << 20;
  config.index_interval_bytes = 200;
  auto log = open_log(tmp.partition(), config, clock);
  std::mt19937 rng(12);
  auto batches = fill(*log, 150, rng);
  ASSERT_TRUE(log->close().has_value());
  log.reset();
  fs::path index = tmp.partition() / segment_name(0, ".index");
  fs::path timeindex = tmp.partition() / segment_name(0, ".timeindex");
  auto original = read_bytes(index);
  ASSERT_GT(original.size(), 64u);
  auto original_time = read_bytes(timeindex);

  struct Case {
    const char* name;
    std::vector<uint8_t> index;
    bool rebuilt;
  };
  std::vector<Case> cases;
  cases.push_back({"odd size", std::vector<uint8_t>(original.begin(), original.end() - 3), true});
  auto swapped = original;
  std::swap_ranges(swapped.begin(), swapped.begin() + 8, swapped.begin() + 8);
  cases.push_back({"not monotonic", swapped, true});
  auto beyond = original;
  beyond[beyond.size() - 4] = 0x7f;  // last position far past the file end
  cases.push_back({"beyond file", beyond, true});
  auto shifted = original;
  shifted[shifted.size() - 1] += 1;  // last entry points inside a batch
  cases.push_back({"misaligned", shifted, true});
  cases.push_back(
      {"truncated", std::vector<uint8_t>(original.begin(), original.begin() + 32), false});
  cases.push_back({"empty", {}, false});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    write_bytes(index, c.index);
    log = open_log(tmp.partition(), config, clock);
    EXPECT_EQ(log->open_stats().indexes_rebuilt, c.rebuilt ? 1u : 0u);
    EXPECT_EQ(read_all(*log, Offset(0)), batches);
    expect_lookups(*log, batches);
    ASSERT_TRUE(log->close().has_value());
    log.reset();
    EXPECT_EQ(read_bytes(index), original);  // written back complete
  }
  auto bad_time = original_time;
  bad_time.resize(bad_time.size() - 5);
  write_bytes(timeindex, bad_time);
  log = open_log(tmp.partition(), config, clock);
  EXPECT_EQ(log->open_stats().indexes_rebuilt, 1u);
  expect_lookups(*log, batches);
}

TEST(LogRecovery, ForeignFilesAreReportedNotDeleted) {
  TempDir tmp;
  FakeClock clock;
  {
    auto log = open_log(tmp.partition(), {}, clock);
    auto b = make_batch(2, 1000, "x");
    ASSERT_TRUE(log->append(b, LeaderEpoch(0)).has_value());
  }
  std::vector<std::string> foreign = {"notes.txt", "123.log", "0000000000000000000a.log",
                                      "00000000000000000000.log.bak"};
  for (const auto& name : foreign) {
    write_bytes(tmp.partition() / name, {1, 2, 3});
  }
  fs::create_directory(tmp.partition() / "stray-dir");
  write_bytes(tmp.partition() / segment_name(999, ".index"), {0, 0, 0, 1, 0, 0, 0, 1});
  auto log = open_log(tmp.partition(), {}, clock);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), Offset(2));
  const auto& warnings = log->open_stats().warnings;
  auto mentioned = [&](const std::string& name) {
    return std::any_of(warnings.begin(), warnings.end(),
                       [&](const std::string& w) { return w.find(name) != std::string::npos; });
  };
  for (const auto& name : foreign) {
    EXPECT_TRUE(mentioned(name)) << name;
    EXPECT_TRUE(fs::exists(tmp.partition() / name)) << name;
  }
  EXPECT_TRUE(mentioned("stray-dir"));
  EXPECT_TRUE(mentioned(segment_name(999, ".index")));
  EXPECT_FALSE(fs::exists(tmp.partition() / segment_name(999, ".index")));  // ours, orphaned
  EXPECT_TRUE(mentioned("not a segment file name"));
  EXPECT_EQ(log->segment_count(), 1u);
}

TEST(LogRecovery, CleanShutdownSkipsValidationUncleanDoesNot) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config;
  config.segment_bytes = 4096;
  std::mt19937 rng(13);
  auto log = open_log(tmp.partition(), config, clock);
  auto batches = fill(*log, 60, rng);
  ASSERT_TRUE(log->close().has_value());
  log = open_log(tmp.partition(), config, clock);
  EXPECT_EQ(log->open_stats().segments_recovered, 0u);
  log->simulate_crash_for_test();
  log = open_log(tmp.partition(), config, clock);
  EXPECT_FALSE(log->open_stats().clean_shutdown);
  EXPECT_EQ(log->open_stats().segments_recovered, 1u);  // from the recovery point on
  EXPECT_EQ(read_all(*log, Offset(0)), batches);
  // Without a recovery point checkpoint everything is validated.
  log->simulate_crash_for_test();
  fs::remove(tmp.partition() / "recovery-point-offset-checkpoint");
  log = open_log(tmp.partition(), config, clock);
  EXPECT_EQ(log->open_stats().segments_recovered, log->segment_count());
  EXPECT_EQ(read_all(*log, Offset(0)), batches);
}

TEST(LogRecovery, EpochsAreRecoveredFromBatches) {
  TempDir tmp;
  FakeClock clock;
  auto log = open_log(tmp.partition(), {}, clock);
  for (int epoch : {1, 1, 4, 7}) {
    auto b = make_batch(2, 1000, "e");
    ASSERT_TRUE(log->append(b, LeaderEpoch(epoch)).has_value());
  }
  auto expected = log->epoch_entries();
  ASSERT_EQ(expected.size(), 3u);
  log->simulate_crash_for_test();
  // A checkpoint written before the last epoch change (crash between data and checkpoint).
  ASSERT_TRUE(detail::write_checkpoint(tmp.partition() / "leader-epoch-checkpoint", {{1, 0}}));
  log = open_log(tmp.partition(), {}, clock);
  EXPECT_EQ(log->epoch_entries(), expected);
  ASSERT_TRUE(log->close().has_value());
  // A corrupt checkpoint is rebuilt from every segment.
  std::ofstream(tmp.partition() / "leader-epoch-checkpoint") << "garbage\n";
  log = open_log(tmp.partition(), {}, clock);
  EXPECT_EQ(log->epoch_entries(), expected);
}

// The corruption test: flip bytes / cut tails / add garbage at random places, reopen,
// and check the log is exactly the prefix before the damaged batch.
TEST(LogRecovery, RandomCorruptionTruncatesAtTheFirstBadByte) {
  const uint32_t seed = static_cast<uint32_t>(std::random_device{}());
  std::printf("LogRecovery corruption seed: %u\n", seed);
  const int n = iterations(120, 2000);
  for (int iter = 0; iter < n; ++iter) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " iteration " + std::to_string(iter));
    std::mt19937 rng(seed + static_cast<uint32_t>(iter));
    TempDir tmp;
    FakeClock clock;
    LogConfig config;
    config.index_interval_bytes = 256;
    auto log = open_log(tmp.partition(), config, clock);
    auto batches = fill(*log, 5 + static_cast<int>(rng() % 40), rng);
    log->simulate_crash_for_test();
    log.reset();
    std::vector<uint64_t> starts;
    uint64_t total = 0;
    for (const auto& b : batches) {
      starts.push_back(total);
      total += b.size();
    }
    fs::path file = tmp.partition() / segment_name(0, ".log");
    auto bytes = read_bytes(file);
    ASSERT_EQ(bytes.size(), total);
    size_t kept = 0;
    uint64_t dropped = 0;
    switch (rng() % 3) {
      case 0: {  // flip a bit covered by length/magic/CRC (base offset and epoch are not)
        uint64_t pos;
        size_t k;
        do {
          pos = rng() % total;
          k = static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), pos) -
                                  starts.begin()) -
              1;
        } while (pos - starts[k] < 8 || (pos - starts[k] >= 12 && pos - starts[k] < 16));
        bytes[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
        kept = k;
        dropped = total - starts[k];
        break;
      }
      case 1: {  // torn tail
        uint64_t cut = rng() % total;
        bytes.resize(cut);
        // Batches [0, kept) end at or before the cut; the cut one leaves cut - start bytes.
        kept = static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), cut) -
                                   starts.begin()) -
               1;
        dropped = cut - starts[kept];
        break;
      }
      default: {  // garbage (or zeros, like preallocated space) after the last batch
        size_t extra = 1 + rng() % 100;
        bool zeros = rng() % 2;
        for (size_t i = 0; i < extra; ++i) {
          bytes.push_back(zeros ? 0 : static_cast<uint8_t>(rng()));
        }
        kept = batches.size();
        dropped = extra;
      }
    }
    write_bytes(file, bytes);
    log = open_log(tmp.partition(), config, clock);
    ASSERT_TRUE(log);
    EXPECT_EQ(log->open_stats().bytes_dropped, dropped);
    auto recovered = read_all(*log, Offset(0));
    ASSERT_EQ(recovered, Batches(batches.begin(), batches.begin() + static_cast<long>(kept)));
    Offset end = kept == 0 ? Offset(0) : record::BatchView::parse(batches[kept - 1])->next_offset();
    EXPECT_EQ(log->log_end_offset(), end);
    EXPECT_LE(log->latest_epoch().value_or(LeaderEpoch(-1)).value,
              static_cast<int32_t>(kept == 0 ? -1 : (kept - 1) / 20));
    auto more = make_batch(2, 5000, "after");
    auto info = log->append(more, LeaderEpoch(100));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->first_offset, end);
  }
}

TEST(LogRecovery, CorruptionInAnEarlySegmentDropsTheLaterOnes) {
  TempDir tmp;
  FakeClock clock;
  LogConfig config;
  config.segment_bytes = 4096;
  std::mt19937 rng(14);
  auto log = open_log(tmp.partition(), config, clock);
  auto batches = fill(*log, 80, rng);
  auto bases = log->segment_base_offsets();
  ASSERT_GT(bases.size(), 3u);
  log->simulate_crash_for_test();
  log.reset();
  fs::remove(tmp.partition() / "recovery-point-offset-checkpoint");
  // Damage the last byte of the second segment's first batch.
  size_t first_of_second = 0;
  while (testing::base_of(batches[first_of_second]) < bases[1]) {
    ++first_of_second;
  }
  fs::path second = tmp.partition() / segment_name(bases[1].value, ".log");
  auto bytes = read_bytes(second);
  bytes[batches[first_of_second].size() - 1] ^= 0xff;
  write_bytes(second, bytes);
  log = open_log(tmp.partition(), config, clock);
  EXPECT_EQ(read_all(*log, Offset(0)),
            Batches(batches.begin(), batches.begin() + static_cast<long>(first_of_second)));
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_FALSE(fs::exists(tmp.partition() / segment_name(bases[2].value, ".log")));
  EXPECT_EQ(log->log_end_offset(), bases[1]);
  EXPECT_GT(log->open_stats().bytes_dropped, 0u);
}

}  // namespace
}  // namespace meridian::log
