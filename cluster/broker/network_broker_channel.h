#pragma once
// NetworkBrokerChannel: Kafka's ControllerChannelManager. The controller's requests to one
// broker go into one ordered queue, drained by one coroutine on the broker's io_context that
// (re)connects through the metadata cache's address of the destination, sends each request and
// reads its response.
//
// LeaderAndIsr is re-sent on transport errors (bounded); StopReplica with a DeliveryCallback is
// tried a few times and then reported, with the response's error codes checked, so the
// controller decides about the back-off and about brokers that went away.
// Threading: send_* are called on the controller's event thread and only enqueue.
// Lifetime: `io`, `metadata` and `refresher` must outlive the channel; the io_context must stop
// running before the channel is destroyed.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "cluster/controller/broker_channel.h"

namespace meridian::broker {

class MetadataCache;
class MetadataRefresher;

class NetworkBrokerChannel final : public controller::BrokerChannel {
 public:
  NetworkBrokerChannel(boost::asio::io_context& io, MetadataCache& metadata,
                       MetadataRefresher& refresher, BrokerId self)
      : io_(io), metadata_(metadata), refresher_(refresher), self_(self) {}

  void send_leader_and_isr(BrokerId to, protocol::LeaderAndIsrRequest request) override;
  void send_stop_replica(BrokerId to, protocol::StopReplicaRequest request) override;
  void send_stop_replica_acked(BrokerId to, protocol::StopReplicaRequest request,
                               DeliveryCallback done) override;

 private:
  struct Frame {
    std::vector<uint8_t> bytes;
    int32_t correlation_id = 0;
    int16_t api_version = 0;
    DeliveryCallback done;  // set: StopReplica whose answer the controller awaits
  };
  struct Queue {
    std::deque<Frame> frames;
    bool draining = false;
  };

  template <class T>
  Frame encode(const T& request, int16_t version);
  void enqueue(BrokerId to, Frame frame);
  boost::asio::awaitable<void> drain(BrokerId to);
  // One request over the (re)opened connection; the response payload, or nullopt.
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> send_one(
      std::optional<boost::asio::ip::tcp::socket>& socket, BrokerId to, const Frame& frame);

  boost::asio::io_context& io_;
  MetadataCache& metadata_;
  MetadataRefresher& refresher_;
  BrokerId self_;
  std::mutex mutex_;
  std::map<int32_t, Queue> queues_;
  int32_t next_correlation_ = 1;
};

// True when a StopReplica response (payload after the response header) has no error at the
// top level nor for any partition. Pure.
bool stop_replica_acknowledged(const std::vector<uint8_t>& payload, int16_t version);

}  // namespace meridian::broker
