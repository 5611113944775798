#pragma once
// InitProducerId (key 22), v0-1: hands an idempotent or transactional producer its id/epoch.

#include <cstdint>
#include <optional>
#include <string>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct InitProducerIdResponse {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  int32_t throttle_time_ms = 0;
  ErrorCode error_code = ErrorCode::kNone;
  int64_t producer_id = -1;
  int16_t producer_epoch = 0;

  template <class Io>
  void io(Io& io, int16_t) {
    io.field(throttle_time_ms);
    io.field(error_code);
    io.field(producer_id);
    io.field(producer_epoch);
  }
  friend bool operator==(const InitProducerIdResponse&, const InitProducerIdResponse&) = default;
};

struct InitProducerIdRequest {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  using Response = InitProducerIdResponse;

  std::optional<std::string> transactional_id;  // null for an idempotent-only producer
  int32_t transaction_timeout_ms = 0;

  template <class Io>
  void io(Io& io, int16_t) {
    io.field(transactional_id);
    io.field(transaction_timeout_ms);
  }
  friend bool operator==(const InitProducerIdRequest&, const InitProducerIdRequest&) = default;
};

}  // namespace meridian::protocol
