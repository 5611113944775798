#pragma once
// Plain structs between the JSON layer (json/*.h: parse and render, pure) and the cluster client
// calls. They own their bytes (std::string) so a parsed request can outlive the HTTP buffer and
// be moved into an async cluster call. Keys and values are raw bytes: base64 is already decoded
// and embedded JSON is already serialized text.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "gateway/content_type.h"

namespace meridian::gateway {

struct Header {
  std::string name;
  std::optional<std::string> value;  // bytes; null allowed by Kafka
};

// ---- produce (v2 and v3) ----
struct ProduceRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt: a tombstone
  std::optional<PartitionId> partition;
  std::vector<Header> headers;
  std::optional<int64_t> timestamp_ms;
};

struct ProduceRequest {
  EmbeddedFormat format = EmbeddedFormat::kBinary;
  std::vector<ProduceRecord> records;
  std::optional<std::string> key_schema;
  std::optional<std::string> value_schema;
  std::optional<int32_t> key_schema_id;
  std::optional<int32_t> value_schema_id;
};

// One record's outcome. On error partition/offset are null and error_code is 40101, 40301,
// 50002 or 50003 (what kafka-rest's AbstractProduceAction emits; docs/api.rst's legacy 1/2).
struct ProduceOffset {
  std::optional<PartitionId> partition;
  std::optional<Offset> offset;
  std::optional<int32_t> error_code;
  std::optional<std::string> error;
};

struct ProduceResponse {
  std::vector<ProduceOffset> offsets;
  std::optional<int32_t> key_schema_id;
  std::optional<int32_t> value_schema_id;
};

// ---- v2 consumers ----
enum class OffsetReset : uint8_t { kEarliest, kLatest, kNone };

struct ConsumerCreateRequest {
  std::optional<std::string> name;  // `name`, or the deprecated `id`
  EmbeddedFormat format = EmbeddedFormat::kBinary;
  std::optional<OffsetReset> auto_offset_reset;
  std::optional<bool> auto_commit_enable;
  std::optional<int32_t> fetch_min_bytes;     // alias responseMinBytes
  std::optional<int32_t> request_timeout_ms;  // consumer.request.timeout.ms, alias requestWaitMs
};

struct ConsumerCreateResponse {
  std::string instance_id;
  std::string base_uri;
};

struct Subscription {
  std::vector<std::string> topics;
  std::optional<std::string> topic_pattern;
};

struct TopicPartition {
  std::string topic;
  PartitionId partition;
};

struct TopicPartitionOffset {
  std::string topic;
  PartitionId partition;
  Offset offset;
  std::string metadata;
};

struct TopicPartitionTimestamp {
  std::string topic;
  PartitionId partition;
  int64_t timestamp_ms = 0;
  std::string metadata;
};

// POST .../positions: either list may be empty, not both.
struct SeekRequest {
  std::vector<TopicPartitionOffset> offsets;
  std::vector<TopicPartitionTimestamp> timestamps;
};

struct ConsumedRecord {
  std::string topic;
  std::optional<std::string> key;
  std::optional<std::string> value;
  PartitionId partition;
  Offset offset;
  int64_t timestamp_ms = -1;  // -1: none; rendered as null
  std::vector<Header> headers;
};

// POST .../offsets: an empty body (commit_all) commits everything fetched so far.
struct CommitOffsetsRequest {
  bool commit_all = false;
  std::vector<TopicPartitionOffset> offsets;
};

struct CommitResult {
  std::string topic;
  PartitionId partition;
  Offset consumed;
  Offset committed;
};

// ---- v2 metadata ----
struct ReplicaInfo {
  BrokerId broker;
  bool leader = false;
  bool in_sync = false;
};

struct PartitionInfo {
  PartitionId partition;
  BrokerId leader{-1};  // -1: no leader
  std::vector<ReplicaInfo> replicas;
};

struct TopicInfo {
  std::string name;
  std::vector<std::pair<std::string, std::string>> configs;
  std::vector<PartitionInfo> partitions;
};

struct PartitionOffsets {
  Offset beginning;
  Offset end;
};

}  // namespace meridian::gateway
