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
  // A record larger than format::kMaxBatchSize is dropped and makes build() fail: sizes come
  // from clients, so they are errors, not invariants.
  void append(int64_t timestamp_ms, std::optional<std::string_view> key,
              std::optional<std::string_view> value, std::span<const Header> headers = {});

  // Reserves room for `bytes` of encoded records, to avoid regrowing while appending.
  void reserve(size_t bytes) { records_.reserve(format::kHeaderSize + bytes); }

  size_t record_count() const noexcept { return count_; }
  // Uncompressed size of the batch so far (header + encoded records).
  size_t size_bytes() const noexcept;
  bool empty() const noexcept { return count_ == 0; }

  // Encodes the batch (compressing the records if asked) with a valid CRC.
  // Errors: compression_failed; bad_length when the batch exceeds format::kMaxBatchSize.
  // An empty builder yields a batch with zero records (lastOffsetDelta -1).
  Result<std::vector<uint8_t>> build() const&;
  // Same, but consumes the builder: an uncompressed batch is returned without copying
  // (std::move(builder).build()). The builder is left empty and must not be reused.
  Result<std::vector<uint8_t>> build() &&;

 private:
  Result<std::vector<uint8_t>> build_compressed() const;
  // Fills the header of `batch` (header + payload) and its CRC; payload already in place.
  void finish(std::vector<uint8_t>& batch) const;

  BatchOptions options_;
  // The batch being built: kHeaderSize bytes for the header (written by build), then the
  // uncompressed records — so an uncompressed build is one copy, or none.
  std::vector<uint8_t> records_;
  size_t count_ = 0;
  bool oversized_ = false;
  int64_t base_timestamp_ = -1;
  int64_t max_timestamp_ = -1;
};

// Zero-copy views of one record, valid while the payload given to RecordReader lives.
struct HeaderView {
  std::string_view key;
  std::optional<std::string_view> value;
};
struct RecordView {
  Offset offset;
  int64_t timestamp = 0;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::vector<HeaderView> headers;  // reused across next() calls: no allocation once warm
};

// Walks the records of one batch without copying keys, values or headers. `payload` is the
// batch's uncompressed records (records_payload() for Compression::kNone, else the output of
// decompress()); it and the batch's bytes must outlive the reader and every view it yields.
// Does not check the CRC.
class RecordReader {
 public:
  RecordReader(const BatchView& batch, std::span<const uint8_t> payload) noexcept;

  // Fills `out` with the next record and returns true, or returns false after the last one.
  // Lengths below -1 read as null, as Kafka's Java client does (a null header key is an error).
  // Errors: bad_varint, bad_record (also when bytes remain after recordsCount records, or the
  // payload ends before them). After an error the reader stays failed.
  Result<bool> next(RecordView& out) noexcept;

  int32_t records_count() const noexcept { return count_; }

 private:
  std::span<const uint8_t> rest_;
  int64_t base_offset_ = 0;
  int64_t base_timestamp_ = 0;
  int64_t log_append_time_ = 0;
  bool use_log_append_time_ = false;
  int32_t count_ = 0;
  int32_t read_ = 0;
  bool failed_ = false;
};

// Limit on the decompressed size of one batch's records (defends against zip bombs).
inline constexpr size_t kMaxDecompressedBatchBytes = 256u * 1024 * 1024;

// Decodes every record of a batch, decompressing if needed. Checks the CRC first.
// Errors: crc_mismatch, bad_varint, bad_record, unsupported_codec, decompression_failed.
Result<std::vector<Record>> decode_records(const BatchView& batch,
                                           size_t max_decompressed = kMaxDecompressedBatchBytes);

}  // namespace meridian::record
