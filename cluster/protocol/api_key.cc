#include "cluster/protocol/api_key.h"

namespace meridian::protocol {

std::string_view api_key_name(ApiKey key) noexcept {
  switch (key) {
    case ApiKey::kProduce:
      return "Produce";
    case ApiKey::kFetch:
      return "Fetch";
    case ApiKey::kListOffsets:
      return "ListOffsets";
    case ApiKey::kMetadata:
      return "Metadata";
    case ApiKey::kLeaderAndIsr:
      return "LeaderAndIsr";
    case ApiKey::kStopReplica:
      return "StopReplica";
    case ApiKey::kUpdateMetadata:
      return "UpdateMetadata";
    case ApiKey::kControlledShutdown:
      return "ControlledShutdown";
    case ApiKey::kOffsetCommit:
      return "OffsetCommit";
    case ApiKey::kOffsetFetch:
      return "OffsetFetch";
    case ApiKey::kFindCoordinator:
      return "FindCoordinator";
    case ApiKey::kJoinGroup:
      return "JoinGroup";
    case ApiKey::kHeartbeat:
      return "Heartbeat";
    case ApiKey::kLeaveGroup:
      return "LeaveGroup";
    case ApiKey::kSyncGroup:
      return "SyncGroup";
    case ApiKey::kDescribeGroups:
      return "DescribeGroups";
    case ApiKey::kListGroups:
      return "ListGroups";
    case ApiKey::kSaslHandshake:
      return "SaslHandshake";
    case ApiKey::kApiVersions:
      return "ApiVersions";
    case ApiKey::kCreateTopics:
      return "CreateTopics";
    case ApiKey::kDeleteTopics:
      return "DeleteTopics";
    case ApiKey::kDeleteRecords:
      return "DeleteRecords";
    case ApiKey::kInitProducerId:
      return "InitProducerId";
    case ApiKey::kOffsetForLeaderEpoch:
      return "OffsetForLeaderEpoch";
    case ApiKey::kDescribeConfigs:
      return "DescribeConfigs";
    case ApiKey::kAlterConfigs:
      return "AlterConfigs";
    case ApiKey::kCreatePartitions:
      return "CreatePartitions";
    case ApiKey::kDeleteGroups:
      return "DeleteGroups";
    case ApiKey::kDescribeCluster:
      return "DescribeCluster";
    case ApiKey::kMirrorAppend:
      return "MirrorAppend";
    case ApiKey::kMirrorState:
      return "MirrorState";
  }
  return "Unknown";
}

}  // namespace meridian::protocol
