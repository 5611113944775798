#pragma once
// Every on-disk constant of a partition directory (see docs/formats/segment.md).
//
//   <dir>/<topic>-<partition>/
//     00000000000000000000.log        RecordBatch v2 bytes, exactly as produced (cluster/record)
//     00000000000000000000.index      sparse offset index: {uint32 relative offset, uint32
//     position} 00000000000000000000.timeindex  sparse time index:   {int64 timestamp, uint32
//     relative offset} leader-epoch-checkpoint         text: version, count, then "epoch
//     start_offset" lines recovery-point-offset-checkpoint  text: version, 1, then the flushed
//     offset log-start-offset-checkpoint     text: version, 1, then the log start offset
//     clean-shutdown                  empty marker, present only between close() and open()
//
// A segment's name is its base offset, zero-padded to 20 digits, so names sort as offsets do.
// Index entries are big-endian and relative to the segment's base offset, as in Kafka.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace meridian::log::format {

inline constexpr size_t kOffsetDigits = 20;

inline constexpr std::string_view kLogSuffix = ".log";
inline constexpr std::string_view kIndexSuffix = ".index";
inline constexpr std::string_view kTimeIndexSuffix = ".timeindex";
// Checkpoints are written to "<name>.tmp", fsynced and renamed over the old file.
inline constexpr std::string_view kTmpSuffix = ".tmp";

inline constexpr std::string_view kLeaderEpochCheckpoint = "leader-epoch-checkpoint";
inline constexpr std::string_view kRecoveryPointCheckpoint = "recovery-point-offset-checkpoint";
inline constexpr std::string_view kLogStartOffsetCheckpoint = "log-start-offset-checkpoint";
inline constexpr std::string_view kCleanShutdownMarker = "clean-shutdown";
// Producer-state snapshots "<20-digit offset>.snapshot": opaque CRC'd blobs written by the layer
// above (docs/formats/producer_snapshot.md); the log lists, stores and deletes them.
inline constexpr std::string_view kSnapshotSuffix = ".snapshot";
// The compaction cleaner (log_cleaner.h) writes "<base>.log.cleaned" and renames it over the
// segment; a leftover .cleaned file is an interrupted clean and is deleted at open.
inline constexpr std::string_view kCleanedSuffix = ".cleaned";
// Text checkpoint: version, 1, then the first offset not yet cleaned (Kafka's
// cleaner-offset-checkpoint, per partition here).
inline constexpr std::string_view kCleanerCheckpoint = "cleaner-offset-checkpoint";

// Offset index entry: relative offset of a batch's base offset, then the batch's file position.
inline constexpr size_t kOffsetIndexEntrySize = 8;
inline constexpr size_t kOffsetIndexRelOffsetPos = 0;
inline constexpr size_t kOffsetIndexPositionPos = 4;

// Time index entry: the largest timestamp seen so far in the segment, then the relative base
// offset of the batch where it first appeared.
inline constexpr size_t kTimeIndexEntrySize = 12;
inline constexpr size_t kTimeIndexTimestampPos = 0;
inline constexpr size_t kTimeIndexRelOffsetPos = 8;

inline constexpr int kCheckpointVersion = 0;

// Positions and relative offsets are uint32 in the indexes; Kafka keeps both below 2^31.
inline constexpr int64_t kMaxSegmentBytes = INT32_MAX;
inline constexpr int64_t kMaxRelativeOffset = INT32_MAX;

// Kafka's defaults.
inline constexpr int64_t kDefaultSegmentBytes = 1024LL * 1024 * 1024;
inline constexpr int64_t kDefaultSegmentMs = 7LL * 24 * 3600 * 1000;
inline constexpr int64_t kDefaultRetentionMs = 7LL * 24 * 3600 * 1000;
inline constexpr int64_t kDefaultIndexIntervalBytes = 4096;
inline constexpr int64_t kDefaultWritebackBytes = 4LL * 1024 * 1024;

// ListOffsets sentinels (Kafka's ListOffsetsRequest.EARLIEST_TIMESTAMP / LATEST_TIMESTAMP).
inline constexpr int64_t kEarliestTimestamp = -2;
inline constexpr int64_t kLatestTimestamp = -1;

}  // namespace meridian::log::format
