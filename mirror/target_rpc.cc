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
  if (!connection) {
    co_return connection.error();
  }
  client::Connection& conn = **connection;
  auto response = co_await send_v0(conn, request);
  if (response && response->error_code == protocol::ErrorCode::kNotLeaderOrFollower) {
    std::vector<std::string> topics{request.topic};
    (void)co_await target.metadata(std::move(topics));  // the next attempt finds the new leader
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
  auto connection = co_await target.connection(metadata->brokers.begin()->first);
  if (!connection) {
    co_return connection.error();
  }
  client::Connection& conn = **connection;
  auto response = co_await send_v0(conn, request);
  co_return response;
}

}  // namespace meridian::mirror
