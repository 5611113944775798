#pragma once
// The one table that maps gateway error kinds to an HTTP status, a Confluent REST Proxy
// `error_code` and a message (kafka-rest Errors.java, rest-utils exception mappers), and the
// render of the `{"error_code":..., "message":...}` body. Pure functions, no allocation beyond
// the body string; safe on any thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/errc.h"

namespace meridian::gateway {

struct ErrorSpec {
  errc kind;
  unsigned status;           // HTTP status
  int32_t error_code;        // Confluent error_code (5 digits, or the 3-digit status)
  std::string_view message;  // default text (Confluent's where it has one)
};

// Never fails: an unknown kind maps to the `internal` row.
const ErrorSpec& error_spec(errc kind) noexcept;

// Content-Type of error bodies: the v2 type, as Confluent sends for v2 and for unknown routes.
inline constexpr std::string_view kErrorContentType = "application/vnd.kafka.v2+json";
// v3 endpoints answer errors in plain JSON.
inline constexpr std::string_view kV3ContentType = "application/json";

// {"error_code":40401,"message":"Topic not found."}. A non-empty detail replaces the message.
std::string render_error_body(errc kind, std::string_view detail = {});
inline std::string render_error_body(const ApiError& e) {
  return render_error_body(e.kind, e.detail);
}

// Appends `s` to `out` as a JSON string literal (quotes included), escaping per RFC 8259.
void append_json_string(std::string& out, std::string_view s);

}  // namespace meridian::gateway
