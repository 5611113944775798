#include "cluster/broker/network_broker_channel.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <string>

#include "cluster/broker/detail/rpc.h"
#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/metadata_refresher.h"
#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"

namespace meridian::broker {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kRequestTimeout = std::chrono::milliseconds(10000);
// LeaderAndIsr: transport retries before the next request (a newer state follows anyway).
constexpr int kSendAttempts = 50;
// StopReplica with a callback: a few quick tries, then the controller's back-off takes over.
constexpr int kAckedSendAttempts = 3;
constexpr auto kResendBackoff = std::chrono::milliseconds(100);

}  // namespace

bool stop_replica_acknowledged(const std::vector<uint8_t>& payload, int16_t version) {
  auto response = protocol::decode<protocol::StopReplicaResponse>(payload, version);
  if (!response || response->error_code != protocol::ErrorCode::kNone) {
    return false;
  }
  for (const auto& p : response->partition_errors) {
    // The replica being gone already is what the controller asked for.
    if (p.error_code != protocol::ErrorCode::kNone &&
        p.error_code != protocol::ErrorCode::kUnknownTopicOrPartition) {
      return false;
    }
  }
  return true;
}

void NetworkBrokerChannel::send_leader_and_isr(BrokerId to, protocol::LeaderAndIsrRequest request) {
  enqueue(to, encode(request, 2));
}

void NetworkBrokerChannel::send_stop_replica(BrokerId to, protocol::StopReplicaRequest request) {
  enqueue(to, encode(request, 1));
}

void NetworkBrokerChannel::send_stop_replica_acked(BrokerId to,
                                                   protocol::StopReplicaRequest request,
                                                   DeliveryCallback done) {
  Frame frame = encode(request, 1);
  if (frame.bytes.empty()) {
    if (done) {
      done(false);
    }
    return;
  }
  frame.done = std::move(done);
  enqueue(to, std::move(frame));
}

template <class T>
NetworkBrokerChannel::Frame NetworkBrokerChannel::encode(const T& request, int16_t version) {
  protocol::RequestHeader header;
  header.api_version = version;
  header.client_id = "controller-" + std::to_string(self_.value);
  {
    std::lock_guard lock(mutex_);
    header.correlation_id = next_correlation_++;
  }
  auto frame = protocol::encode_request_frame(header, request);
  return Frame{frame ? std::move(*frame) : std::vector<uint8_t>{}, header.correlation_id, version,
               {}};
}

void NetworkBrokerChannel::enqueue(BrokerId to, Frame frame) {
  if (frame.bytes.empty()) {
    return;
  }
  std::lock_guard lock(mutex_);
  auto& q = queues_[to.value];
  q.frames.push_back(std::move(frame));
  if (!q.draining) {
    q.draining = true;
    asio::co_spawn(io_, drain(to), asio::detached);
  }
}

asio::awaitable<void> NetworkBrokerChannel::drain(BrokerId to) {
  std::optional<tcp::socket> socket;
  for (;;) {
    Frame frame;
    {
      std::lock_guard lock(mutex_);
      auto& q = queues_[to.value];
      if (q.frames.empty()) {
        q.draining = false;
        co_return;
      }
      frame = std::move(q.frames.front());
      q.frames.pop_front();
    }
    const int attempts = frame.done ? kAckedSendAttempts : kSendAttempts;
    std::optional<std::vector<uint8_t>> response;
    for (int attempt = 0; attempt < attempts && !response; ++attempt) {
      response = co_await send_one(socket, to, frame);
      if (response) {
        break;
      }
      socket.reset();
      refresher_.trigger();
      asio::steady_timer backoff(io_, kResendBackoff);
      co_await backoff.async_wait(kUseTuple);
    }
    if (frame.done) {
      frame.done(response && stop_replica_acknowledged(*response, frame.api_version));
    }
  }
}

asio::awaitable<std::optional<std::vector<uint8_t>>> NetworkBrokerChannel::send_one(
    std::optional<tcp::socket>& socket, BrokerId to, const Frame& frame) {
  if (!socket) {
    auto snapshot = metadata_.get();
    const BrokerInfo* info = snapshot->broker(to);
    if (info == nullptr) {
      co_return std::nullopt;
    }
    auto connected = co_await detail::connect_to(info->host, info->port, kRequestTimeout);
    if (!connected) {
      co_return std::nullopt;
    }
    socket.emplace(std::move(*connected));
  }
  auto response =
      co_await detail::round_trip(*socket, frame.bytes, frame.correlation_id, kRequestTimeout);
  if (!response) {
    co_return std::nullopt;
  }
  co_return std::move(*response);
}

}  // namespace meridian::broker
