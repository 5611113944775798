#include "cluster/broker/controlled_shutdown.h"

#include <algorithm>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "cluster/broker/detail/respond.h"
#include "cluster/broker/detail/rpc.h"
#include "cluster/broker/error_mapping.h"
#include "cluster/controller/errc.h"
#include "cluster/controller/state_codec.h"
#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages/controlled_shutdown.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using protocol::ControlledShutdownRequest;
using protocol::ControlledShutdownResponse;
using protocol::ErrorCode;

namespace {

constexpr int16_t kVersion = 2;

std::shared_ptr<spdlog::logger> log() { return logger("broker"); }

std::error_code from_kafka(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotController:
      return controller::make_error_code(controller::errc::not_controller);
    case ErrorCode::kRequestTimedOut:
      return controller::make_error_code(controller::errc::timed_out);
    default:
      return std::make_error_code(std::errc::protocol_error);
  }
}

asio::awaitable<Result<std::vector<uint8_t>>> exchange(std::string host, int32_t port,
                                                       std::vector<uint8_t> frame,
                                                       int32_t correlation_id,
                                                       std::chrono::milliseconds timeout) {
  auto socket = co_await detail::connect_to(host, port, timeout);
  if (!socket) {
    co_return socket.error();
  }
  auto response = co_await detail::round_trip(*socket, std::move(frame), correlation_id, timeout);
  co_return response;
}

// One ControlledShutdown request to the broker that is the controller now.
Result<std::vector<controller::TopicPartition>> ask_remote(
    asio::io_context& io, coord::CoordinationStore& store, BrokerId controller_id,
    const ControlledShutdownOptions& options) {
  auto reg_node = store.get(controller::broker_path(controller_id));
  if (!reg_node) {
    return reg_node.error();
  }
  auto reg = controller::decode_broker(controller_id, reg_node->data);
  if (!reg) {
    return reg.error();
  }
  ControlledShutdownRequest request;
  request.broker_id = options.self.value;
  // Kafka's broker epoch: the czxid of our registration, so the controller can tell incarnations
  // apart.
  if (auto me = store.get(controller::broker_path(options.self))) {
    request.broker_epoch = me->stat.create_txid;
  }
  protocol::RequestHeader header;
  header.api_version = kVersion;
  header.correlation_id = 1;
  header.client_id = "broker-" + std::to_string(options.self.value) + "-shutdown";
  auto frame = protocol::encode_request_frame(header, request);
  if (!frame) {
    return frame.error();
  }
  Result<std::vector<uint8_t>> payload = std::make_error_code(std::errc::io_error);
  try {
    payload = asio::co_spawn(
                  io, exchange(reg->host, reg->port, std::move(*frame), 1, options.request_timeout),
                  asio::use_future)
                  .get();
  } catch (const std::exception& e) {
    log()->warn("controlled shutdown request to broker {} failed: {}", controller_id.value,
                e.what());
  }
  if (!payload) {
    return payload.error();
  }
  auto response = protocol::decode<ControlledShutdownResponse>(*payload, kVersion);
  if (!response) {
    return response.error();
  }
  if (response->error_code != ErrorCode::kNone) {
    return from_kafka(response->error_code);
  }
  std::vector<controller::TopicPartition> remaining;
  for (const auto& p : response->remaining_partitions) {
    remaining.push_back({p.topic_name, PartitionId(p.partition_index)});
  }
  return remaining;
}

Result<std::vector<controller::TopicPartition>> attempt(asio::io_context& io,
                                                        coord::CoordinationStore& store,
                                                        const ShutdownCall& local,
                                                        const ControlledShutdownOptions& options) {
  auto node = store.get(controller::kControllerPath);
  if (!node) {
    return node.error();  // no_node: no controller right now; the caller retries
  }
  auto data = controller::decode_controller(node->data);
  if (!data) {
    return data.error();
  }
  if (data->broker_id == options.self) {
    return local(options.self);
  }
  return ask_remote(io, store, data->broker_id, options);
}

// Retrying only helps while some other replica of a partition we still lead is alive (an
// out-of-sync follower may catch up); with none, e.g. the last broker of `meridian dev`, stop.
bool anyone_could_take_over(const std::vector<controller::TopicPartition>& remaining,
                            const MetadataCache& metadata, BrokerId self) {
  auto snapshot = metadata.get();
  for (const auto& tp : remaining) {
    const PartitionInfo* p = snapshot->partition(tp.topic, tp.partition.value);
    if (p == nullptr) {
      return true;  // unknown here: give the controller the benefit of the doubt
    }
    for (BrokerId r : p->replicas) {
      if (r != self && snapshot->broker(r) != nullptr) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bool ControlledShutdownHandler::serves(protocol::ApiKey key) const noexcept {
  return key == protocol::ApiKey::kControlledShutdown;
}

asio::awaitable<std::optional<std::vector<uint8_t>>> ControlledShutdownHandler::handle(
    const ConnectionInfo&, const protocol::RequestHeader& header, std::span<const uint8_t> body) {
  auto request = protocol::decode<ControlledShutdownRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  BrokerId broker(request->broker_id);
  auto call = [this, broker]() -> asio::awaitable<Result<std::vector<controller::TopicPartition>>> {
    co_return shutdown_(broker);
  };
  Result<std::vector<controller::TopicPartition>> remaining =
      co_await asio::co_spawn(blocking_, std::move(call), asio::use_awaitable);
  ControlledShutdownResponse response;
  if (!remaining) {
    response.error_code = to_kafka_error(remaining.error());
  } else {
    for (const auto& tp : *remaining) {
      response.remaining_partitions.push_back({tp.topic, tp.partition.value});
    }
  }
  co_return detail::respond(header, response);
}

bool run_controlled_shutdown(asio::io_context& io, coord::CoordinationStore& store,
                             const MetadataCache& metadata, const ShutdownCall& local,
                             const ControlledShutdownOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  for (int32_t n = 0; n <= options.max_retries; ++n) {
    if (n > 0) {
      std::this_thread::sleep_for(options.retry_backoff);
    }
    auto remaining = attempt(io, store, local, options);
    if (remaining && remaining->empty()) {
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      log()->info("broker {}: controlled shutdown succeeded (attempt {}, {} ms)",
                  options.self.value, n + 1, took.count());
      return true;
    }
    if (!remaining) {
      log()->warn("broker {}: controlled shutdown attempt {} failed: {}", options.self.value, n + 1,
                  remaining.error().message());
      if (remaining.error() == coord::errc::session_expired ||
          remaining.error() == coord::errc::closed) {
        return false;  // our registration is gone already: the controller has moved on
      }
      continue;
    }
    log()->warn(
        "broker {}: controlled shutdown attempt {}: still leads {} partition(s), first {}-{}",
        options.self.value, n + 1, remaining->size(), remaining->front().topic,
        remaining->front().partition.value);
    if (!anyone_could_take_over(*remaining, metadata, options.self)) {
      log()->info("broker {}: no other live replica can lead them; stopping", options.self.value);
      return true;
    }
  }
  log()->warn("broker {}: controlled shutdown incomplete after {} attempt(s); stopping anyway",
              options.self.value, options.max_retries + 1);
  return false;
}

}  // namespace meridian::broker
