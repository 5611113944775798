#pragma once
// Error kinds of the gateway. Each maps, in http_errors.cc's one table, to an HTTP status, a
// Confluent `error_code` and a default message. Parse functions return ApiResult<T>: the value or
// an ApiError (a kind plus an optional detail that replaces the default message).

#include <boost/system/result.hpp>
#include <string>
#include <system_error>

namespace meridian::gateway {

enum class errc {
  ok = 0,
  // 400
  bad_request,                         // 400 / 400: malformed JSON, bad path, bad query value
  invalid_consumer_config_constraint,  // 400 / 40001
  kafka_bad_request,                   // 400 / 40002
  // 401 / 403
  kafka_authentication,  // 401 / 40101
  kafka_authorization,   // 403 / 40301
  // 404
  not_found,                    // 404 / 404: unknown route
  topic_not_found,              // 404 / 40401
  partition_not_found,          // 404 / 40402
  consumer_instance_not_found,  // 404 / 40403
  leader_not_available,         // 404 / 40404
  consumer_group_not_found,     // 404 / 40405
  // 405 / 406 / 408
  method_not_allowed,        // 405 / 405
  not_acceptable,            // 406 / 406: no Accept type the endpoint can produce
  consumer_format_mismatch,  // 406 / 40601
  request_timeout,           // 408 / 408
  // 409
  consumer_already_subscribed,  // 409 / 40901
  consumer_already_exists,      // 409 / 40902
  illegal_state,                // 409 / 40903
  // 413 / 415 / 431
  payload_too_large,        // 413 / 413
  unsupported_media_type,   // 415 / 415
  header_fields_too_large,  // 431 / 431
  // 422
  unprocessable,            // 422 / 422: generic validation (unknown field, empty records)
  key_schema_missing,       // 422 / 42201
  value_schema_missing,     // 422 / 42202
  json_conversion,          // 422 / 42203
  invalid_consumer_config,  // 422 / 42204
  invalid_schema,           // 422 / 42205
  invalid_payload,          // 422 / 42206
  serialization,            // 422 / 42207
  batch_error,              // 422 / 42208
  // 429
  too_many_requests,  // 429 / 42901
  // 5xx
  internal,                  // 500 / 500
  kafka_error,               // 500 / 50002
  kafka_retriable,           // 500 / 50003
  schema_registry_required,  // 501 / 501: avro/jsonschema/protobuf without a registry
  service_unavailable,       // 503 / 503: draining or not ready
  broker_not_available,      // 503 / 50302
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

// An error kind with an optional detail message. An empty detail means "use the table's text".
struct ApiError {
  errc kind = errc::internal;
  std::string detail;
};

inline ApiError api_error(errc kind, std::string detail = {}) { return {kind, std::move(detail)}; }

// boost::system::result calls this (found by ADL) only when value() is used on an error, which
// gateway code never does; it exists so ApiResult<T> is a complete type.
[[noreturn]] void throw_exception_from_error(const ApiError& e, const boost::source_location& loc);

template <class T>
using ApiResult = boost::system::result<T, ApiError>;

}  // namespace meridian::gateway

template <>
struct std::is_error_code_enum<meridian::gateway::errc> : std::true_type {};
