#include "cluster/protocol/header.h"

#include "cluster/protocol/reader.h"

namespace meridian::protocol {

int16_t request_header_version(ApiKey key, int16_t api_version) noexcept {
  // ControlledShutdown v0 predates client_id in the header; every other non-flexible request
  // uses header v1 (Kafka's ApiKeys.requestHeaderVersion).
  if (key == ApiKey::kControlledShutdown && api_version == 0) {
    return 0;
  }
  return 1;
}

Result<ParsedRequest> parse_request(std::span<const uint8_t> payload) {
  Reader reader(payload);
  ParsedRequest parsed;
  // api_key and api_version come first in every header version, so read them before choosing.
  reader.field(parsed.header.api_key);
  reader.field(parsed.header.api_version);
  reader.field(parsed.header.correlation_id);
  if (request_header_version(parsed.header.api_key, parsed.header.api_version) >= 1) {
    reader.field(parsed.header.client_id);
  }
  if (!reader.ok()) {
    return reader.error();
  }
  parsed.body = reader.rest();
  return parsed;
}

Result<ParsedResponse> parse_response(std::span<const uint8_t> payload) {
  Reader reader(payload);
  ParsedResponse parsed;
  parsed.header.io(reader, 0);
  if (!reader.ok()) {
    return reader.error();
  }
  parsed.body = reader.rest();
  return parsed;
}

}  // namespace meridian::protocol
