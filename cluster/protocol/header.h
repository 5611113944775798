#pragma once
// Request and response headers (non-flexible forms only).
//   Request header v1: api_key int16, api_version int16, correlation_id int32,
//                      client_id nullable string.
//   Request header v0: the same without client_id (only ControlledShutdown v0 uses it).
//   Response header v0: correlation_id int32.
// Flexible versions (header v2 / response v1) add tagged fields; they are not implemented, but a
// v2 request header parses as v1 with the tagged fields left at the front of the body, which is
// all a broker needs to answer an ApiVersions v3+ request with UNSUPPORTED_VERSION (KIP-511).

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "cluster/protocol/api_key.h"
#include "common/result.h"

namespace meridian::protocol {

struct RequestHeader {
  ApiKey api_key = ApiKey::kApiVersions;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;

  template <class Io>
  void io(Io& io, int16_t header_version) {
    io.field(api_key);
    io.field(api_version);
    io.field(correlation_id);
    if (header_version >= 1) {
      io.field(client_id);
    }
  }
  friend bool operator==(const RequestHeader&, const RequestHeader&) = default;
};

struct ResponseHeader {
  int32_t correlation_id = 0;

  template <class Io>
  void io(Io& io, int16_t /*header_version*/) {
    io.field(correlation_id);
  }
  friend bool operator==(const ResponseHeader&, const ResponseHeader&) = default;
};

// Header version a request of (key, version) uses: 0 for ControlledShutdown v0, else 1.
int16_t request_header_version(ApiKey key, int16_t api_version) noexcept;

// A request frame's payload split into its header and its body bytes (not yet decoded, so a
// broker can look at api_key/api_version before choosing a decoder). body points into payload.
struct ParsedRequest {
  RequestHeader header;
  std::span<const uint8_t> body;
};
// Errors: truncated, invalid_length (client_id). Unknown keys and versions parse fine here.
Result<ParsedRequest> parse_request(std::span<const uint8_t> payload);

struct ParsedResponse {
  ResponseHeader header;
  std::span<const uint8_t> body;
};
// Errors: truncated.
Result<ParsedResponse> parse_response(std::span<const uint8_t> payload);

}  // namespace meridian::protocol
