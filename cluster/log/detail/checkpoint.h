#pragma once
// Kafka-style text checkpoint files (docs/formats/segment.md):
//   <version>\n<count>\n then <count> lines of space-separated integers.
// Written atomically (tmp file, fsync, rename, fsync dir).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace meridian::log::detail {

using CheckpointRows = std::vector<std::vector<int64_t>>;

std::string encode_checkpoint(const CheckpointRows& rows);
// Errors: errc::corrupt_checkpoint (wrong version, count or row width).
Result<CheckpointRows> decode_checkpoint(std::string_view text, size_t width);

Result<void> write_checkpoint(const std::filesystem::path& path, const CheckpointRows& rows);
// Missing file: std::errc::no_such_file_or_directory.
Result<CheckpointRows> read_checkpoint(const std::filesystem::path& path, size_t width);

}  // namespace meridian::log::detail
