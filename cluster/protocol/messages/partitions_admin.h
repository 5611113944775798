#pragma once
// Partition administration: CreatePartitions (key 37) v0-1, DeleteRecords (key 21) v0-1.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct CreatePartitionsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kCreatePartitions;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct TopicResult {
    std::string name;
    ErrorCode error_code = ErrorCode::kNone;
    std::optional<std::string> error_message;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(name);
      io.field(error_code);
      io.field(error_message);
    }
    friend bool operator==(const TopicResult&, const TopicResult&) = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<TopicResult> results;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(throttle_time_ms);
    io.array(results, v);
  }
  friend bool operator==(const CreatePartitionsResponse&,
                         const CreatePartitionsResponse&) = default;
};

struct CreatePartitionsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kCreatePartitions;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  using Response = CreatePartitionsResponse;

  struct Assignment {
    std::vector<int32_t> broker_ids;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.array(broker_ids, v);
    }
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };
  struct Topic {
    std::string name;
    int32_t count = 0;  // the new total number of partitions
    std::optional<std::vector<Assignment>> assignments;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(name);
      io.field(count);
      io.array(assignments, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 30000;
  bool validate_only = false;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.array(topics, v);
    io.field(timeout_ms);
    io.field(validate_only);
  }
  friend bool operator==(const CreatePartitionsRequest&, const CreatePartitionsRequest&) = default;
};

struct DeleteRecordsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteRecords;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct Partition {
    int32_t partition_index = 0;
    int64_t low_watermark = -1;
    ErrorCode error_code = ErrorCode::kNone;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(partition_index);
      io.field(low_watermark);
      io.field(error_code);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(name);
      io.array(partitions, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(throttle_time_ms);
    io.array(topics, v);
  }
  friend bool operator==(const DeleteRecordsResponse&, const DeleteRecordsResponse&) = default;
};

struct DeleteRecordsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteRecords;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  using Response = DeleteRecordsResponse;

  struct Partition {
    int32_t partition_index = 0;
    int64_t offset = 0;  // delete everything below; -1 = the high watermark
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(partition_index);
      io.field(offset);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(name);
      io.array(partitions, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 30000;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.array(topics, v);
    io.field(timeout_ms);
  }
  friend bool operator==(const DeleteRecordsRequest&, const DeleteRecordsRequest&) = default;
};

}  // namespace meridian::protocol
