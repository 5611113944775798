#include "cluster/broker/detail/group_append.h"

#include <chrono>
#include <string_view>

#include "cluster/broker/error_mapping.h"
#include "cluster/record/record.h"

namespace meridian::broker::detail {

using protocol::ErrorCode;

namespace {
std::string_view view(const GroupBytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
}  // namespace

Result<std::vector<uint8_t>> build_offsets_batch(
    const std::vector<std::pair<GroupBytes, std::optional<GroupBytes>>>& records) {
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  record::RecordBatchBuilder builder;
  for (const auto& [key, value] : records) {
    std::optional<std::string_view> v;
    if (value) {
      v = view(*value);
    }
    builder.append(now_ms, view(key), v);
  }
  return std::move(builder).build();
}

ErrorCode append_error(std::error_code ec) noexcept {
  switch (to_kafka_error(ec)) {
    case ErrorCode::kNone:
      return ErrorCode::kNone;
    case ErrorCode::kUnknownTopicOrPartition:
    case ErrorCode::kNotEnoughReplicas:
    case ErrorCode::kNotEnoughReplicasAfterAppend:
      return ErrorCode::kCoordinatorNotAvailable;
    case ErrorCode::kNotLeaderOrFollower:
    case ErrorCode::kFencedLeaderEpoch:
    case ErrorCode::kKafkaStorageError:
      return ErrorCode::kNotCoordinator;
    case ErrorCode::kMessageTooLarge:
    case ErrorCode::kRecordListTooLarge:
    case ErrorCode::kInvalidFetchSize:
      return ErrorCode::kInvalidCommitOffsetSize;
    case ErrorCode::kRequestTimedOut:
      return ErrorCode::kRequestTimedOut;
    default:
      return ErrorCode::kUnknownServerError;
  }
}

ErrorCode group_store_error(ErrorCode commit_error) noexcept {
  switch (commit_error) {
    case ErrorCode::kNone:
    case ErrorCode::kNotCoordinator:
    case ErrorCode::kCoordinatorNotAvailable:
      return commit_error;
    case ErrorCode::kRequestTimedOut:
      return ErrorCode::kCoordinatorNotAvailable;
    default:
      return ErrorCode::kUnknownServerError;
  }
}

}  // namespace meridian::broker::detail
