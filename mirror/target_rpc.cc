#include "mirror/target_rpc.h"

#include "cluster/client/connection.h"
#include "cluster/protocol/codec.h"
#include "mirror/errc.h"

namespace meridian::mirror {

namespace asio = boost::asio;

namespace {

template <class Request>
asio::awaitable<Result<typename Request::Response>> send_v0(client::Connection& connection,
                                                            const Request& request) {
  protocol::RequestHeader header;
  header.api_key = Request::kApiKey;
  header.api_version = 0;
  header.client_id = "meridian-mirror";
  auto frame = protocol::encode_request_frame(header, request);
  if (!frame) {
    co_return frame.error();
  }
  protocol::Bytes bytes = std::move(*frame);
  auto body = co_await connection.send_frame(std::move(bytes), client::ExpectResponse::kYes);
  if (!body) {
    co_return body.error();
  }
  auto decoded = protocol::decode<typename Request::Response>(*body, 0);
  if (!decoded) {
    co_return make_error_code(errc::bad_response);
  }
  co_return std::move(*decoded);
}

}  // namespace

asio::awaitable<Result<protocol::MirrorAppendResponse>> mirror_append(
    client::Client& target, protocol::MirrorAppendRequest request) {
  const client::PartitionMetadata* p =
      target.cached_metadata()->partition(request.topic, PartitionId(request.partition));
  auto metadata = target.cached_metadata();
  if (p == nullptr || p->leader.value < 0) {
    std::vector<std::string> topics{request.topic};
    auto fresh = co_await target.metadata(std::move(topics));
    if (!fresh) {
      co_return fresh.error();
    }
    metadata = *fresh;
    p = metadata->partition(request.topic, PartitionId(request.partition));
    if (p == nullptr || p->leader.value < 0) {
      co_return client::make_error_code(client::errc::leader_not_available);
    }
  }
  auto connection = co_await target.connection(p->leader);
  Result<protocol::MirrorAppendResponse> response(client::make_error_code(
      client::errc::no_broker_reachable));
  if (connection) {
    client::Connection& conn = **connection;
    response = co_await send_v0(conn, request);
  } else {
    response = Result<protocol::MirrorAppendResponse>(connection.error());
  }
  // A dead leader (SIGKILLed broker: connection refused or reset) or a moved one: refresh, so
  // the next attempt goes to the partition's new leader instead of the cached one.
  if (!response || response->error_code == protocol::ErrorCode::kNotLeaderOrFollower) {
    std::vector<std::string> topics{request.topic};
    (void)co_await target.metadata(std::move(topics));
  }
  co_return response;
}

asio::awaitable<Result<protocol::MirrorStateResponse>> mirror_state(
    client::Client& target, protocol::MirrorStateRequest request) {
  auto metadata = target.cached_metadata();
  if (metadata->brokers.empty()) {
    std::vector<std::string> topics{request.topic};
    auto fresh = co_await target.metadata(std::move(topics));
    if (!fresh) {
      co_return fresh.error();
    }
    metadata = *fresh;
  }
  if (metadata->brokers.empty()) {
    co_return client::make_error_code(client::errc::no_broker_reachable);
  }
  // Any broker will do: try them in turn, so one dead broker does not stop the link.
  Result<protocol::MirrorStateResponse> response(
      client::make_error_code(client::errc::no_broker_reachable));
  for (const auto& [id, broker] : metadata->brokers) {
    auto connection = co_await target.connection(id);
    if (!connection) {
      response = Result<protocol::MirrorStateResponse>(connection.error());
      continue;
    }
    client::Connection& conn = **connection;
    response = co_await send_v0(conn, request);
    if (response) {
      break;
    }
  }
  co_return response;
}

}  // namespace meridian::mirror
