#pragma once
// `meridian log generate <partition-dir>`: appends sample records to a partition log on disk,
// as a leader would (offsets and leader epoch assigned by the log). For trying `log dump`,
// crash recovery and retention without a running broker.

#include <cstdint>
#include <ostream>
#include <string>

namespace meridian::cli {

struct LogGenerateOptions {
  std::string dir;
  int64_t records = 1000;
  int32_t batch_records = 100;
  std::string compression = "none";  // none, gzip, snappy, lz4, zstd
  int32_t value_bytes = 100;
  int32_t leader_epoch = 0;
  int64_t segment_bytes = 1024 * 1024;
};

// Returns the exit code: 0, 1 on an I/O or log error, 2 on bad options (message on `err`).
int run_log_generate(const LogGenerateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace meridian::cli
