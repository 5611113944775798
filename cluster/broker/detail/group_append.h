#pragma once
// Helpers of the group coordinator's writes to __consumer_offsets: the record batch it appends
// and Kafka's mapping of append errors to group errors (GroupMetadataManager.storeGroup /
// storeOffsets). Pure functions.

#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "cluster/broker/group_types.h"
#include "cluster/protocol/error_code.h"
#include "common/result.h"

namespace meridian::broker::detail {

// One uncompressed RecordBatch v2 holding `records` (key, value or tombstone), stamped now.
Result<std::vector<uint8_t>> build_offsets_batch(
    const std::vector<std::pair<GroupBytes, std::optional<GroupBytes>>>& records);

// Append error -> the error an OffsetCommit partition gets (Kafka's storeOffsets mapping).
protocol::ErrorCode append_error(std::error_code ec) noexcept;

// Commit errors -> what SyncGroup reports when the group metadata could not be stored.
protocol::ErrorCode group_store_error(protocol::ErrorCode commit_error) noexcept;

}  // namespace meridian::broker::detail
