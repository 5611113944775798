#pragma once
// Records inside a RecordBatch v2: building batches (producers, tests, tools) and decoding them
// (the dump tool, consumers, the gateway). The log and replication never decode records; they
// move whole batches (batch_view.h).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/record/batch_view.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::record {

struct Header {
  std::string key;
  std::optional<std::string> value;  // Kafka distinguishes a null header value from ""
  bool operator==(const Header&) const = default;
};

// One decoded record with its absolute offset and timestamp.
struct Record {
  Offset offset;
  int64_t timestamp = 0;  // ms since epoch (CreateTime, or the batch's LogAppendTime)
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<Header> headers;
  bool operator==(const Record&) const = default;
};

struct BatchOptions {
  Compression compression = Compression::kNone;
  Offset base_offset{0};
  LeaderEpoch leader_epoch{format::kNoPartitionLeaderEpoch};
  int64_t producer_id = format::kNoProducerId;
  int16_t producer_epoch = format::kNoProducerEpoch;
  int32_t base_sequence = format::kNoSequence;
  bool transactional = false;
  bool control = false;
  TimestampType timestamp_type = TimestampType::kCreateTime;
};

// Builds one RecordBatch v2. Not thread-safe; one builder per batch.
class RecordBatchBuilder {
 public:
  explicit RecordBatchBuilder(BatchOptions options = {});

  // Appends a record; its offset delta is the number of records appended before it.
  void append(int64_t timestamp_ms, std::optional<std::string_view> key,
              std::optional<std::string_view> value, std::span<const Header> headers = {});

  size_t record_count() const noexcept { return count_; }
  // Uncompressed size of the batch so far (header + encoded records).
  size_t size_bytes() const noexcept;
  bool empty() const noexcept { return count_ == 0; }

  // Encodes the batch (compressing the records if asked) with a valid CRC.
  // Errors: compression_failed. An empty builder yields a batch with zero records.
  Result<std::vector<uint8_t>> build() const;

 private:
  BatchOptions options_;
  std::vector<uint8_t> records_;  // encoded records, uncompressed
  size_t count_ = 0;
  int64_t base_timestamp_ = -1;
  int64_t max_timestamp_ = -1;
};

// Limit on the decompressed size of one batch's records (defends against zip bombs).
inline constexpr size_t kMaxDecompressedBatchBytes = 256u * 1024 * 1024;

// Decodes every record of a batch, decompressing if needed. Checks the CRC first.
// Errors: crc_mismatch, bad_varint, bad_record, unsupported_codec, decompression_failed.
Result<std::vector<Record>> decode_records(const BatchView& batch,
                                           size_t max_decompressed = kMaxDecompressedBatchBytes);

}  // namespace meridian::record
