// Storage benchmarks (issue 3): partition-log append and read, CRC32C and crash recovery, each
// next to the machine ceiling it is bounded by, measured in the same binary and run:
//   append (no flush)          vs  write()               same sizes
//   append (flush per batch)   vs  write() + fdatasync()
//   read from page cache       vs  memcpy
// bench/report.py turns the JSON output into the ratio table in bench/RESULTS.md.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bench/ceilings.h"
#include "cluster/log/partition_log.h"
#include "cluster/record/crc32c.h"
#include "cluster/record/record.h"
#include "common/log.h"

namespace {

namespace fs = std::filesystem;
using meridian::LeaderEpoch;
using meridian::Offset;
using meridian::log::LogConfig;
using meridian::log::PartitionLog;

constexpr size_t kRecordBytes = 1024;
// Segments roll and retention trims at the size the write() ceiling rewinds at, so both pay for
// the same amount of page cache.
constexpr int64_t kSegmentBytes = 512LL * 1024 * 1024;

// One uncompressed batch of 1 KiB records, as close to `target` bytes as whole records allow.
std::vector<uint8_t> make_batch(size_t target) {
  meridian::record::RecordBatchBuilder builder;
  std::string value(kRecordBytes, 'v');
  while (builder.size_bytes() + kRecordBytes + 16 <= target || builder.empty()) {
    builder.append(1'700'000'000'000, std::nullopt, value);
  }
  return builder.build().value();
}

std::unique_ptr<PartitionLog> open_log(const std::string& name, LogConfig config) {
  auto dir = fs::path(meridian::bench::scratch_dir()) / name;
  fs::remove_all(dir);
  return PartitionLog::open(dir, config).value();
}

LogConfig bench_config() {
  LogConfig c;
  c.segment_bytes = kSegmentBytes;
  c.retention_bytes = kSegmentBytes;
  c.retention_ms = -1;
  return c;
}

void BM_LogAppend(benchmark::State& state) {
  auto batch = make_batch(static_cast<size_t>(state.range(0)));
  bool flush_each = state.range(1) != 0;
  auto log = open_log("append", bench_config());
  int64_t since_retention = 0;
  for (auto _ : state) {
    auto info = log->append(batch, LeaderEpoch(1));
    if (!info) {
      state.SkipWithError(info.error().message().c_str());
      break;
    }
    if (flush_each && !log->flush()) {
      state.SkipWithError("flush failed");
      break;
    }
    since_retention += static_cast<int64_t>(batch.size());
    if (since_retention >= kSegmentBytes) {
      state.PauseTiming();
      (void)log->enforce_retention();
      since_retention = 0;
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  state.counters["records_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) *
          meridian::record::BatchView::parse(batch).value().records_count(),
      benchmark::Counter::kIsRate);
  (void)log->close();
}

// Sequential reads of whole batches through read_into (pread) from a log that sits in the page
// cache, wrapping around at the end.
void BM_LogRead(benchmark::State& state) {
  size_t chunk = static_cast<size_t>(state.range(0));
  auto batch = make_batch(16 * 1024);
  auto log = open_log("read", bench_config());
  constexpr size_t kLogBytes = 256u * 1024 * 1024;
  for (size_t written = 0; written < kLogBytes; written += batch.size()) {
    (void)log->append(batch, LeaderEpoch(1));
  }
  std::vector<uint8_t> out(chunk);
  Offset next = log->log_start_offset();
  Offset end = log->log_end_offset();
  int64_t bytes = 0;
  for (auto _ : state) {
    auto n = log->read_into(next, out, end);
    if (!n) {
      state.SkipWithError(n.error().message().c_str());
      break;
    }
    bytes += static_cast<int64_t>(*n);
    // Advance by the batches read: the last one's next offset is in its header.
    size_t pos = 0;
    while (pos < *n) {
      auto view = meridian::record::BatchView::parse(std::span<const uint8_t>(out).subspan(pos));
      next = view->next_offset();
      pos += view->size_bytes();
    }
    if (next >= end) {
      next = log->log_start_offset();
    }
  }
  state.SetBytesProcessed(bytes);
}

void BM_Crc32c(benchmark::State& state) {
  std::vector<uint8_t> buf(static_cast<size_t>(state.range(0)), 0x5a);
  bool hardware = state.range(1) != 0;
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = hardware ? meridian::record::crc32c_extend(crc, buf.data(), buf.size())
                   : meridian::record::crc32c_extend_portable(crc, buf.data(), buf.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
  state.SetLabel(hardware ? (meridian::record::crc32c_hardware_accelerated() ? "sse4.2" : "table")
                          : "table");
}

// Crash recovery: a 256 MiB log left without a clean-shutdown marker or recovery point is
// reopened, which validates every batch. bytes_per_second gives the recovery rate; report.py
// prints it as seconds per GiB.
void BM_Recovery(benchmark::State& state) {
  auto batch = make_batch(16 * 1024);
  auto dir = fs::path(meridian::bench::scratch_dir()) / "recovery";
  constexpr size_t kLogBytes = 256u * 1024 * 1024;
  int64_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dir);
    {
      auto log = PartitionLog::open(dir, bench_config()).value();
      for (size_t written = 0; written < kLogBytes; written += batch.size()) {
        (void)log->append(batch, LeaderEpoch(1));
      }
      log->simulate_crash_for_test();
    }
    state.ResumeTiming();
    auto reopened = PartitionLog::open(dir, bench_config());
    if (!reopened || (*reopened)->open_stats().clean_shutdown) {
      state.SkipWithError("recovery did not run");
      break;
    }
    bytes += static_cast<int64_t>((*reopened)->size_bytes());
  }
  state.SetBytesProcessed(bytes);
}

}  // namespace

BENCHMARK(BM_LogAppend)->Args({16 * 1024, 0})->Args({1024 * 1024, 0})
    ->Args({16 * 1024, 1})->Args({1024 * 1024, 1})->ArgNames({"batch_bytes", "flush"})
    ->UseRealTime();
BENCHMARK(BM_LogRead)->Arg(16 * 1024)->Arg(1024 * 1024)->ArgNames({"read_bytes"})->UseRealTime();
BENCHMARK(BM_Crc32c)->Args({1024 * 1024, 1})->Args({1024 * 1024, 0})->ArgNames({"bytes", "hw"})
    ->UseRealTime();
BENCHMARK(BM_Recovery)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

int main(int argc, char** argv) {
  meridian::set_log_level("warn");  // segment rolls and opens are info lines
  meridian::bench::register_ceilings();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
