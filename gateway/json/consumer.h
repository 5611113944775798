#pragma once
// v2 consumer-instance bodies (REST-API.md b.4): create, subscription, assignments, positions,
// records, commit and committed offsets. Pure parse and render; errors as kafka-rest answers
// them (422 "Unrecognized field: X", 42204 invalid config, 40903 mixed subscription).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/errc.h"
#include "gateway/model.h"

namespace meridian::gateway::json {

ApiResult<ConsumerCreateRequest> parse_consumer_create(std::string_view body);
std::string render_consumer_create(const ConsumerCreateResponse& response);

// {"topics":[...]} or {"topic_pattern":"..."}; both => 40903, neither => 422.
ApiResult<Subscription> parse_subscription(std::string_view body);
std::string render_subscription(std::span<const std::string> topics);  // {"topics":[...]}

// {"partitions":[{"topic":"t","partition":0}]}: assignments, positions/beginning|end, and the
// body of GET .../offsets. Empty body (GET offsets) => 404/40402 as kafka-rest does.
ApiResult<std::vector<TopicPartition>> parse_partitions(std::string_view body);
std::string render_assignments(std::span<const TopicPartition> partitions);

// {"offsets":[{topic,partition,offset}], "timestamps":[{topic,partition,timestamp,metadata}]}.
ApiResult<SeekRequest> parse_seek(std::string_view body);

// POST .../offsets: empty body => commit_all.
ApiResult<CommitOffsetsRequest> parse_commit_offsets(std::string_view body);
// Bare array [{"topic","partition","consumed","committed"}] (CommitOffsetsResponse @JsonValue).
std::string render_commit_offsets(std::span<const CommitResult> results);
// {"offsets":[{"topic","partition","offset","metadata"}]}.
std::string render_committed_offsets(std::span<const TopicPartitionOffset> offsets);

// GET .../records: a bare JSON array. Binary keys/values are base64; json ones are spliced in as
// stored (they must be valid JSON, else 50002 as kafka-rest's deserializer fails). Meridian adds
// `timestamp` (epoch ms or null) and `headers` ([{"key","value"}], value base64).
ApiResult<std::string> render_records(std::span<const ConsumedRecord> records,
                                      EmbeddedFormat format);

}  // namespace meridian::gateway::json
