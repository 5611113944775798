#pragma once
// Helpers shared by the partition log tests: temp dirs, a fake clock, batch builders.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cluster/log/partition_log.h"
#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"

namespace meridian::log::testing {

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("meridian-log-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path partition() const { return path_ / "orders-0"; }

 private:
  std::filesystem::path path_;
};

// A clock the test moves by hand.
struct FakeClock {
  std::shared_ptr<int64_t> now = std::make_shared<int64_t>(1'700'000'000'000);
  Clock clock() const {
    auto p = now;
    return [p] { return *p; };
  }
  void advance(int64_t ms) { *now += ms; }
};

// "<prefix><n>" without operator+ (g++ 12 raises a false -Wrestrict on it).
inline std::string tag_of(const char* prefix, int n) {
  std::string s = prefix;
  s += std::to_string(n);
  return s;
}

// One batch of `records` records; values are "<tag>-<i>" padded to `value_bytes`.
inline std::vector<uint8_t> make_batch(int records, int64_t timestamp, const std::string& tag,
                                       size_t value_bytes = 16,
                                       record::Compression codec = record::Compression::kNone,
                                       Offset base = Offset(0),
                                       LeaderEpoch epoch = LeaderEpoch(-1)) {
  record::BatchOptions opts;
  opts.compression = codec;
  opts.base_offset = base;
  opts.leader_epoch = epoch;
  record::RecordBatchBuilder builder(opts);
  for (int i = 0; i < records; ++i) {
    std::string value = tag;
    value += '-';
    value += std::to_string(i);
    if (value.size() < value_bytes) {
      value.resize(value_bytes, 'x');
    }
    std::string key = "k";
    key += std::to_string(i);
    builder.append(timestamp + i, key, value);
  }
  auto built = builder.build();
  EXPECT_TRUE(built.has_value());
  return built ? std::move(*built) : std::vector<uint8_t>();
}

// All batches of the log from `from`, as parsed byte vectors.
inline std::vector<std::vector<uint8_t>> read_all(const PartitionLog& log, Offset from) {
  std::vector<std::vector<uint8_t>> out;
  while (from < log.log_end_offset()) {
    auto rr = log.read(from, 1 << 20, Offset(INT64_MAX));
    EXPECT_TRUE(rr.has_value()) << rr.error().message();
    if (!rr || rr->slices.empty()) {
      break;
    }
    auto bytes = rr->to_bytes();
    EXPECT_TRUE(bytes.has_value());
    std::span<const uint8_t> rest(*bytes);
    while (!rest.empty()) {
      auto view = record::BatchView::parse(rest);
      EXPECT_TRUE(view.has_value());
      if (!view) {
        return out;
      }
      out.emplace_back(view->bytes().begin(), view->bytes().end());
      rest = rest.subspan(view->size_bytes());
    }
    from = rr->next_offset;
  }
  return out;
}

// A small-segment config (4 KiB segments, an index entry every 256 bytes) for roll tests.
inline LogConfig small_config() {
  LogConfig c;
  c.segment_bytes = 4096;
  c.index_interval_bytes = 256;
  return c;
}

// Opens (or reopens) the log at `dir` on the fake clock; a failure fails the test and gives null.
inline std::unique_ptr<PartitionLog> open_log(const std::filesystem::path& dir, LogConfig config,
                                              const FakeClock& clock) {
  auto log = PartitionLog::open(dir, config, clock.clock());
  EXPECT_TRUE(log.has_value()) << log.error().message();
  return log ? std::move(*log) : nullptr;
}

inline Offset base_of(const std::vector<uint8_t>& batch) {
  return record::BatchView::parse(batch)->base_offset();
}

}  // namespace meridian::log::testing
