#pragma once
// ControlledShutdown (key 7), v0-2: a broker about to stop asks the controller to move the
// leadership of its partitions away first. v0 uses request header v0 (no client_id; see
// header.cc); v2 adds the broker epoch (the czxid of its registration, as in Kafka) so a
// request from an older incarnation of the broker can be told apart. v3+ is flexible and not
// implemented.

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct ControlledShutdownResponse {
  static constexpr ApiKey kApiKey = ApiKey::kControlledShutdown;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;

  // Partitions the broker still leads (no other live ISR member could take them).
  struct RemainingPartition {
    std::string topic_name;
    int32_t partition_index = 0;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(topic_name);
      io.field(partition_index);
    }
    friend bool operator==(const RemainingPartition&, const RemainingPartition&) = default;
  };

  ErrorCode error_code = ErrorCode::kNone;
  std::vector<RemainingPartition> remaining_partitions;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(error_code);
    io.array(remaining_partitions, v);
  }
  friend bool operator==(const ControlledShutdownResponse&,
                         const ControlledShutdownResponse&) = default;
};

struct ControlledShutdownRequest {
  static constexpr ApiKey kApiKey = ApiKey::kControlledShutdown;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  using Response = ControlledShutdownResponse;

  int32_t broker_id = 0;
  int64_t broker_epoch = -1;  // v2+

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(broker_id);
    if (v >= 2) {
      io.field(broker_epoch);
    }
  }
  friend bool operator==(const ControlledShutdownRequest&,
                         const ControlledShutdownRequest&) = default;
};

}  // namespace meridian::protocol
