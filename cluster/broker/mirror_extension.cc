#include "cluster/broker/mirror_extension.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/broker/detail/respond.h"
#include "cluster/broker/error_mapping.h"
#include "cluster/protocol/codec.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using detail::respond;
using protocol::ErrorCode;

asio::awaitable<std::optional<std::vector<uint8_t>>> MirrorExtension::handle(
    const ConnectionInfo&, const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  std::optional<std::vector<uint8_t>> response;
  if (header.api_key == protocol::ApiKey::kMirrorAppend) {
    response = co_await handle_append(header, body);
  } else {
    response = co_await handle_state(header, body);
  }
  co_return response;
}

namespace {

// Why a mirror append may not land, or nullopt when the topic accepts it.
std::optional<std::pair<ErrorCode, std::string>> check_link(
    const std::optional<MirrorEntry>& entry, const protocol::MirrorAppendRequest& request) {
  if (!entry || entry->record.state.empty()) {
    return std::pair{ErrorCode::kInvalidRequest,
                     "topic " + request.topic + " is not a mirror topic in this cluster"};
  }
  const auto& r = entry->record;
  if (r.link_name != request.link_name || request.link_epoch < r.link_epoch) {
    return std::pair{ErrorCode::kFencedLeaderEpoch,
                     "fenced: topic " + request.topic + " belongs to link " + r.link_name +
                         " at epoch " + std::to_string(r.link_epoch)};
  }
  if (r.state != "active") {
    return std::pair{ErrorCode::kInvalidRequest,
                     "mirror topic " + request.topic + " is " + r.state + ", not active"};
  }
  return std::nullopt;
}

}  // namespace

asio::awaitable<std::optional<std::vector<uint8_t>>> MirrorExtension::handle_append(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::MirrorAppendRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  protocol::MirrorAppendResponse response;
  auto partition = replicas_.get({request->topic, PartitionId(request->partition)});
  if (!partition) {
    response.error_code = ErrorCode::kNotLeaderOrFollower;
    co_return respond(header, response);
  }
  auto refused = check_link(registry_.find(request->topic), *request);
  if (refused) {
    // Another broker may have written the state a moment ago: re-read before refusing.
    auto refresh = [this]() -> asio::awaitable<void> {
      (void)registry_.refresh_now();
      co_return;
    };
    co_await asio::co_spawn(blocking_, std::move(refresh), asio::use_awaitable);
    refused = check_link(registry_.find(request->topic), *request);
  }
  if (refused) {
    response.error_code = refused->first;
    response.error_message = refused->second;
  } else {
    replication::MirrorAppendOptions options;
    options.reset_log_start = Offset(request->reset_log_start);
    options.truncate_to = Offset(request->truncate_to);
    options.timeout = std::chrono::milliseconds(std::max(0, request->timeout_ms));
    std::span<uint8_t> batches;
    if (request->records) {
      batches = std::span<uint8_t>(request->records->data(), request->records->size());
    }
    auto appended = co_await partition->append_mirror_as_leader(batches, options);
    if (!appended) {
      response.error_code = to_kafka_error(appended.error());
      response.error_message = appended.error().message();
      if (appended.error() == replication::errc::offset_out_of_range) {
        response.error_message = "mirror append does not start at the log end (gap or overlap)";
      }
    }
  }
  auto snapshot = partition->snapshot();
  response.log_end_offset = snapshot.log_end_offset.value;
  response.high_watermark = snapshot.high_watermark.value;
  response.log_start_offset = snapshot.log_start_offset.value;
  co_return respond(header, response);
}

asio::awaitable<std::optional<std::vector<uint8_t>>> MirrorExtension::handle_state(
    const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::MirrorStateRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  auto work = [this, request = std::move(*request)]() -> asio::awaitable<protocol::MirrorStateResponse> {
    protocol::MirrorStateResponse response;
    if (request.write != 0) {
      auto written = registry_.write(request.topic, request.record, request.expected_version);
      response.error_code = written.error;
      if (!written.message.empty()) {
        response.error_message = written.message;
      }
    } else {
      (void)registry_.refresh_now();
    }
    if (auto entry = registry_.find(request.topic)) {
      response.exists = 1;
      response.record = entry->record;
      response.version = entry->version;
    }
    co_return response;
  };
  auto response = co_await asio::co_spawn(blocking_, std::move(work), asio::use_awaitable);
  co_return respond(header, response);
}

}  // namespace meridian::broker
