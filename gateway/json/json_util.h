#pragma once
// Shared helpers of the JSON layer: no-throw parsing, typed field access that turns a wrong type
// into 422 (as Jackson's mapping errors do in kafka-rest), unknown-field rejection
// ("Unrecognized field: X"), and ISO-8601 timestamps. Pure functions.

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/errc.h"

namespace meridian::gateway::json {

using Json = nlohmann::json;

// Parses a request body. Malformed JSON is 400 (rest-utils JsonParseExceptionMapper); a body that
// is not an object is 422 when `require_object`.
ApiResult<Json> parse_body(std::string_view body, bool require_object = true);

// 422 "Unrecognized field: X" for the first key of `obj` not in `known`.
ApiResult<void> reject_unknown(const Json& obj, std::initializer_list<std::string_view> known);

// Field readers: a missing or null field gives nullopt; a wrong type gives 422 naming the field.
ApiResult<std::optional<std::string>> get_string(const Json& obj, std::string_view field);
ApiResult<std::optional<int64_t>> get_int(const Json& obj, std::string_view field, int64_t min,
                                          int64_t max);
// Booleans as JSON true/false or the strings "true"/"false" (kafka-rest takes strings).
ApiResult<std::optional<bool>> get_bool(const Json& obj, std::string_view field);

// A required array field; missing or null gives 422 "<field> may not be null".
ApiResult<const Json*> get_array(const Json& obj, std::string_view field);

// ISO-8601 date-time with seconds, optional fraction and a zone (Z, +hh:mm, +hhmm). Epoch ms.
std::optional<int64_t> parse_iso8601(std::string_view text);
// "2021-02-05T19:14:42Z", or with ".123" when the millisecond part is not zero (Java Instant).
std::string format_iso8601(int64_t epoch_ms);

// Kafka's legal topic names: 1..249 of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(std::string_view name);

}  // namespace meridian::gateway::json
