#pragma once
// v2 and v3 produce: request parse and response render (REST-API.md b.3 and b.5). Pure; the
// route runs parse, then the cluster produce call, then render.

#include <string>
#include <string_view>
#include <vector>

#include "gateway/errc.h"
#include "gateway/json/json_util.h"
#include "gateway/model.h"

namespace meridian::gateway::json {

enum class ProduceTarget : uint8_t {
  kTopic,      // POST /topics/{t}: records may carry "partition"
  kPartition,  // POST /topics/{t}/partitions/{p}: no per-record partition field
};

// Parses a v2 produce body in `format` (from the Content-Type). Binary keys/values must be
// canonical base64 (422/42203 otherwise); json ones are kept as their serialized JSON text.
// avro/jsonschema/protobuf answer 42201/42202 when a schema is missing, else 501 (no registry).
ApiResult<ProduceRequest> parse_produce_request(std::string_view body, EmbeddedFormat format,
                                                ProduceTarget target);
// The same through the JSON DOM only (what parse_produce_request falls back to).
ApiResult<ProduceRequest> parse_produce_request_dom(std::string_view body, EmbeddedFormat format,
                                                    ProduceTarget target);
// The binary body's common shape, scanned without a DOM (produce_fast.cc); nullopt for anything
// else, including every invalid body, so the DOM path keeps the error answers.
std::optional<ProduceRequest> parse_binary_produce_fast(std::string_view body,
                                                        ProduceTarget target);

// {"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}],"key_schema_id":null,
//  "value_schema_id":null} -- field order and explicit nulls as kafka-rest emits them.
std::string render_produce_response(const ProduceResponse& response);

// ---- v3 ----
struct DeliveryReport {
  std::string cluster_id;
  std::string topic_name;
  PartitionId partition;
  Offset offset;
  int64_t timestamp_ms = -1;            // -1: rendered as null
  std::optional<std::string> key_type;  // "BINARY", "JSON", "STRING"; nullopt: no key
  size_t key_size = 0;
  std::optional<std::string> value_type;
  size_t value_size = 0;
};

// A parsed v3 record remembers the `type` of key and value for its delivery report.
struct V3ProduceRecord {
  ProduceRecord record;
  std::optional<std::string> key_type;
  std::optional<std::string> value_type;
};

// POST /v3/clusters/{c}/topics/{t}/records. Errors are 400 with the v3 message text.
ApiResult<V3ProduceRecord> parse_v3_record(std::string_view body);
ApiResult<V3ProduceRecord> parse_v3_record_json(const nlohmann::json& obj);

std::string render_delivery_report(const DeliveryReport& report);

// records:batch entries. The batch itself fails (42208) when empty, over `max_entries`, or on
// ids that are not 1..80 characters or not distinct; a bad record fails only its entry.
struct BatchEntry {
  std::string id;
  ApiResult<V3ProduceRecord> record;
};
ApiResult<std::vector<BatchEntry>> parse_v3_batch(std::string_view body, size_t max_entries);

struct BatchOutcome {
  std::string id;
  std::optional<DeliveryReport> report;  // set: success
  ApiError error;                        // used when !report
};
// HTTP 207 body: {"successes":[{"id":..., <delivery report>}], "failures":[{"id":...,
// "error_code":400,"message":...}]}.
std::string render_v3_batch_response(const std::vector<BatchOutcome>& outcomes);

}  // namespace meridian::gateway::json
