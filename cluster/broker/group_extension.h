#pragma once
// GroupExtension: serves the consumer-group APIs (FindCoordinator, JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups, DescribeGroups, DeleteGroups)
// for the RequestDispatcher: decode (pure), the GroupCoordinator (async), encode (pure).
// A request that does not decode closes the connection, as the dispatcher does for its own.
//
// Threading: handle() runs on the connection's coroutine; the coordinator hops to its strand.
// `coordinator` must outlive the extension.

#include "cluster/broker/group_coordinator.h"
#include "cluster/broker/request_dispatcher.h"

namespace meridian::broker {

class GroupExtension final : public RequestExtension {
 public:
  explicit GroupExtension(GroupCoordinator& coordinator) : coordinator_(coordinator) {}

  bool serves(protocol::ApiKey key) const noexcept override;
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, const protocol::RequestHeader& header,
      std::span<const uint8_t> body) override;

 private:
  using Response = std::optional<std::vector<uint8_t>>;
  boost::asio::awaitable<Response> find_coordinator(const protocol::RequestHeader& header,
                                                    std::span<const uint8_t> body);
  boost::asio::awaitable<Response> join(const ConnectionInfo& connection,
                                        const protocol::RequestHeader& header,
                                        std::span<const uint8_t> body);
  boost::asio::awaitable<Response> sync(const protocol::RequestHeader& header,
                                        std::span<const uint8_t> body);
  boost::asio::awaitable<Response> heartbeat(const protocol::RequestHeader& header,
                                             std::span<const uint8_t> body);
  boost::asio::awaitable<Response> leave(const protocol::RequestHeader& header,
                                         std::span<const uint8_t> body);
  boost::asio::awaitable<Response> admin(const protocol::RequestHeader& header,
                                         std::span<const uint8_t> body);

  GroupCoordinator& coordinator_;
};

}  // namespace meridian::broker
