#pragma once
// Topic administration: CreateTopics (key 19) v0-4, DeleteTopics (key 20) v0-3.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct CreateTopicsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kCreateTopics;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;

  struct Topic {
    std::string name;
    ErrorCode error_code = ErrorCode::kNone;
    std::optional<std::string> error_message;  // v1+
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(name);
      io.field(error_code);
      if (v >= 1) {
        io.field(error_message);
      }
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  std::vector<Topic> topics;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 2) {
      io.field(throttle_time_ms);
    }
    io.array(topics, v);
  }
  friend bool operator==(const CreateTopicsResponse&, const CreateTopicsResponse&) = default;
};

struct CreateTopicsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kCreateTopics;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  using Response = CreateTopicsResponse;

  struct Assignment {
    int32_t partition_index = 0;
    std::vector<int32_t> broker_ids;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(partition_index);
      io.array(broker_ids, v);
    }
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(name);
      io.field(value);
    }
    friend bool operator==(const Config&, const Config&) = default;
  };
  struct Topic {
    std::string name;
    int32_t num_partitions = -1;      // -1: broker default (with assignments or v4+)
    int16_t replication_factor = -1;  // -1: broker default
    std::vector<Assignment> assignments;
    std::vector<Config> configs;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(name);
      io.field(num_partitions);
      io.field(replication_factor);
      io.array(assignments, v);
      io.array(configs, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;  // v1+

  template <class Io>
  void io(Io& io, int16_t v) {
    io.array(topics, v);
    io.field(timeout_ms);
    if (v >= 1) {
      io.field(validate_only);
    }
  }
  friend bool operator==(const CreateTopicsRequest&, const CreateTopicsRequest&) = default;
};

struct DeleteTopicsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteTopics;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct TopicResult {
    std::string name;
    ErrorCode error_code = ErrorCode::kNone;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(name);
      io.field(error_code);
    }
    friend bool operator==(const TopicResult&, const TopicResult&) = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  std::vector<TopicResult> responses;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 1) {
      io.field(throttle_time_ms);
    }
    io.array(responses, v);
  }
  friend bool operator==(const DeleteTopicsResponse&, const DeleteTopicsResponse&) = default;
};

struct DeleteTopicsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteTopics;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  using Response = DeleteTopicsResponse;

  std::vector<std::string> topic_names;
  int32_t timeout_ms = 30000;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.array(topic_names, v);
    io.field(timeout_ms);
  }
  friend bool operator==(const DeleteTopicsRequest&, const DeleteTopicsRequest&) = default;
};

}  // namespace meridian::protocol
