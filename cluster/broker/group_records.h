#pragma once
// The records of __consumer_offsets in Kafka's own formats (GroupMetadataManager), so Kafka's
// tools can read the topic (docs/formats/consumer_offsets.md):
//   offset commit:  key v1 {group, topic, partition}  value v3 {offset, leader_epoch, metadata,
//                   commit_timestamp}  (values v0-v2 are read too)
//   group metadata: key v2 {group}  value v3 {protocol_type, generation, protocol, leader,
//                   current_state_timestamp, members[...]}  (values v0-v2 are read too)
// A null value is a tombstone (offset deleted, group deleted).
// Also: which offsets partition a group lives in (Kafka's abs(String.hashCode) % N).
// Pure functions; no state.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "cluster/broker/group_types.h"
#include "common/result.h"

namespace meridian::broker {

inline constexpr const char* kConsumerOffsetsTopic = "__consumer_offsets";

// Java's String.hashCode over the UTF-16 code units of `s` (given in UTF-8).
int32_t java_string_hash(std::string_view s) noexcept;
// Kafka's GroupMetadataManager.partitionFor: Utils.abs(groupId.hashCode) % partitions.
int32_t offsets_partition_for(std::string_view group_id, int32_t partitions) noexcept;

struct OffsetKey {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  bool operator==(const OffsetKey&) const = default;
};
struct GroupKey {
  std::string group;
  bool operator==(const GroupKey&) const = default;
};

GroupBytes encode_offset_key(const OffsetKey& key);
GroupBytes encode_offset_value(const CommittedOffset& value);
GroupBytes encode_group_key(const GroupKey& key);
GroupBytes encode_group_value(const GroupMetadata& value);

// One decoded record of the topic. Errors: std::errc::bad_message for a malformed key or value
// (the loader skips such records: another writer's format must not stop the load).
using OffsetsRecordKey = std::variant<OffsetKey, GroupKey>;
Result<OffsetsRecordKey> decode_offsets_key(std::span<const uint8_t> key);
Result<CommittedOffset> decode_offset_value(std::span<const uint8_t> value);
Result<GroupMetadata> decode_group_value(std::span<const uint8_t> value);

// What a coordinator rebuilds from one offsets partition: the latest group metadata per group
// (nullopt after a tombstone) and the latest committed offset per group, topic and partition.
struct OffsetsReplay {
  using OffsetMap = std::map<std::pair<std::string, int32_t>, CommittedOffset>;
  std::map<std::string, std::optional<GroupMetadata>> groups;
  std::map<std::string, OffsetMap> offsets;
  size_t records = 0;
  size_t skipped = 0;  // undecodable records (logged by the caller, never fatal)
};

// Applies the records of consecutive RecordBatch v2 batches in log order. Control batches are
// ignored; a batch that fails its CRC or decoding counts as skipped.
void replay_offsets_batches(std::span<const uint8_t> batches, OffsetsReplay& out);

}  // namespace meridian::broker
