#pragma once
// BrokerChannel: how the controller tells brokers its decisions (LeaderAndIsr, StopReplica).
// The broker implements it over the network (Kafka's ControllerChannelManager) or in-process
// inside `meridian dev`; tests record the requests.
//
// Threading: called on the controller's event thread. Implementations must NOT block: queue the
// request and return. Delivery is best effort and in order per broker; brokers fence older
// controller epochs and leader epochs, so a re-sent or late request is harmless.

#include <functional>

#include "cluster/protocol/messages/controller.h"
#include "common/ids.h"

namespace meridian::controller {

class BrokerChannel {
 public:
  virtual ~BrokerChannel() = default;
  // Requests use the v2+ shape (topic_states); each partition state also carries topic_name so
  // a v0-1 encoder can flatten them into ungrouped_partition_states.
  virtual void send_leader_and_isr(BrokerId to, protocol::LeaderAndIsrRequest request) = 0;
  // v1 shape (topics); delete_partitions is true for topic deletion.
  virtual void send_stop_replica(BrokerId to, protocol::StopReplicaRequest request) = 0;
  // The same, and `done(acknowledged)` is called once (on any thread; it must only enqueue):
  // true when `to` answered without an error, false when the request could not be delivered
  // or was refused. The controller re-sends after a back-off while `to` stays registered.
  // The default is fire-and-forget: it reports success at once.
  using DeliveryCallback = std::function<void(bool acknowledged)>;
  virtual void send_stop_replica_acked(BrokerId to, protocol::StopReplicaRequest request,
                                       DeliveryCallback done) {
    send_stop_replica(to, std::move(request));
    if (done) {
      done(true);
    }
  }
};

}  // namespace meridian::controller
