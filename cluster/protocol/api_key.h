#pragma once
// Kafka API keys (the int16 at the start of every request header). Only keys that matter to
// Meridian are named; any other int16 is still representable and reported as unknown.

#include <cstdint>
#include <string_view>

namespace meridian::protocol {

enum class ApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kLeaderAndIsr = 4,
  kStopReplica = 5,
  kUpdateMetadata = 6,
  kControlledShutdown = 7,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kDescribeGroups = 15,
  kListGroups = 16,
  kSaslHandshake = 17,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
  kDeleteRecords = 21,
  kInitProducerId = 22,
  kOffsetForLeaderEpoch = 23,
  kDescribeConfigs = 32,
  kAlterConfigs = 33,
  kCreatePartitions = 37,
  kDeleteGroups = 42,
  kDescribeCluster = 60,
  // Meridian-internal (cross-DC mirror, messages/mirror.h): never advertised to clients.
  kMirrorAppend = 1000,
  kMirrorState = 1001,
};

// "Produce", "Fetch", ... as Kafka names them; "Unknown" otherwise.
std::string_view api_key_name(ApiKey key) noexcept;

}  // namespace meridian::protocol
