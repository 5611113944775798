// The crash test with real processes: a child appends and flushes in a loop and is
// SIGKILLed at random moments; each time, the reopened log must be a valid prefix of the batches
// the child wrote and hold every batch flushed before the kill, byte for byte.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "cluster/log/partition_log.h"
#include "common/log.h"
#include "crash_batches.h"

namespace meridian::log {
namespace {
namespace fs = std::filesystem;

pid_t spawn_child(const fs::path& dir, const fs::path& side, int flush_every) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::string k = std::to_string(flush_every);
    ::execl(LOG_CRASH_CHILD, LOG_CRASH_CHILD, dir.c_str(), side.c_str(), k.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// The last complete line of the side file: the highest offset the child saw flushed.
int64_t last_flushed(const fs::path& side) {
  std::ifstream in(side);
  std::string line;
  int64_t last = 0;
  while (std::getline(in, line)) {
    if (!in.eof()) {  // a line without its '\n' was cut by the kill
      last = std::stoll(line);
    }
  }
  return last;
}

TEST(LogCrash, SigkilledWriterLeavesAValidPrefixWithEveryFlushedBatch) {
  set_log_level("warn");
  const uint32_t seed = static_cast<uint32_t>(std::random_device{}());
  std::printf("log crash test seed: %u\n", seed);
  std::mt19937 rng(seed);
  const int rounds = std::getenv("MERIDIAN_LONG_TESTS") ? 400 : 60;
  fs::path root = fs::temp_directory_path() / ("meridian-log-crash-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::path dir = root / "crash-0";
  fs::path side = root / "flushed";
  fs::create_directories(root);
  int64_t previous_end = 0;
  uint64_t total_dropped = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
    int flush_every = 1 + static_cast<int>(rng() % 32);
    pid_t pid = spawn_child(dir, side, flush_every);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 150));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own with status " << status;

    int64_t flushed = last_flushed(side);
    auto opened = PartitionLog::open(dir, crash::crash_config());
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    auto& plog = **opened;
    total_dropped += plog.open_stats().bytes_dropped;
    Offset end = plog.log_end_offset();
    ASSERT_GE(end.value, flushed) << "a flushed batch was lost";
    ASSERT_GE(end.value, previous_end) << "recovered data shrank";
    ASSERT_EQ(end.value % crash::kRecordsPerBatch, 0);
    // Every batch is exactly the one the child wrote, in order, from offset 0.
    Offset from(0);
    int64_t n = 0;
    while (from < end) {
      auto rr = plog.read(from, 1 << 20, Offset(INT64_MAX));
      ASSERT_TRUE(rr.has_value()) << rr.error().message();
      auto bytes = rr->to_bytes();
      ASSERT_TRUE(bytes.has_value());
      std::span<const uint8_t> rest(*bytes);
      while (!rest.empty()) {
        auto view = record::BatchView::parse(rest);
        ASSERT_TRUE(view.has_value());
        auto expected = crash::crash_batch(n);
        ASSERT_TRUE(std::equal(expected.begin(), expected.end(), view->bytes().begin(),
                               view->bytes().end()))
            << "batch " << n << " differs";
        ++n;
        rest = rest.subspan(view->size_bytes());
      }
      from = rr->next_offset;
    }
    ASSERT_EQ(n * crash::kRecordsPerBatch, end.value);
    previous_end = end.value;
    // Leave without a clean-shutdown marker so the next child recovers too.
    plog.simulate_crash_for_test();
  }
  std::printf("log crash test: %d rounds, final log end %lld, %llu torn byte(s) dropped\n", rounds,
              static_cast<long long>(previous_end), static_cast<unsigned long long>(total_dropped));
  EXPECT_GT(previous_end, 0);
  fs::remove_all(root);
}

}  // namespace
}  // namespace meridian::log
