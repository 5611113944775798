#pragma once
// Forward declarations for headers that only pass log types around.

namespace meridian::log {
struct LogConfig;
struct AppendInfo;
struct ReadResult;
struct FileSlice;
struct OpenStats;
class PartitionLog;
}  // namespace meridian::log
