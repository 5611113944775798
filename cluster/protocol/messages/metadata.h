#pragma once
// Metadata (key 3), v0-8.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

// Kafka's "authorized operations not requested" sentinel (INT32_MIN).
inline constexpr int32_t kAuthorizedOperationsOmitted = -2147483647 - 1;

struct MetadataResponse {
  static constexpr ApiKey kApiKey = ApiKey::kMetadata;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 8;

  struct Broker {
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;  // v1+
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(node_id);
      io.field(host);
      io.field(port);
      if (v >= 1) {
        io.field(rack);
      }
    }
    friend bool operator==(const Broker&, const Broker&) = default;
  };
  struct Partition {
    ErrorCode error_code = ErrorCode::kNone;
    int32_t partition_index = 0;
    int32_t leader_id = -1;
    int32_t leader_epoch = -1;  // v7+
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas;  // v5+
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(error_code);
      io.field(partition_index);
      io.field(leader_id);
      if (v >= 7) {
        io.field(leader_epoch);
      }
      io.array(replica_nodes, v);
      io.array(isr_nodes, v);
      if (v >= 5) {
        io.array(offline_replicas, v);
      }
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    ErrorCode error_code = ErrorCode::kNone;
    std::string name;
    bool is_internal = false;  // v1+
    std::vector<Partition> partitions;
    int32_t topic_authorized_operations = kAuthorizedOperationsOmitted;  // v8+
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(error_code);
      io.field(name);
      if (v >= 1) {
        io.field(is_internal);
      }
      io.array(partitions, v);
      if (v >= 8) {
        io.field(topic_authorized_operations);
      }
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;  // v2+
  int32_t controller_id = -1;             // v1+
  std::vector<Topic> topics;
  int32_t cluster_authorized_operations = kAuthorizedOperationsOmitted;  // v8+

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 3) {
      io.field(throttle_time_ms);
    }
    io.array(brokers, v);
    if (v >= 2) {
      io.field(cluster_id);
    }
    if (v >= 1) {
      io.field(controller_id);
    }
    io.array(topics, v);
    if (v >= 8) {
      io.field(cluster_authorized_operations);
    }
  }
  friend bool operator==(const MetadataResponse&, const MetadataResponse&) = default;
};

struct MetadataRequest {
  static constexpr ApiKey kApiKey = ApiKey::kMetadata;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 8;
  using Response = MetadataResponse;

  struct Topic {
    std::string name;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(name);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  // nullopt = all topics. v0 cannot say null: an empty array there means all topics, so v0
  // decodes [] as nullopt and encodes nullopt as [].
  std::optional<std::vector<Topic>> topics;
  bool allow_auto_topic_creation = true;               // v4+
  bool include_cluster_authorized_operations = false;  // v8+
  bool include_topic_authorized_operations = false;    // v8+

  template <class Io>
  void io(Io& io, int16_t v) {
    io.array(topics, v, v >= 1 ? Nullable::kYes : Nullable::kNo);
    if constexpr (Io::kIsReader) {
      if (v == 0 && topics && topics->empty()) {
        topics.reset();
      }
    }
    if (v >= 4) {
      io.field(allow_auto_topic_creation);
    }
    if (v >= 8) {
      io.field(include_cluster_authorized_operations);
      io.field(include_topic_authorized_operations);
    }
  }
  friend bool operator==(const MetadataRequest&, const MetadataRequest&) = default;
};

}  // namespace meridian::protocol
