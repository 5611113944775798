#pragma once
// Meridian-internal requests of the cross-DC mirror (DESIGN.md §6, docs/mirror.md). Their keys
// lie outside Kafka's range and are never advertised in ApiVersions (supported_apis.h keeps them
// in a separate internal table), so Kafka clients never see them.
//
// MirrorAppend (key 1000), v0: the mirror process sends one partition's source batches to the
// target leader, which appends them at the source's offsets (Partition::append_mirror_as_leader)
// and answers once they are replicated (acks=all). Fenced by the topic's link epoch.
// MirrorState (key 1001), v0: reads or writes a topic's mirror state (/mirrors/<topic> in the
// target's coordination store): link, state, link epoch, DC epoch, per-partition offsets.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct MirrorAppendResponse {
  static constexpr ApiKey kApiKey = ApiKey::kMirrorAppend;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;

  ErrorCode error_code = ErrorCode::kNone;
  std::optional<std::string> error_message;
  // The target's log end after the append (or now, on error): the mirror resumes from it.
  int64_t log_end_offset = -1;
  int64_t high_watermark = -1;
  int64_t log_start_offset = -1;

  template <class Io>
  void io(Io& io, int16_t) {
    io.field(error_code);
    io.field(error_message);
    io.field(log_end_offset);
    io.field(high_watermark);
    io.field(log_start_offset);
  }
  friend bool operator==(const MirrorAppendResponse&, const MirrorAppendResponse&) = default;
};

struct MirrorAppendRequest {
  static constexpr ApiKey kApiKey = ApiKey::kMirrorAppend;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;
  using Response = MirrorAppendResponse;

  std::string link_name;
  int32_t link_epoch = 0;
  std::string topic;
  int32_t partition = 0;
  // >= 0: an empty target log first restarts at this offset (the source's log start is past 0).
  int64_t reset_log_start = -1;
  // >= 0: the leader first truncates its log to this offset (failback drops a divergent suffix
  // that the mirror has already saved elsewhere). Records only when the log ends above it.
  int64_t truncate_to = -1;
  int32_t timeout_ms = 30000;
  Records records;  // whole RecordBatch v2 batches; the first must start at the target's LEO

  template <class Io>
  void io(Io& io, int16_t) {
    io.field(link_name);
    io.field(link_epoch);
    io.field(topic);
    io.field(partition);
    io.field(reset_log_start);
    io.field(truncate_to);
    io.field(timeout_ms);
    io.records(records);
  }
  friend bool operator==(const MirrorAppendRequest&, const MirrorAppendRequest&) = default;
};

// One topic's mirror state. `state` is "" (not a mirror: a normal writable topic), "active",
// "paused", "promoted", "failed-over" or "fenced" (the old primary after a failover: read-only).
struct MirrorStateRecord {
  std::string link_name;
  std::string state;
  int32_t link_epoch = 0;
  int32_t dc_epoch = 0;
  std::string source_cluster;
  std::string source_topic;
  // Per partition: the offset up to which the topic is a copy of the source (the divergence
  // point recorded at failover; -1 unknown).
  std::vector<int64_t> partition_offsets;

  template <class Io>
  void io(Io& io, int16_t) {
    io.field(link_name);
    io.field(state);
    io.field(link_epoch);
    io.field(dc_epoch);
    io.field(source_cluster);
    io.field(source_topic);
    io.array(partition_offsets, 0);
  }
  friend bool operator==(const MirrorStateRecord&, const MirrorStateRecord&) = default;
};

struct MirrorStateResponse {
  static constexpr ApiKey kApiKey = ApiKey::kMirrorState;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;

  ErrorCode error_code = ErrorCode::kNone;
  std::optional<std::string> error_message;
  int8_t exists = 0;
  MirrorStateRecord record;
  int32_t version = -1;  // the node's version, for compare-and-set

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(error_code);
    io.field(error_message);
    io.field(exists);
    record.io(io, v);
    io.field(version);
  }
  friend bool operator==(const MirrorStateResponse&, const MirrorStateResponse&) = default;
};

struct MirrorStateRequest {
  static constexpr ApiKey kApiKey = ApiKey::kMirrorState;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;
  using Response = MirrorStateResponse;

  std::string topic;
  int8_t write = 0;               // 0: read; 1: write `record`
  int32_t expected_version = -1;  // write: compare-and-set (-1 any; -2 must not exist)
  MirrorStateRecord record;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(topic);
    io.field(write);
    io.field(expected_version);
    record.io(io, v);
  }
  friend bool operator==(const MirrorStateRequest&, const MirrorStateRequest&) = default;
};

}  // namespace meridian::protocol
