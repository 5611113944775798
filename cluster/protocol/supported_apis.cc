#include "cluster/protocol/supported_apis.h"

#include <algorithm>
#include <array>

#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "cluster/protocol/messages/mirror.h"

namespace meridian::protocol {
namespace {

constexpr auto make_table() {
  constexpr size_t kCount = []<class... Ts>(TypeList<Ts...>) {
    return sizeof...(Ts);
  }(RequestTypes{});
  std::array<ApiVersionRange, kCount> table{};
  size_t i = 0;
  for_each_request_type([&]<class T>(std::type_identity<T>) {
    static_assert(T::kMinVersion == T::Response::kMinVersion &&
                  T::kMaxVersion == T::Response::kMaxVersion && T::kApiKey == T::Response::kApiKey);
    table[i++] = ApiVersionRange{T::kApiKey, T::kMinVersion, T::kMaxVersion};
  });
  std::sort(table.begin(), table.end(), [](const auto& a, const auto& b) {
    return static_cast<int16_t>(a.api_key) < static_cast<int16_t>(b.api_key);
  });
  return table;
}

constexpr auto kTable = make_table();

// Meridian-internal APIs (keys >= 1000): served, but never listed in ApiVersions, so Kafka
// clients (kafka-python, librdkafka) never meet a key they do not know.
template <class T>
constexpr ApiVersionRange range_of() {
  return ApiVersionRange{T::kApiKey, T::kMinVersion, T::kMaxVersion};
}
constexpr ApiVersionRange kInternal[] = {range_of<MirrorAppendRequest>(),
                                         range_of<MirrorStateRequest>()};

}  // namespace

std::span<const ApiVersionRange> supported_apis() noexcept { return kTable; }

std::optional<ApiVersionRange> supported_range(ApiKey key) noexcept {
  for (const auto& range : kTable) {
    if (range.api_key == key) {
      return range;
    }
  }
  return std::nullopt;
}

bool is_supported(ApiKey key, int16_t version) noexcept {
  auto range = supported_range(key);
  return range && version >= range->min_version && version <= range->max_version;
}

std::error_code check_supported(ApiKey key, int16_t version) noexcept {
  auto range = supported_range(key);
  for (const auto& internal : kInternal) {
    if (!range && internal.api_key == key) {
      range = internal;
    }
  }
  if (!range) {
    return make_error_code(errc::unknown_api_key);
  }
  if (version < range->min_version || version > range->max_version) {
    return make_error_code(errc::unsupported_version);
  }
  return {};
}

ApiVersionsResponse make_api_versions_response(ErrorCode error) {
  ApiVersionsResponse response;
  response.error_code = error;
  for (const auto& range : kTable) {
    response.api_keys.push_back({range.api_key, range.min_version, range.max_version});
  }
  return response;
}

Result<Bytes> api_versions_fallback_frame(int32_t correlation_id) {
  auto encoded = encode_response_frame(
      correlation_id, make_api_versions_response(ErrorCode::kUnsupportedVersion), 0);
  if (!encoded) {
    return encoded.error();
  }
  return std::move(encoded->head);
}

}  // namespace meridian::protocol
