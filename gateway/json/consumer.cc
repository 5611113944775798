#include "gateway/json/consumer.h"

#include "gateway/base64.h"
#include "gateway/http_errors.h"
#include "gateway/json/json_util.h"

namespace meridian::gateway::json {
namespace {

ApiError invalid_config(std::string detail) {
  return api_error(errc::invalid_consumer_config, "Invalid consumer configuration: " + detail);
}

ApiResult<TopicPartition> parse_topic_partition(const Json& j, std::string_view list,
                                                std::initializer_list<std::string_view> known) {
  if (!j.is_object()) {
    return api_error(errc::unprocessable, std::string(list) + " entries must be objects");
  }
  if (auto k = reject_unknown(j, known); !k) {
    return k.error();
  }
  auto topic = get_string(j, "topic");
  if (!topic) {
    return topic.error();
  }
  auto partition = get_int(j, "partition", 0, INT32_MAX);
  if (!partition) {
    return partition.error();
  }
  if (!*topic || !*partition) {
    return api_error(errc::unprocessable, std::string(list) + " entries need topic and partition");
  }
  return TopicPartition{std::move(**topic), PartitionId(static_cast<int32_t>(**partition))};
}

ApiResult<TopicPartitionOffset> parse_offset_entry(const Json& j) {
  auto tp = parse_topic_partition(j, "offsets", {"topic", "partition", "offset", "metadata"});
  if (!tp) {
    return tp.error();
  }
  auto offset = get_int(j, "offset", 0, INT64_MAX);
  if (!offset) {
    return offset.error();
  }
  if (!*offset) {
    return api_error(errc::unprocessable, "offsets entries need an offset");
  }
  auto metadata = get_string(j, "metadata");
  if (!metadata) {
    return metadata.error();
  }
  return TopicPartitionOffset{std::move(tp->topic), tp->partition, Offset(**offset),
                              metadata->value_or("")};
}

ApiResult<TopicPartitionTimestamp> parse_timestamp_entry(const Json& j) {
  auto tp = parse_topic_partition(j, "timestamps", {"topic", "partition", "timestamp", "metadata"});
  if (!tp) {
    return tp.error();
  }
  auto ts = get_string(j, "timestamp");
  if (!ts) {
    return ts.error();
  }
  auto ms = *ts ? parse_iso8601(**ts) : std::nullopt;
  if (!ms) {
    return api_error(errc::unprocessable, "timestamps entries need an ISO-8601 timestamp");
  }
  auto metadata = get_string(j, "metadata");
  if (!metadata) {
    return metadata.error();
  }
  return TopicPartitionTimestamp{std::move(tp->topic), tp->partition, *ms, metadata->value_or("")};
}

ApiResult<std::vector<TopicPartitionOffset>> parse_offset_list(const Json& body) {
  std::vector<TopicPartitionOffset> out;
  auto list = get_array(body, "offsets");
  if (!list) {
    return list.error();
  }
  for (const auto& e : **list) {
    auto o = parse_offset_entry(e);
    if (!o) {
      return o.error();
    }
    out.push_back(std::move(*o));
  }
  return out;
}

ApiResult<void> parse_create_options(const Json& j, ConsumerCreateRequest& out) {
  auto format = get_string(j, "format");
  if (!format) return format.error();
  if (*format && !parse_format_name(**format, out.format)) {
    return invalid_config("format must be one of binary, json, avro, jsonschema, protobuf");
  }
  auto reset = get_string(j, "auto.offset.reset");
  if (!reset) return reset.error();
  if (*reset) {
    const std::string& r = **reset;
    if (r == "earliest" || r == "smallest") {
      out.auto_offset_reset = OffsetReset::kEarliest;
    } else if (r == "latest" || r == "largest") {
      out.auto_offset_reset = OffsetReset::kLatest;
    } else if (r == "none") {
      out.auto_offset_reset = OffsetReset::kNone;
    } else {
      return invalid_config("auto.offset.reset must be earliest, latest or none");
    }
  }
  auto commit = get_bool(j, "auto.commit.enable");
  if (!commit) {
    return invalid_config("auto.commit.enable must be true or false");
  }
  out.auto_commit_enable = *commit;
  // Aliases: kafka-rest's @JsonAlias names; the dotted name wins when both are given.
  for (auto [name, alias, target] :
       {std::tuple{"fetch.min.bytes", "responseMinBytes", &out.fetch_min_bytes},
        std::tuple{"consumer.request.timeout.ms", "requestWaitMs", &out.request_timeout_ms}}) {
    auto v = get_int(j, name, -1, INT32_MAX);
    auto a = get_int(j, alias, -1, INT32_MAX);
    if (!v || !a) {
      return invalid_config(!v ? v.error().detail : a.error().detail);
    }
    if (auto chosen = *v ? *v : *a) {
      *target = static_cast<int32_t>(*chosen);
    }
  }
  return {};
}

void append_topic_partition(std::string& out, const std::string& topic, PartitionId p) {
  out.append("{\"topic\":");
  append_json_string(out, topic);
  out.append(",\"partition\":" + std::to_string(p.value));
}

// One consumed record; `format` decides how key and value are embedded.
ApiResult<void> append_record(std::string& out, const ConsumedRecord& r, EmbeddedFormat format) {
  out.append("{\"topic\":");
  append_json_string(out, r.topic);
  for (auto [field, data] : {std::pair{",\"key\":", &r.key}, std::pair{",\"value\":", &r.value}}) {
    out.append(field);
    if (!*data) {
      out.append("null");
    } else if (format == EmbeddedFormat::kBinary) {
      out.push_back('"');
      base64_encode(**data, out);
      out.push_back('"');
    } else if (Json::accept(**data)) {
      out.append(**data);
    } else {
      return api_error(errc::kafka_error, "Kafka error: record at offset " +
                                              std::to_string(r.offset.value) +
                                              " is not valid JSON for the json format");
    }
  }
  out.append(",\"partition\":" + std::to_string(r.partition.value));
  out.append(",\"offset\":" + std::to_string(r.offset.value));
  out.append(",\"timestamp\":");
  out.append(r.timestamp_ms >= 0 ? std::to_string(r.timestamp_ms) : "null");
  out.append(",\"headers\":[");
  for (size_t i = 0; i < r.headers.size(); ++i) {
    out.append(i ? ",{\"key\":" : "{\"key\":");
    append_json_string(out, r.headers[i].name);
    out.append(",\"value\":");
    if (r.headers[i].value) {
      out.push_back('"');
      base64_encode(*r.headers[i].value, out);
      out.push_back('"');
    } else {
      out.append("null");
    }
    out.push_back('}');
  }
  out.append("]}");
  return {};
}

}  // namespace

ApiResult<ConsumerCreateRequest> parse_consumer_create(std::string_view text) {
  auto j = parse_body(text.empty() ? std::string_view("{}") : text);
  if (!j) {
    return j.error();
  }
  if (auto k = reject_unknown(
          *j, {"name", "id", "format", "auto.offset.reset", "auto.commit.enable", "fetch.min.bytes",
               "responseMinBytes", "consumer.request.timeout.ms", "requestWaitMs"});
      !k) {
    return k.error();
  }
  ConsumerCreateRequest out;
  auto name = get_string(*j, "name");
  auto id = get_string(*j, "id");
  if (!name) return name.error();
  if (!id) return id.error();
  out.name = *name ? std::move(*name) : std::move(*id);
  if (out.name && (out.name->empty() || out.name->size() > 255)) {
    return invalid_config("name must be 1 to 255 characters");
  }
  if (auto o = parse_create_options(*j, out); !o) {
    return o.error();
  }
  return out;
}

std::string render_consumer_create(const ConsumerCreateResponse& r) {
  std::string out = "{\"instance_id\":";
  append_json_string(out, r.instance_id);
  out.append(",\"base_uri\":");
  append_json_string(out, r.base_uri);
  out.push_back('}');
  return out;
}

ApiResult<Subscription> parse_subscription(std::string_view text) {
  auto j = parse_body(text);
  if (!j) {
    return j.error();
  }
  if (auto k = reject_unknown(*j, {"topics", "topic_pattern"}); !k) {
    return k.error();
  }
  Subscription out;
  auto pattern = get_string(*j, "topic_pattern");
  if (!pattern) {
    return pattern.error();
  }
  out.topic_pattern = std::move(*pattern);
  bool has_topics = j->contains("topics") && !(*j)["topics"].is_null();
  if (has_topics && out.topic_pattern) {
    return api_error(errc::illegal_state,
                     "Illegal state: Subscription to topics, partitions and pattern are mutually "
                     "exclusive.");
  }
  if (out.topic_pattern) {
    return out;
  }
  auto topics = get_array(*j, "topics");
  if (!topics) {
    return api_error(errc::unprocessable, "topics or topic_pattern must be given");
  }
  for (const auto& t : **topics) {
    if (!t.is_string()) {
      return api_error(errc::unprocessable, "topics must be an array of strings");
    }
    out.topics.push_back(t.get<std::string>());
  }
  if (out.topics.empty()) {
    return api_error(errc::unprocessable, "topics may not be empty");
  }
  return out;
}

std::string render_subscription(std::span<const std::string> topics) {
  std::string out = "{\"topics\":[";
  for (size_t i = 0; i < topics.size(); ++i) {
    if (i) out.push_back(',');
    append_json_string(out, topics[i]);
  }
  out.append("]}");
  return out;
}

ApiResult<std::vector<TopicPartition>> parse_partitions(std::string_view text) {
  if (text.empty()) {
    return api_error(errc::partition_not_found);
  }
  auto j = parse_body(text);
  if (!j) {
    return j.error();
  }
  if (auto k = reject_unknown(*j, {"partitions"}); !k) {
    return k.error();
  }
  auto list = get_array(*j, "partitions");
  if (!list) {
    return list.error();
  }
  std::vector<TopicPartition> out;
  out.reserve((*list)->size());
  for (const auto& e : **list) {
    auto tp = parse_topic_partition(e, "partitions", {"topic", "partition"});
    if (!tp) {
      return tp.error();
    }
    out.push_back(std::move(*tp));
  }
  return out;
}

std::string render_assignments(std::span<const TopicPartition> partitions) {
  std::string out = "{\"partitions\":[";
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (i) out.push_back(',');
    append_topic_partition(out, partitions[i].topic, partitions[i].partition);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

ApiResult<SeekRequest> parse_seek(std::string_view text) {
  auto j = parse_body(text);
  if (!j) {
    return j.error();
  }
  if (auto k = reject_unknown(*j, {"offsets", "timestamps"}); !k) {
    return k.error();
  }
  SeekRequest out;
  if (j->contains("offsets")) {
    auto offsets = parse_offset_list(*j);
    if (!offsets) {
      return offsets.error();
    }
    out.offsets = std::move(*offsets);
  }
  if (j->contains("timestamps")) {
    auto list = get_array(*j, "timestamps");
    if (!list) {
      return list.error();
    }
    for (const auto& e : **list) {
      auto t = parse_timestamp_entry(e);
      if (!t) {
        return t.error();
      }
      out.timestamps.push_back(std::move(*t));
    }
  }
  if (out.offsets.empty() && out.timestamps.empty()) {
    return api_error(errc::unprocessable, "offsets or timestamps must be given");
  }
  return out;
}

ApiResult<CommitOffsetsRequest> parse_commit_offsets(std::string_view text) {
  CommitOffsetsRequest out;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    out.commit_all = true;
    return out;
  }
  auto j = parse_body(text);
  if (!j) {
    return j.error();
  }
  if (auto k = reject_unknown(*j, {"offsets"}); !k) {
    return k.error();
  }
  auto offsets = parse_offset_list(*j);
  if (!offsets) {
    return offsets.error();
  }
  out.offsets = std::move(*offsets);
  return out;
}

std::string render_commit_offsets(std::span<const CommitResult> results) {
  std::string out = "[";
  for (size_t i = 0; i < results.size(); ++i) {
    if (i) out.push_back(',');
    append_topic_partition(out, results[i].topic, results[i].partition);
    out.append(",\"consumed\":" + std::to_string(results[i].consumed.value));
    out.append(",\"committed\":" + std::to_string(results[i].committed.value) + "}");
  }
  out.push_back(']');
  return out;
}

std::string render_committed_offsets(std::span<const TopicPartitionOffset> offsets) {
  std::string out = "{\"offsets\":[";
  for (size_t i = 0; i < offsets.size(); ++i) {
    if (i) out.push_back(',');
    append_topic_partition(out, offsets[i].topic, offsets[i].partition);
    out.append(",\"offset\":" + std::to_string(offsets[i].offset.value) + ",\"metadata\":");
    append_json_string(out, offsets[i].metadata);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

ApiResult<std::string> render_records(std::span<const ConsumedRecord> records,
                                      EmbeddedFormat format) {
  std::string out;
  size_t estimate = 2;
  for (const auto& r : records) {
    estimate += 96 + r.topic.size() + (r.key ? r.key->size() * 4 / 3 + 4 : 4) +
                (r.value ? r.value->size() * 4 / 3 + 4 : 4);
  }
  out.reserve(estimate);
  out.push_back('[');
  for (size_t i = 0; i < records.size(); ++i) {
    if (i) out.push_back(',');
    if (auto a = append_record(out, records[i], format); !a) {
      return a.error();
    }
  }
  out.push_back(']');
  return out;
}

}  // namespace meridian::gateway::json
