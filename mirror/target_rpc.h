#pragma once
// The mirror's two internal requests to a cluster (protocol/messages/mirror.h), sent over the
// cluster client's connections. They are not advertised in ApiVersions, so they are encoded
// at v0 and sent as raw frames (Connection::send_frame) instead of Connection::request.
//
// Strand model: the Client's executor. Errors: client errors (disconnected, timeouts,
// leader_not_available); a broker's refusal is in the response's error_code.

#include <boost/asio/awaitable.hpp>

#include "cluster/client/client.h"
#include "cluster/protocol/messages/mirror.h"
#include "common/result.h"

namespace meridian::mirror {

// Sent to the leader of request.topic/partition (metadata refreshed when it is unknown).
boost::asio::awaitable<Result<protocol::MirrorAppendResponse>> mirror_append(
    client::Client& target, protocol::MirrorAppendRequest request);

// Sent to any broker of the cluster.
boost::asio::awaitable<Result<protocol::MirrorStateResponse>> mirror_state(
    client::Client& target, protocol::MirrorStateRequest request);

}  // namespace meridian::mirror
