#pragma once
// Response encoding shared by the dispatcher's handler files.

#include <optional>
#include <vector>

#include "cluster/protocol/codec.h"
#include "common/ids.h"
#include "common/log.h"

namespace meridian::broker {
namespace detail {

// Flattens an encoded response into one buffer (the server writes it with one send).
// TODO(lead): hand the splices to the server for gather writes instead of copying.
inline std::optional<std::vector<uint8_t>> flatten(Result<protocol::Encoded> encoded) {
  if (!encoded) {
    logger("kafka")->error("encoding a response failed: {}", encoded.error().message());
    return std::vector<uint8_t>{};  // close the connection
  }
  if (encoded->splices.empty()) {
    return std::move(encoded->head);
  }
  std::vector<uint8_t> out;
  out.reserve(encoded->size());
  for (auto piece : encoded->buffers()) {
    out.insert(out.end(), piece.begin(), piece.end());
  }
  return out;
}

template <class T>
std::optional<std::vector<uint8_t>> respond(const protocol::RequestHeader& header, const T& body) {
  return flatten(protocol::encode_response_frame(header.correlation_id, body, header.api_version));
}

inline std::optional<LeaderEpoch> epoch_of(int32_t current_leader_epoch) {
  if (current_leader_epoch < 0) {
    return std::nullopt;
  }
  return LeaderEpoch(current_leader_epoch);
}

}  // namespace detail

}  // namespace meridian::broker
