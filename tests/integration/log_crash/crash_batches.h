#pragma once
// The batches of the crash test, shared by the child (which appends them) and the test (which
// checks what survived): batch number n always has kRecordsPerBatch records, so its base offset
// is n * kRecordsPerBatch, and its bytes are a pure function of n.

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/log/log_types.h"
#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"

namespace meridian::log::crash {

inline constexpr int kRecordsPerBatch = 4;
inline constexpr LeaderEpoch kEpoch{3};

inline LogConfig crash_config() {
  LogConfig c;
  c.segment_bytes = 48 * 1024;
  c.index_interval_bytes = 1024;
  return c;
}

// Batch `n` as the leader would store it (base offset and epoch assigned).
inline std::vector<uint8_t> crash_batch(int64_t n) {
  record::RecordBatchBuilder builder;
  uint64_t x = static_cast<uint64_t>(n) * 0x9E3779B97F4A7C15ull + 1;
  for (int r = 0; r < kRecordsPerBatch; ++r) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::string value = "batch-";
    value += std::to_string(n);
    value += "-record-";
    value += std::to_string(r);
    value.append(x % 700, static_cast<char>('a' + (x % 26)));
    builder.append(1'600'000'000'000 + n * 10 + r, std::nullopt, value);
  }
  auto bytes = builder.build();
  if (!bytes) {
    return {};
  }
  record::set_base_offset(*bytes, Offset(n * kRecordsPerBatch));
  record::set_leader_epoch(*bytes, kEpoch);
  return std::move(*bytes);
}

}  // namespace meridian::log::crash
