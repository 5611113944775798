#pragma once
// Produce (key 0), v0-8. Records are carried as raw RecordBatch bytes; validating them is the
// broker's job (cluster/record), not the codec's.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

struct ProduceResponse {
  static constexpr ApiKey kApiKey = ApiKey::kProduce;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 8;

  struct RecordError {  // v8+ (KIP-467)
    int32_t batch_index = 0;
    std::optional<std::string> batch_index_error_message;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(batch_index);
      io.field(batch_index_error_message);
    }
    friend bool operator==(const RecordError&, const RecordError&) = default;
  };
  struct Partition {
    int32_t index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    int64_t base_offset = -1;
    int64_t log_append_time_ms = -1;           // v2+
    int64_t log_start_offset = -1;             // v5+
    std::vector<RecordError> record_errors;    // v8+
    std::optional<std::string> error_message;  // v8+
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(index);
      io.field(error_code);
      io.field(base_offset);
      if (v >= 2) {
        io.field(log_append_time_ms);
      }
      if (v >= 5) {
        io.field(log_start_offset);
      }
      if (v >= 8) {
        io.array(record_errors, v);
        io.field(error_message);
      }
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

  std::vector<Topic> responses;
  int32_t throttle_time_ms = 0;  // v1+ (after the responses, unlike most APIs)

  template <class Io>
  void io(Io& io, int16_t v) {
    io.array(responses, v);
    if (v >= 1) {
      io.field(throttle_time_ms);
    }
  }
  friend bool operator==(const ProduceResponse&, const ProduceResponse&) = default;
};

// RecordsT is Records (owning) or RecordsView (decoded in place; see ProduceRequestView).
template <class RecordsT>
struct BasicProduceRequest {
  static constexpr ApiKey kApiKey = ApiKey::kProduce;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 8;
  using Response = ProduceResponse;

  struct Partition {
    int32_t index = 0;
    RecordsT records;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(index);
      io.records(records);
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

  std::optional<std::string> transactional_id;  // v3+
  int16_t acks = -1;
  int32_t timeout_ms = 30000;
  std::vector<Topic> topics;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 3) {
      io.field(transactional_id);
    }
    io.field(acks);
    io.field(timeout_ms);
    io.array(topics, v);
  }
  friend bool operator==(const BasicProduceRequest&, const BasicProduceRequest&) = default;
};

using ProduceRequest = BasicProduceRequest<Records>;
// Records point into the decoded buffer, which must outlive the view: the broker's produce path
// decodes this way so batches are not copied before they are validated and appended.
using ProduceRequestView = BasicProduceRequest<RecordsView>;

}  // namespace meridian::protocol
