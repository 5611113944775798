#pragma once
// Errors of the cluster client. Two categories: `meridian.client` for failures seen by the
// client itself (socket, timeout, negotiation) and `meridian.kafka` carrying a broker's Kafka
// error code unchanged (value = the int16 on the wire), so callers can branch on
// NOT_LEADER_OR_FOLLOWER, OFFSET_OUT_OF_RANGE, ... exactly as Kafka clients do.

#include <optional>
#include <string>
#include <system_error>

#include "cluster/protocol/error_code.h"

namespace meridian::client {

enum class errc {
  ok = 0,
  disconnected,         // the connection closed (or never opened) with the request pending
  request_timeout,      // no response within request.timeout.ms
  no_common_version,    // the broker supports no version of this API that we implement
  bad_bootstrap,        // bootstrap list is empty or not "host:port[,host:port]"
  no_broker_reachable,  // neither a bootstrap nor a known broker accepted a connection
  unknown_topic,        // metadata does not know the topic
  unknown_partition,    // partition index beyond the topic's partition count
  leader_not_available, // metadata names no live leader for the partition
  bad_response,         // undecodable response, or one that does not answer what we asked
  closed,               // the client or producer was closed
  corrupt_records,      // fetched bytes that are not valid RecordBatch v2
};

const std::error_category& error_category() noexcept;
const std::error_category& kafka_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

// A broker's per-partition or per-request Kafka error as an error_code.
inline std::error_code kafka_error(protocol::ErrorCode code) noexcept {
  return {static_cast<int>(code), kafka_category()};
}

// The Kafka error carried by `ec`, if it is one.
inline std::optional<protocol::ErrorCode> as_kafka_error(const std::error_code& ec) noexcept {
  if (ec.category() != kafka_category()) {
    return std::nullopt;
  }
  return static_cast<protocol::ErrorCode>(ec.value());
}

// Errors after which a fresh metadata view and another attempt may succeed.
bool is_retriable(const std::error_code& ec) noexcept;

}  // namespace meridian::client

template <>
struct std::is_error_code_enum<meridian::client::errc> : std::true_type {};
