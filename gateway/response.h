#pragma once
// Building Beast responses for handlers: JSON bodies with the negotiated Content-Type and error
// responses from the http_errors table. Pure; no I/O.

#include <string>
#include <string_view>

#include "gateway/errc.h"
#include "gateway/router.h"

namespace meridian::gateway {

Response make_response(http::status status, std::string body, std::string_view content_type,
                       unsigned version = 11);

// The error's status and `{"error_code","message"}` body. v3 paths (`/v3/...`) get
// application/json, everything else application/vnd.kafka.v2+json, as kafka-rest does.
Response make_error_response(const ApiError& error, const Request& request);
Response make_error_response(const ApiError& error, unsigned version, bool v3);

inline bool is_v3_target(std::string_view target) {
  return target.starts_with("/v3/") || target == "/v3" || target.starts_with("/kafka/v3/");
}

}  // namespace meridian::gateway
