#pragma once
// Every constant of the Kafka RecordBatch v2 layout (KIP-98), as stored on disk and on the wire.
//
//   offset  size  field
//   0       8     baseOffset
//   8       4     batchLength            bytes after this field: total size - 12
//   12      4     partitionLeaderEpoch   not covered by the CRC (assigned by the leader)
//   16      1     magic                  = 2
//   17      4     crc                    CRC32C of bytes [21, end)
//   21      2     attributes             bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control
//   23      4     lastOffsetDelta
//   27      8     baseTimestamp
//   35      8     maxTimestamp
//   43      8     producerId
//   51      2     producerEpoch
//   53      4     baseSequence
//   57      4     recordsCount
//   61      ...   records (compressed as a whole when codec != none)
//
// baseOffset and partitionLeaderEpoch sit outside the CRC, so a leader assigns them to a batch
// without touching its records or recomputing the checksum.

#include <cstddef>
#include <cstdint>

namespace meridian::record::format {

inline constexpr size_t kBaseOffsetPos = 0;
inline constexpr size_t kBatchLengthPos = 8;
inline constexpr size_t kLeaderEpochPos = 12;
inline constexpr size_t kMagicPos = 16;
inline constexpr size_t kCrcPos = 17;
inline constexpr size_t kAttributesPos = 21;
inline constexpr size_t kLastOffsetDeltaPos = 23;
inline constexpr size_t kBaseTimestampPos = 27;
inline constexpr size_t kMaxTimestampPos = 35;
inline constexpr size_t kProducerIdPos = 43;
inline constexpr size_t kProducerEpochPos = 51;
inline constexpr size_t kBaseSequencePos = 53;
inline constexpr size_t kRecordsCountPos = 57;
inline constexpr size_t kHeaderSize = 61;

// Bytes before batchLength's payload starts: baseOffset + batchLength.
inline constexpr size_t kLogOverhead = 12;
// The CRC covers [kAttributesPos, end).
inline constexpr size_t kCrcCoveredFrom = kAttributesPos;

inline constexpr int8_t kMagicV2 = 2;

inline constexpr uint16_t kCompressionMask = 0x07;
inline constexpr uint16_t kTimestampTypeBit = 0x08;  // 0 = CreateTime, 1 = LogAppendTime
inline constexpr uint16_t kTransactionalBit = 0x10;
inline constexpr uint16_t kControlBit = 0x20;
inline constexpr uint16_t kDeleteHorizonBit = 0x40;

// A sanity bound on one batch; the broker's own limits (message.max.bytes) are lower.
inline constexpr int32_t kMaxBatchSize = 64 * 1024 * 1024;

inline constexpr int64_t kNoProducerId = -1;
inline constexpr int16_t kNoProducerEpoch = -1;
inline constexpr int32_t kNoSequence = -1;
inline constexpr int32_t kNoPartitionLeaderEpoch = -1;

}  // namespace meridian::record::format
