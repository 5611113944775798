#include "cluster/broker/group_extension.h"

#include "cluster/broker/detail/respond.h"
#include "cluster/protocol/codec.h"

namespace meridian::broker {

namespace asio = boost::asio;
using detail::respond;
using protocol::ApiKey;
using protocol::ErrorCode;

namespace {

// Kafka shows a member's host as InetAddress.toString(): "/127.0.0.1".
std::string client_host(const std::string& peer) {
  auto colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

}  // namespace

bool GroupExtension::serves(ApiKey key) const noexcept {
  switch (key) {
    case ApiKey::kFindCoordinator:
    case ApiKey::kJoinGroup:
    case ApiKey::kSyncGroup:
    case ApiKey::kHeartbeat:
    case ApiKey::kLeaveGroup:
    case ApiKey::kOffsetCommit:
    case ApiKey::kOffsetFetch:
    case ApiKey::kListGroups:
    case ApiKey::kDescribeGroups:
    case ApiKey::kDeleteGroups:
      return true;
    default:
      return false;
  }
}

asio::awaitable<std::optional<std::vector<uint8_t>>> GroupExtension::handle(
    const ConnectionInfo& connection, const protocol::RequestHeader& header,
    std::span<const uint8_t> body) {
  Response out;
  switch (header.api_key) {
    case ApiKey::kFindCoordinator:
      out = co_await find_coordinator(header, body);
      break;
    case ApiKey::kJoinGroup:
      out = co_await join(connection, header, body);
      break;
    case ApiKey::kSyncGroup:
      out = co_await sync(header, body);
      break;
    case ApiKey::kHeartbeat:
      out = co_await heartbeat(header, body);
      break;
    case ApiKey::kLeaveGroup:
      out = co_await leave(header, body);
      break;
    default:
      out = co_await admin(header, body);
      break;
  }
  co_return out;
}

asio::awaitable<GroupExtension::Response> GroupExtension::find_coordinator(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::FindCoordinatorRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  std::string key = request->key;
  auto response = co_await coordinator_.find_coordinator(key, request->key_type);
  co_return respond(header, response);
}

asio::awaitable<GroupExtension::Response> GroupExtension::join(
    const ConnectionInfo& connection, const protocol::RequestHeader& header,
    std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::JoinGroupRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  JoinParams params;
  params.member_id = request->member_id;
  params.group_instance_id = request->group_instance_id;
  params.client_id = header.client_id.value_or("");
  params.client_host = client_host(connection.peer);
  params.session_timeout = std::chrono::milliseconds(request->session_timeout_ms);
  // JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout.
  params.rebalance_timeout = std::chrono::milliseconds(
      header.api_version >= 1 ? request->rebalance_timeout_ms : request->session_timeout_ms);
  params.protocol_type = request->protocol_type;
  for (auto& p : request->protocols) {
    params.protocols.push_back({std::move(p.name), std::move(p.metadata)});
  }
  params.require_known_member_id = header.api_version >= 4;
  std::string group = request->group_id;
  JoinResult result = co_await coordinator_.join(group, std::move(params));
  protocol::JoinGroupResponse response;
  response.error_code = result.error;
  response.generation_id = result.generation;
  response.protocol_name = result.protocol_name;
  response.leader = result.leader;
  response.member_id = result.member_id;
  for (auto& m : result.members) {
    response.members.push_back(
        {std::move(m.member_id), std::move(m.group_instance_id), std::move(m.metadata)});
  }
  co_return respond(header, response);
}

asio::awaitable<GroupExtension::Response> GroupExtension::sync(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::SyncGroupRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  SyncParams params;
  params.member_id = request->member_id;
  params.generation = request->generation_id;
  for (auto& a : request->assignments) {
    params.assignments.emplace_back(std::move(a.member_id), std::move(a.assignment));
  }
  std::string group = request->group_id;
  SyncResult result = co_await coordinator_.sync(group, std::move(params));
  protocol::SyncGroupResponse response;
  response.error_code = result.error;
  response.assignment = std::move(result.assignment);
  co_return respond(header, response);
}

asio::awaitable<GroupExtension::Response> GroupExtension::heartbeat(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::HeartbeatRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  std::string group = request->group_id;
  std::string member = request->member_id;
  protocol::HeartbeatResponse response;
  response.error_code = co_await coordinator_.heartbeat(group, member, request->generation_id);
  co_return respond(header, response);
}

asio::awaitable<GroupExtension::Response> GroupExtension::leave(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::LeaveGroupRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  std::vector<std::string> members;
  if (header.api_version <= 2) {
    members.push_back(request->member_id);
  } else {
    for (const auto& m : request->members) {
      members.push_back(m.member_id);
    }
  }
  std::string group = request->group_id;
  LeaveOutcome outcome = co_await coordinator_.leave(group, members);
  protocol::LeaveGroupResponse response;
  if (header.api_version <= 2) {
    response.error_code = outcome.error != ErrorCode::kNone ? outcome.error
                          : outcome.members.empty()         ? ErrorCode::kNone
                                                            : outcome.members.front();
  } else {
    // KIP-345 batch leave: the group-level error only for group-wide failures.
    response.error_code = outcome.error;
    for (size_t i = 0; i < request->members.size() && i < outcome.members.size(); ++i) {
      response.members.push_back({request->members[i].member_id,
                                  request->members[i].group_instance_id, outcome.members[i]});
    }
  }
  co_return respond(header, response);
}

// OffsetCommit, OffsetFetch, ListGroups, DescribeGroups, DeleteGroups.
asio::awaitable<GroupExtension::Response> GroupExtension::admin(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  int16_t v = header.api_version;
  switch (header.api_key) {
    case ApiKey::kOffsetCommit: {
      auto request = protocol::decode<protocol::OffsetCommitRequest>(body, v);
      if (!request) {
        co_return std::vector<uint8_t>{};
      }
      auto response = co_await coordinator_.commit(std::move(*request));
      co_return respond(header, response);
    }
    case ApiKey::kOffsetFetch: {
      auto request = protocol::decode<protocol::OffsetFetchRequest>(body, v);
      if (!request) {
        co_return std::vector<uint8_t>{};
      }
      auto response = co_await coordinator_.fetch_offsets(std::move(*request), v >= 2);
      co_return respond(header, response);
    }
    case ApiKey::kListGroups: {
      auto response = co_await coordinator_.list_groups();
      co_return respond(header, response);
    }
    case ApiKey::kDescribeGroups: {
      auto request = protocol::decode<protocol::DescribeGroupsRequest>(body, v);
      if (!request) {
        co_return std::vector<uint8_t>{};
      }
      auto response = co_await coordinator_.describe_groups(std::move(request->groups));
      co_return respond(header, response);
    }
    case ApiKey::kDeleteGroups: {
      auto request = protocol::decode<protocol::DeleteGroupsRequest>(body, v);
      if (!request) {
        co_return std::vector<uint8_t>{};
      }
      auto response = co_await coordinator_.delete_groups(std::move(request->groups_names));
      co_return respond(header, response);
    }
    default:
      co_return std::vector<uint8_t>{};
  }
}

}  // namespace meridian::broker
