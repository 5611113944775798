// v3 produce record, delivery report and records:batch (REST-API.md b.5). Split from produce.cc
// to keep each file small; declared in produce.h.
#include <unordered_set>

#include "gateway/base64.h"
#include "gateway/http_errors.h"
#include "gateway/json/produce.h"

namespace meridian::gateway::json {
namespace {

constexpr size_t kMaxBatchIdLength = 80;

ApiError bad(std::string message) { return api_error(errc::bad_request, std::move(message)); }

struct V3Data {
  std::optional<std::string> bytes;
  std::optional<std::string> type;
};

// {"type": "BINARY"|"JSON"|"STRING", "data": ...}. Schema-based data needs a registry: 501.
ApiResult<V3Data> parse_v3_data(const Json& obj, std::string_view field) {
  V3Data out;
  if (obj.is_null()) {
    return out;
  }
  if (!obj.is_object()) {
    return bad("Bad Request: " + std::string(field) + " must be an object");
  }
  if (auto k = reject_unknown(obj, {"type", "data", "subject", "subject_name_strategy", "schema_id",
                                    "schema_version", "schema"});
      !k) {
    return bad(k.error().detail);
  }
  auto type_it = obj.find("type");
  if (type_it == obj.end() || type_it->is_null()) {
    return api_error(errc::schema_registry_required);
  }
  if (!type_it->is_string()) {
    return bad("Bad Request: " + std::string(field) + ".type must be a string");
  }
  const auto& type = type_it->get_ref<const std::string&>();
  out.type = type;
  auto data = obj.find("data");
  bool has_data = data != obj.end() && !data->is_null();
  if (type == "BINARY") {
    if (has_data) {
      auto bytes =
          data->is_string() ? base64_decode(data->get_ref<const std::string&>()) : std::nullopt;
      if (!bytes) {
        return bad("Bad Request: data=" + data->dump() + " is not a base64 string.");
      }
      out.bytes = std::move(*bytes);
    }
  } else if (type == "STRING") {
    if (has_data) {
      if (!data->is_string()) {
        return bad("Bad Request: data=" + data->dump() + " is not a string.");
      }
      out.bytes = data->get_ref<const std::string&>();
    }
  } else if (type == "JSON") {
    if (has_data) {
      out.bytes = data->dump();
    }
  } else if (type == "AVRO" || type == "JSONSCHEMA" || type == "PROTOBUF") {
    return api_error(errc::schema_registry_required);
  } else {
    return bad("Bad Request: unknown " + std::string(field) + ".type " + type);
  }
  return out;
}

ApiResult<std::vector<Header>> parse_headers(const Json& obj) {
  std::vector<Header> out;
  auto it = obj.find("headers");
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    return bad("Bad Request: headers must be an array");
  }
  out.reserve(it->size());
  for (const auto& h : *it) {
    if (!h.is_object() || !h.contains("name") || !h["name"].is_string()) {
      return bad("Bad Request: every header needs a string name");
    }
    if (auto k = reject_unknown(h, {"name", "value"}); !k) {
      return bad(k.error().detail);
    }
    Header header{h["name"].get<std::string>(), std::nullopt};
    auto v = h.find("value");
    if (v != h.end() && !v->is_null()) {
      auto bytes = v->is_string() ? base64_decode(v->get_ref<const std::string&>()) : std::nullopt;
      if (!bytes) {
        return bad("Bad Request: header " + header.name + " value is not a base64 string.");
      }
      header.value = std::move(*bytes);
    }
    out.push_back(std::move(header));
  }
  return out;
}

ApiResult<void> parse_v3_fields(const Json& obj, V3ProduceRecord& out) {
  auto partition = get_int(obj, "partition_id", 0, INT32_MAX);
  if (!partition) {
    return bad("Bad Request: " + partition.error().detail);
  }
  if (*partition) {
    out.record.partition = PartitionId(static_cast<int32_t>(**partition));
  }
  auto headers = parse_headers(obj);
  if (!headers) {
    return headers.error();
  }
  out.record.headers = std::move(*headers);
  if (auto ts = obj.find("timestamp"); ts != obj.end() && !ts->is_null()) {
    auto ms = ts->is_string() ? parse_iso8601(ts->get_ref<const std::string&>()) : std::nullopt;
    if (!ms) {
      return bad("Bad Request: timestamp must be an ISO-8601 date-time");
    }
    out.record.timestamp_ms = *ms;
  }
  for (const char* field : {"key", "value"}) {
    auto it = obj.find(field);
    if (it == obj.end()) {
      continue;
    }
    auto data = parse_v3_data(*it, field);
    if (!data) {
      return data.error();
    }
    bool is_key = field[0] == 'k';
    (is_key ? out.record.key : out.record.value) = std::move(data->bytes);
    (is_key ? out.key_type : out.value_type) = std::move(data->type);
  }
  return {};
}

void append_data_info(std::string& out, const std::optional<std::string>& type, size_t size) {
  if (!type) {
    out.append("null");
    return;
  }
  out.append("{\"type\":");
  append_json_string(out, *type);
  out.append(",\"size\":");
  out.append(std::to_string(size));
  out.push_back('}');
}

// The report's fields without the braces, so batch successes can prepend "id".
void append_report_fields(std::string& out, const DeliveryReport& r) {
  out.append("\"error_code\":200,\"cluster_id\":");
  append_json_string(out, r.cluster_id);
  out.append(",\"topic_name\":");
  append_json_string(out, r.topic_name);
  out.append(",\"partition_id\":" + std::to_string(r.partition.value));
  out.append(",\"offset\":" + std::to_string(r.offset.value));
  out.append(",\"timestamp\":");
  if (r.timestamp_ms >= 0) {
    append_json_string(out, format_iso8601(r.timestamp_ms));
  } else {
    out.append("null");
  }
  out.append(",\"key\":");
  append_data_info(out, r.key_type, r.key_size);
  out.append(",\"value\":");
  append_data_info(out, r.value_type, r.value_size);
}

}  // namespace

ApiResult<V3ProduceRecord> parse_v3_record_json(const Json& obj) {
  if (!obj.is_object()) {
    return bad("Bad Request: a record must be a JSON object");
  }
  if (auto k = reject_unknown(obj, {"partition_id", "headers", "key", "value", "timestamp"}); !k) {
    return bad(k.error().detail);
  }
  V3ProduceRecord out;
  if (auto f = parse_v3_fields(obj, out); !f) {
    return f.error();
  }
  return out;
}

ApiResult<V3ProduceRecord> parse_v3_record(std::string_view body) {
  auto j = parse_body(body);
  if (!j) {
    return bad(j.error().detail);
  }
  return parse_v3_record_json(*j);
}

std::string render_delivery_report(const DeliveryReport& report) {
  std::string out = "{";
  append_report_fields(out, report);
  out.push_back('}');
  return out;
}

ApiResult<std::vector<BatchEntry>> parse_v3_batch(std::string_view text, size_t max_entries) {
  auto body = parse_body(text);
  if (!body) {
    return body.error();
  }
  if (auto k = reject_unknown(*body, {"entries"}); !k) {
    return k.error();
  }
  auto entries = get_array(*body, "entries");
  if (!entries) {
    return entries.error();
  }
  if ((*entries)->empty()) {
    return api_error(errc::batch_error, "Empty batch.");
  }
  if ((*entries)->size() > max_entries) {
    return api_error(errc::batch_error, "Too many entries in batch.");
  }
  std::vector<BatchEntry> out;
  out.reserve((*entries)->size());
  std::unordered_set<std::string> ids;
  for (const auto& e : **entries) {
    auto id = e.is_object() ? e.find("id") : e.end();
    if (!e.is_object() || id == e.end() || !id->is_string()) {
      return api_error(errc::batch_error, "Batch entry id must be a string.");
    }
    const auto& s = id->get_ref<const std::string&>();
    if (s.empty() || s.size() > kMaxBatchIdLength) {
      return api_error(errc::batch_error, "Batch entry id must be 1 to 80 characters long.");
    }
    if (!ids.insert(s).second) {
      return api_error(errc::batch_error, "Batch entry IDs are not distinct.");
    }
    Json record = e;
    record.erase("id");
    out.push_back({s, parse_v3_record_json(record)});
  }
  return out;
}

std::string render_v3_batch_response(const std::vector<BatchOutcome>& outcomes) {
  std::string out = "{\"successes\":[";
  bool first = true;
  for (const auto& o : outcomes) {
    if (!o.report) {
      continue;
    }
    out.append(first ? "{\"id\":" : ",{\"id\":");
    first = false;
    append_json_string(out, o.id);
    out.push_back(',');
    append_report_fields(out, *o.report);
    out.push_back('}');
  }
  out.append("],\"failures\":[");
  first = true;
  for (const auto& o : outcomes) {
    if (o.report) {
      continue;
    }
    const ErrorSpec& spec = error_spec(o.error.kind);
    out.append(first ? "{\"id\":" : ",{\"id\":");
    first = false;
    append_json_string(out, o.id);
    out.append(",\"error_code\":" + std::to_string(spec.error_code) + ",\"message\":");
    append_json_string(out, o.error.detail.empty() ? spec.message : o.error.detail);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

}  // namespace meridian::gateway::json
