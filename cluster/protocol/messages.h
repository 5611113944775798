#pragma once
// Every implemented message, and compile-time iteration over the request types so the supported
// table, the broker's dispatch and the tests can never disagree with what is implemented.
// Each request type names its response as `Request::Response`.

#include <type_traits>
#include <utility>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/messages/api_versions.h"
#include "cluster/protocol/messages/configs.h"
#include "cluster/protocol/messages/controlled_shutdown.h"
#include "cluster/protocol/messages/controller.h"
#include "cluster/protocol/messages/create_topics.h"
#include "cluster/protocol/messages/fetch.h"
#include "cluster/protocol/messages/group_admin.h"
#include "cluster/protocol/messages/group_liveness.h"
#include "cluster/protocol/messages/group_membership.h"
#include "cluster/protocol/messages/group_offsets.h"
#include "cluster/protocol/messages/init_producer_id.h"
#include "cluster/protocol/messages/list_offsets.h"
#include "cluster/protocol/messages/metadata.h"
#include "cluster/protocol/messages/offset_for_leader_epoch.h"
#include "cluster/protocol/messages/partitions_admin.h"
#include "cluster/protocol/messages/produce.h"

namespace meridian::protocol {

template <class... Ts>
struct TypeList {};

using RequestTypes =
    TypeList<ApiVersionsRequest, MetadataRequest, ProduceRequest, FetchRequest, ListOffsetsRequest,
             OffsetForLeaderEpochRequest, CreateTopicsRequest, DeleteTopicsRequest,
             LeaderAndIsrRequest, StopReplicaRequest, FindCoordinatorRequest, JoinGroupRequest,
             SyncGroupRequest, HeartbeatRequest, LeaveGroupRequest, OffsetCommitRequest,
             OffsetFetchRequest, ListGroupsRequest, DescribeGroupsRequest, DeleteGroupsRequest,
             InitProducerIdRequest, DescribeConfigsRequest, AlterConfigsRequest,
             CreatePartitionsRequest, DeleteRecordsRequest,
             ControlledShutdownRequest>;

// Calls f(std::type_identity<Request>{}) for every implemented request type.
template <class F>
constexpr void for_each_request_type(F&& f) {
  [&]<class... Ts>(TypeList<Ts...>) { (f(std::type_identity<Ts>{}), ...); }(RequestTypes{});
}

// Calls f(std::type_identity<Request>{}) for the request type of `key`. Returns false (and does
// not call f) for a key that is not implemented.
template <class F>
bool visit_request_type(ApiKey key, F&& f) {
  bool found = false;
  for_each_request_type([&]<class T>(std::type_identity<T> t) {
    if (!found && T::kApiKey == key) {
      found = true;
      f(t);
    }
  });
  return found;
}

}  // namespace meridian::protocol
