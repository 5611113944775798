#pragma once
// MirrorExtension: serves the mirror's internal requests (protocol/messages/mirror.h) on every
// broker (DESIGN.md §6):
//   MirrorAppend  on the target partition's leader: checks the topic is an active mirror of the
//                 request's link at the request's link epoch, then
//                 Partition::append_mirror_as_leader (source offsets, acks=all).
//   MirrorState   on any broker: reads or writes /mirrors/<topic> through the MirrorRegistry.
// Store calls run on the blocking pool; partition work on the partition's strand.
// Lifetime: replicas, registry and the blocking executor must outlive the extension.

#include <boost/asio/any_io_executor.hpp>

#include "cluster/broker/mirror_registry.h"
#include "cluster/broker/replica_manager.h"
#include "cluster/broker/request_dispatcher.h"

namespace meridian::broker {

class MirrorExtension final : public RequestExtension {
 public:
  MirrorExtension(ReplicaManager& replicas, MirrorRegistry& registry,
                  boost::asio::any_io_executor blocking)
      : replicas_(replicas), registry_(registry), blocking_(std::move(blocking)) {}

  bool serves(protocol::ApiKey key) const noexcept override {
    return key == protocol::ApiKey::kMirrorAppend || key == protocol::ApiKey::kMirrorState;
  }
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, const protocol::RequestHeader& header,
      std::span<const uint8_t> body) override;

 private:
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_append(
      const protocol::RequestHeader& header, std::span<const uint8_t> body);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle_state(
      const protocol::RequestHeader& header, std::span<const uint8_t> body);

  ReplicaManager& replicas_;
  MirrorRegistry& registry_;
  boost::asio::any_io_executor blocking_;
};

}  // namespace meridian::broker
