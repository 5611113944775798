#include "gateway/http_errors.h"

#include <array>
#include <charconv>
#include <stdexcept>

namespace meridian::gateway {
namespace {

// Order must follow `errc` so lookup is an index; a static_assert below checks every row.
constexpr std::array kTable = {
    ErrorSpec{errc::ok, 200, 200, "OK"},
    ErrorSpec{errc::bad_request, 400, 400, "Bad Request"},
    ErrorSpec{errc::invalid_consumer_config_constraint, 400, 40001,
              "Invalid consumer configuration. It does not abide by the constraints."},
    ErrorSpec{errc::kafka_bad_request, 400, 40002, "Bad Request"},
    ErrorSpec{errc::kafka_authentication, 401, 40101, "Authentication error."},
    ErrorSpec{errc::kafka_authorization, 403, 40301, "Authorization error."},
    ErrorSpec{errc::not_found, 404, 404, "HTTP 404 Not Found"},
    ErrorSpec{errc::topic_not_found, 404, 40401, "Topic not found."},
    ErrorSpec{errc::partition_not_found, 404, 40402, "Partition not found."},
    ErrorSpec{errc::consumer_instance_not_found, 404, 40403, "Consumer instance not found."},
    ErrorSpec{errc::leader_not_available, 404, 40404, "Leader not available."},
    ErrorSpec{errc::consumer_group_not_found, 404, 40405, "Consumer group id not found."},
    ErrorSpec{errc::method_not_allowed, 405, 405, "HTTP 405 Method Not Allowed"},
    ErrorSpec{errc::not_acceptable, 406, 406, "HTTP 406 Not Acceptable"},
    ErrorSpec{errc::consumer_format_mismatch, 406, 40601,
              "The requested embedded data format does not match the deserializer for this "
              "consumer instance"},
    ErrorSpec{errc::request_timeout, 408, 408, "Request Timeout"},
    ErrorSpec{errc::consumer_already_subscribed, 409, 40901,
              "Consumer cannot subscribe the the specified target because it has already "
              "subscribed to other topics."},
    ErrorSpec{errc::consumer_already_exists, 409, 40902,
              "Consumer with specified consumer ID already exists in the specified consumer "
              "group."},
    ErrorSpec{errc::illegal_state, 409, 40903, "Illegal state."},
    ErrorSpec{errc::payload_too_large, 413, 413, "Request entity too large."},
    ErrorSpec{errc::unsupported_media_type, 415, 415, "HTTP 415 Unsupported Media Type"},
    ErrorSpec{errc::header_fields_too_large, 431, 431, "Request header fields too large."},
    ErrorSpec{errc::unprocessable, 422, 422, "Unprocessable entity."},
    ErrorSpec{errc::key_schema_missing, 422, 42201,
              "Request includes keys but does not include key schema"},
    ErrorSpec{errc::value_schema_missing, 422, 42202,
              "Request includes values but does not include value schema"},
    ErrorSpec{errc::json_conversion, 422, 42203, "Conversion of JSON to Object failed."},
    ErrorSpec{errc::invalid_consumer_config, 422, 42204, "Invalid consumer configuration."},
    ErrorSpec{errc::invalid_schema, 422, 42205, "Invalid schema."},
    ErrorSpec{errc::invalid_payload, 422, 42206, "Payload error."},
    ErrorSpec{errc::serialization, 422, 42207, "Error serializing message."},
    ErrorSpec{errc::batch_error, 422, 42208, "Invalid batch."},
    ErrorSpec{errc::too_many_requests, 429, 42901, "Too many requests."},
    ErrorSpec{errc::internal, 500, 500, "Internal Server Error"},
    ErrorSpec{errc::kafka_error, 500, 50002, "Kafka error."},
    ErrorSpec{errc::kafka_retriable, 500, 50003, "Retriable Kafka error."},
    ErrorSpec{errc::schema_registry_required, 501, 501,
              "Embedded formats avro, jsonschema and protobuf need a schema registry, which "
              "this gateway does not have yet."},
    ErrorSpec{errc::service_unavailable, 503, 503, "Service unavailable."},
    ErrorSpec{errc::broker_not_available, 503, 50302, "Broker not available."},
};

constexpr bool table_in_order() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<size_t>(kTable[i].kind) != i) {
      return false;
    }
  }
  return static_cast<size_t>(errc::broker_not_available) + 1 == kTable.size();
}
static_assert(table_in_order(), "kTable rows must follow the order of enum errc");

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.gateway"; }
  std::string message(int value) const override {
    return std::string(error_spec(static_cast<errc>(value)).message);
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

void throw_exception_from_error(const ApiError& e, const boost::source_location&) {
  throw std::runtime_error(render_error_body(e));
}

const ErrorSpec& error_spec(errc kind) noexcept {
  auto i = static_cast<size_t>(kind);
  return i < kTable.size() ? kTable[i] : kTable[static_cast<size_t>(errc::internal)];
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // copy unescaped runs in one append
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      continue;
    }
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

std::string render_error_body(errc kind, std::string_view detail) {
  const ErrorSpec& spec = error_spec(kind);
  std::string_view message = detail.empty() ? spec.message : detail;
  std::string out;
  out.reserve(40 + message.size());
  out.append("{\"error_code\":");
  char digits[16];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, spec.error_code);
  out.append(digits, end);
  out.append(",\"message\":");
  append_json_string(out, message);
  out.push_back('}');
  return out;
}

}  // namespace meridian::gateway
