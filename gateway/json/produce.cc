#include "gateway/json/produce.h"

#include <charconv>
#include <unordered_set>

#include "gateway/base64.h"
#include "gateway/http_errors.h"

namespace meridian::gateway::json {
namespace {

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_opt_int(std::string& out, std::optional<int64_t> v) {
  if (v) {
    append_int(out, *v);
  } else {
    out.append("null");
  }
}

std::string record_field(size_t index, std::string_view field) {
  return "records[" + std::to_string(index) + "]." + std::string(field);
}

// Key or value of a v2 record: base64 bytes (binary) or any JSON serialized (json format).
ApiResult<std::optional<std::string>> embedded_data(const Json& rec, std::string_view field,
                                                    EmbeddedFormat format, size_t index) {
  auto it = rec.find(field);
  if (it == rec.end() || it->is_null()) {
    return std::optional<std::string>{};
  }
  if (format == EmbeddedFormat::kJson) {
    return std::optional<std::string>(it->dump());
  }
  if (!it->is_string()) {
    return api_error(errc::unprocessable, "Cannot deserialize " + record_field(index, field) +
                                              ": expected a base64 string");
  }
  auto bytes = base64_decode(it->get_ref<const std::string&>());
  if (!bytes) {
    return api_error(errc::json_conversion,
                     "Conversion of JSON to Object failed: " + record_field(index, field) +
                         " is not a valid base64 string");
  }
  return std::optional<std::string>(std::move(*bytes));
}

ApiResult<ProduceRecord> parse_v2_record(const Json& rec, EmbeddedFormat format,
                                         ProduceTarget target, size_t index) {
  if (!rec.is_object()) {
    return api_error(errc::unprocessable,
                     "records[" + std::to_string(index) + "] must be an object");
  }
  auto known = target == ProduceTarget::kTopic ? reject_unknown(rec, {"key", "value", "partition"})
                                               : reject_unknown(rec, {"key", "value"});
  if (!known) {
    return known.error();
  }
  ProduceRecord out;
  auto key = embedded_data(rec, "key", format, index);
  if (!key) {
    return key.error();
  }
  out.key = std::move(*key);
  auto value = embedded_data(rec, "value", format, index);
  if (!value) {
    return value.error();
  }
  out.value = std::move(*value);
  auto partition = get_int(rec, "partition", 0, INT32_MAX);
  if (!partition) {
    return partition.error();
  }
  if (*partition) {
    out.partition = PartitionId(static_cast<int32_t>(**partition));
  }
  return out;
}

// Schema-based formats need a registry Meridian does not have yet. Check what Confluent checks
// first (42201/42202) so clients see the same code for a missing schema either way.
ApiResult<void> check_schema_format(const ProduceRequest& r) {
  bool any_key = false;
  bool any_value = false;
  for (const auto& rec : r.records) {
    any_key |= rec.key.has_value();
    any_value |= rec.value.has_value();
  }
  if (any_key && !r.key_schema && !r.key_schema_id) {
    return api_error(errc::key_schema_missing);
  }
  if (any_value && !r.value_schema && !r.value_schema_id) {
    return api_error(errc::value_schema_missing);
  }
  return api_error(errc::schema_registry_required);
}

ApiResult<void> parse_schema_fields(const Json& body, ProduceRequest& out) {
  auto ks = get_string(body, "key_schema");
  auto vs = get_string(body, "value_schema");
  auto kid = get_int(body, "key_schema_id", 0, INT32_MAX);
  auto vid = get_int(body, "value_schema_id", 0, INT32_MAX);
  if (!ks) return ks.error();
  if (!vs) return vs.error();
  if (!kid) return kid.error();
  if (!vid) return vid.error();
  out.key_schema = std::move(*ks);
  out.value_schema = std::move(*vs);
  if (*kid) out.key_schema_id = static_cast<int32_t>(**kid);
  if (*vid) out.value_schema_id = static_cast<int32_t>(**vid);
  return {};
}

}  // namespace

ApiResult<ProduceRequest> parse_produce_request(std::string_view text, EmbeddedFormat format,
                                                ProduceTarget target) {
  if (format == EmbeddedFormat::kBinary) {
    if (auto fast = parse_binary_produce_fast(text, target)) {
      return std::move(*fast);
    }
  }
  return parse_produce_request_dom(text, format, target);
}

ApiResult<ProduceRequest> parse_produce_request_dom(std::string_view text, EmbeddedFormat format,
                                                    ProduceTarget target) {
  auto body = parse_body(text);
  if (!body) {
    return body.error();
  }
  if (auto k = reject_unknown(
          *body, {"records", "key_schema", "key_schema_id", "value_schema", "value_schema_id"});
      !k) {
    return k.error();
  }
  auto records = get_array(*body, "records");
  if (!records) {
    return records.error();
  }
  if ((*records)->empty()) {
    return api_error(errc::unprocessable, "records may not be empty");
  }
  ProduceRequest out;
  out.format = format;
  if (auto s = parse_schema_fields(*body, out); !s) {
    return s.error();
  }
  // Schema formats embed JSON values in the request; binary would mis-decode them.
  EmbeddedFormat data_format =
      format == EmbeddedFormat::kBinary ? EmbeddedFormat::kBinary : EmbeddedFormat::kJson;
  out.records.reserve((*records)->size());
  size_t index = 0;
  for (const auto& rec : **records) {
    auto r = parse_v2_record(rec, data_format, target, index++);
    if (!r) {
      return r.error();
    }
    out.records.push_back(std::move(*r));
  }
  if (format != EmbeddedFormat::kBinary && format != EmbeddedFormat::kJson) {
    return check_schema_format(out).error();
  }
  return out;
}

std::string render_produce_response(const ProduceResponse& response) {
  std::string out;
  out.reserve(64 + response.offsets.size() * 64);
  out.append("{\"offsets\":[");
  bool first = true;
  for (const auto& o : response.offsets) {
    out.append(first ? "{\"partition\":" : ",{\"partition\":");
    first = false;
    append_opt_int(out, o.partition ? std::optional<int64_t>(o.partition->value) : std::nullopt);
    out.append(",\"offset\":");
    append_opt_int(out, o.offset ? std::optional<int64_t>(o.offset->value) : std::nullopt);
    out.append(",\"error_code\":");
    append_opt_int(out, o.error_code ? std::optional<int64_t>(*o.error_code) : std::nullopt);
    out.append(",\"error\":");
    if (o.error) {
      append_json_string(out, *o.error);
    } else {
      out.append("null");
    }
    out.push_back('}');
  }
  out.append("],\"key_schema_id\":");
  append_opt_int(out, response.key_schema_id);
  out.append(",\"value_schema_id\":");
  append_opt_int(out, response.value_schema_id);
  out.push_back('}');
  return out;
}

}  // namespace meridian::gateway::json
