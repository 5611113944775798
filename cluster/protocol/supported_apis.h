#pragma once
// What the broker advertises in ApiVersions: exactly the (key, min, max) ranges implemented in
// messages/, derived from the message types so the table cannot drift from the code.

#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/messages/api_versions.h"
#include "cluster/protocol/types.h"
#include "common/result.h"

namespace meridian::protocol {

struct ApiVersionRange {
  ApiKey api_key;
  int16_t min_version;
  int16_t max_version;
};

// Sorted by api_key.
std::span<const ApiVersionRange> supported_apis() noexcept;
std::optional<ApiVersionRange> supported_range(ApiKey key) noexcept;
bool is_supported(ApiKey key, int16_t version) noexcept;
// Errors: unknown_api_key (not implemented at all), unsupported_version (key known, version not).
std::error_code check_supported(ApiKey key, int16_t version) noexcept;

// An ApiVersions response body listing supported_apis().
ApiVersionsResponse make_api_versions_response(ErrorCode error = ErrorCode::kNone);

// KIP-511: the whole frame a broker sends for an ApiVersions request whose version it does not
// support (librdkafka opens with v3): response header v0 + ApiVersionsResponse v0 carrying
// UNSUPPORTED_VERSION and the supported ranges, which makes the client retry with a version we
// advertise. Clients parse it as v0 whatever version they asked for.
Result<Bytes> api_versions_fallback_frame(int32_t correlation_id);

}  // namespace meridian::protocol
