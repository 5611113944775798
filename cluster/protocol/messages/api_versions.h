#pragma once
// ApiVersions (key 18), v0-2. v3+ is flexible and not implemented; a broker answers such a
// request with api_versions_fallback_frame() (KIP-511), which clients retry at a lower version.

#include <cstdint>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct ApiVersionsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kApiVersions;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;

  struct ApiVersion {
    ApiKey api_key = ApiKey::kProduce;
    int16_t min_version = 0;
    int16_t max_version = 0;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(api_key);
      io.field(min_version);
      io.field(max_version);
    }
    friend bool operator==(const ApiVersion&, const ApiVersion&) = default;
  };

  ErrorCode error_code = ErrorCode::kNone;
  std::vector<ApiVersion> api_keys;
  int32_t throttle_time_ms = 0;  // v1+

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(error_code);
    io.array(api_keys, v);
    if (v >= 1) {
      io.field(throttle_time_ms);
    }
  }
  friend bool operator==(const ApiVersionsResponse&, const ApiVersionsResponse&) = default;
};

struct ApiVersionsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kApiVersions;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  using Response = ApiVersionsResponse;

  template <class Io>
  void io(Io&, int16_t) {}
  friend bool operator==(const ApiVersionsRequest&, const ApiVersionsRequest&) = default;
};

}  // namespace meridian::protocol
