#include "cli/log_generate.h"

#include <chrono>
#include <optional>
#include <vector>

#include "cluster/log/partition_log.h"
#include "cluster/record/record.h"

namespace meridian::cli {
namespace {

std::optional<record::Compression> parse_codec(const std::string& name) {
  for (auto c : {record::Compression::kNone, record::Compression::kGzip,
                 record::Compression::kSnappy, record::Compression::kLz4,
                 record::Compression::kZstd}) {
    if (name == record::compression_name(c)) {
      return c;
    }
  }
  return std::nullopt;
}

// Readable, deterministic sample values: "record-000042 " repeated to the requested size.
std::string sample_value(int64_t n, int32_t bytes) {
  std::string unit = "record-" + std::to_string(n) + " ";
  std::string value;
  while (static_cast<int32_t>(value.size()) < bytes) {
    value += unit;
  }
  value.resize(static_cast<size_t>(bytes));
  return value;
}

}  // namespace

int run_log_generate(const LogGenerateOptions& options, std::ostream& out, std::ostream& err) {
  auto codec = parse_codec(options.compression);
  if (!codec) {
    err << "meridian: unknown compression '" << options.compression
        << "' (expected none, gzip, snappy, lz4 or zstd)\n";
    return 2;
  }
  if (options.records < 0 || options.batch_records < 1 || options.value_bytes < 0) {
    err << "meridian: --records must be >= 0, --batch-records >= 1, --value-bytes >= 0\n";
    return 2;
  }
  log::LogConfig config;
  config.segment_bytes = options.segment_bytes;
  auto opened = log::PartitionLog::open(options.dir, config);
  if (!opened) {
    err << "meridian: " << options.dir << ": " << opened.error().message() << "\n";
    return 1;
  }
  auto& plog = *opened.value();
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  int64_t written = 0;
  while (written < options.records) {
    record::BatchOptions batch_options;
    batch_options.compression = *codec;
    record::RecordBatchBuilder builder(batch_options);
    for (int32_t i = 0; i < options.batch_records && written < options.records; ++i, ++written) {
      std::string key = "key-" + std::to_string(written % 16);
      std::vector<record::Header> headers{{"source", std::string("meridian-log-generate")}};
      builder.append(now_ms + written, key, sample_value(written, options.value_bytes), headers);
    }
    auto batch = builder.build();
    if (!batch) {
      err << "meridian: encoding a batch failed: " << batch.error().message() << "\n";
      return 1;
    }
    auto appended = plog.append(*batch, LeaderEpoch(options.leader_epoch));
    if (!appended) {
      err << "meridian: " << options.dir << ": append failed: " << appended.error().message()
          << "\n";
      return 1;
    }
  }
  if (auto closed = plog.close(); !closed) {
    err << "meridian: " << options.dir << ": close failed: " << closed.error().message() << "\n";
    return 1;
  }
  out << "wrote " << written << " records to " << options.dir << " (log end offset "
      << plog.log_end_offset().value << ", " << plog.segment_count() << " segment(s))\n";
  return 0;
}

}  // namespace meridian::cli
