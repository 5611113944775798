#pragma once
// BatchView: a non-owning, zero-copy view of one RecordBatch v2 (see format.h). Reading the
// header never allocates; the log and the network path use this and never decode records.
// The viewed bytes must outlive the view.

#include <cstdint>
#include <span>

#include "cluster/record/errc.h"
#include "cluster/record/format.h"
#include "common/byte_order.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::record {

enum class Compression : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

const char* compression_name(Compression c) noexcept;

enum class TimestampType : uint8_t { kCreateTime = 0, kLogAppendTime = 1 };

class BatchView {
 public:
  // Checks that `bytes` starts with a complete v2 batch: header present, magic 2, batchLength in
  // range and not beyond `bytes`. The view covers exactly that batch (bytes may hold more).
  // Does not check the CRC: call crc_valid(). Errors: truncated, bad_magic, bad_length.
  static Result<BatchView> parse(std::span<const uint8_t> bytes) noexcept;

  // Total size of the batch in bytes (batchLength + 12).
  size_t size_bytes() const noexcept { return bytes_.size(); }
  std::span<const uint8_t> bytes() const noexcept { return bytes_; }

  Offset base_offset() const noexcept { return Offset(get<int64_t>(format::kBaseOffsetPos)); }
  Offset last_offset() const noexcept { return base_offset() + last_offset_delta(); }
  // Offset after this batch: the next batch's base offset.
  Offset next_offset() const noexcept { return last_offset() + 1; }
  int32_t batch_length() const noexcept { return get<int32_t>(format::kBatchLengthPos); }
  LeaderEpoch leader_epoch() const noexcept {
    return LeaderEpoch(get<int32_t>(format::kLeaderEpochPos));
  }
  int8_t magic() const noexcept { return static_cast<int8_t>(bytes_[format::kMagicPos]); }
  uint32_t crc() const noexcept { return get<uint32_t>(format::kCrcPos); }
  uint16_t attributes() const noexcept { return get<uint16_t>(format::kAttributesPos); }
  Compression compression() const noexcept {
    return static_cast<Compression>(attributes() & format::kCompressionMask);
  }
  TimestampType timestamp_type() const noexcept {
    return (attributes() & format::kTimestampTypeBit) ? TimestampType::kLogAppendTime
                                                      : TimestampType::kCreateTime;
  }
  bool is_transactional() const noexcept { return attributes() & format::kTransactionalBit; }
  bool is_control() const noexcept { return attributes() & format::kControlBit; }
  int32_t last_offset_delta() const noexcept { return get<int32_t>(format::kLastOffsetDeltaPos); }
  int64_t base_timestamp() const noexcept { return get<int64_t>(format::kBaseTimestampPos); }
  int64_t max_timestamp() const noexcept { return get<int64_t>(format::kMaxTimestampPos); }
  int64_t producer_id() const noexcept { return get<int64_t>(format::kProducerIdPos); }
  int16_t producer_epoch() const noexcept { return get<int16_t>(format::kProducerEpochPos); }
  int32_t base_sequence() const noexcept { return get<int32_t>(format::kBaseSequencePos); }
  int32_t records_count() const noexcept { return get<int32_t>(format::kRecordsCountPos); }

  // CRC32C over [attributes, end) equals the stored crc.
  bool crc_valid() const noexcept;
  uint32_t compute_crc() const noexcept;
  // The bytes after the header: the (possibly compressed) records.
  std::span<const uint8_t> records_payload() const noexcept {
    return bytes_.subspan(format::kHeaderSize);
  }

 private:
  explicit BatchView(std::span<const uint8_t> bytes) noexcept : bytes_(bytes) {}
  template <class T>
  T get(size_t pos) const noexcept {
    return load_be<T>(bytes_.data() + pos);
  }
  std::span<const uint8_t> bytes_;
};

// Writes into the header of a batch the fields a leader assigns. Neither is under the CRC, so
// the records stay untouched. `batch` must hold at least a header (checked by the caller).
inline void set_base_offset(std::span<uint8_t> batch, Offset base) noexcept {
  store_be<int64_t>(batch.data() + format::kBaseOffsetPos, base.value);
}
inline void set_leader_epoch(std::span<uint8_t> batch, LeaderEpoch epoch) noexcept {
  store_be<int32_t>(batch.data() + format::kLeaderEpochPos, epoch.value);
}
// Sets LogAppendTime (attribute bit and maxTimestamp) and recomputes the CRC.
void set_log_append_time(std::span<uint8_t> batch, int64_t timestamp_ms) noexcept;

}  // namespace meridian::record
