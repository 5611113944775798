#pragma once
// Fetch (key 1), v0-11. Followers set replica_id to their broker id; consumers use -1.
// Response records stay a separate byte vector per partition so a broker can splice them into
// a gather write (encode_response_frame(..., Splicing::kYes)) instead of copying.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

// RecordsT is Records (owning) or RecordsView (decoded in place; see FetchResponseView).
template <class RecordsT>
struct BasicFetchResponse {
  static constexpr ApiKey kApiKey = ApiKey::kFetch;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 11;

  struct AbortedTransaction {  // v4+
    int64_t producer_id = 0;
    int64_t first_offset = 0;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(producer_id);
      io.field(first_offset);
    }
    friend bool operator==(const AbortedTransaction&, const AbortedTransaction&) = default;
  };
  struct Partition {
    int32_t partition_index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;                                      // v4+
    int64_t log_start_offset = -1;                                        // v5+
    std::optional<std::vector<AbortedTransaction>> aborted_transactions;  // v4+
    int32_t preferred_read_replica = -1;                                  // v11+
    RecordsT records;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(partition_index);
      io.field(error_code);
      io.field(high_watermark);
      if (v >= 4) {
        io.field(last_stable_offset);
      }
      if (v >= 5) {
        io.field(log_start_offset);
      }
      if (v >= 4) {
        io.array(aborted_transactions, v);
      }
      if (v >= 11) {
        io.field(preferred_read_replica);
      }
      io.records(records);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(topic);
      io.array(partitions, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  int32_t throttle_time_ms = 0;             // v1+
  ErrorCode error_code = ErrorCode::kNone;  // v7+ (fetch session errors)
  int32_t session_id = 0;                   // v7+
  std::vector<Topic> responses;

  template <class Io>
  void io(Io& io, int16_t v) {
    if (v >= 1) {
      io.field(throttle_time_ms);
    }
    if (v >= 7) {
      io.field(error_code);
      io.field(session_id);
    }
    io.array(responses, v);
  }
  friend bool operator==(const BasicFetchResponse&, const BasicFetchResponse&) = default;
};

using FetchResponse = BasicFetchResponse<Records>;
// Records point into the decoded buffer, which must outlive the view: followers and mirror
// links decode this way and append the batches without an extra copy.
using FetchResponseView = BasicFetchResponse<RecordsView>;

struct FetchRequest {
  static constexpr ApiKey kApiKey = ApiKey::kFetch;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 11;
  using Response = FetchResponse;

  struct Partition {
    int32_t partition = 0;
    int32_t current_leader_epoch = -1;  // v9+
    int64_t fetch_offset = 0;
    int64_t log_start_offset = -1;  // v5+ (followers only)
    int32_t partition_max_bytes = 0;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(partition);
      if (v >= 9) {
        io.field(current_leader_epoch);
      }
      io.field(fetch_offset);
      if (v >= 5) {
        io.field(log_start_offset);
      }
      io.field(partition_max_bytes);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(topic);
      io.array(partitions, v);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  struct ForgottenTopic {  // v7+
    std::string topic;
    std::vector<int32_t> partitions;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(topic);
      io.array(partitions, v);
    }
    friend bool operator==(const ForgottenTopic&, const ForgottenTopic&) = default;
  };

  int32_t replica_id = -1;
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = 0x7fffffff;  // v3+
  int8_t isolation_level = 0;      // v4+: 0 read_uncommitted, 1 read_committed
  int32_t session_id = 0;          // v7+
  int32_t session_epoch = -1;      // v7+
  std::vector<Topic> topics;
  std::vector<ForgottenTopic> forgotten_topics_data;  // v7+
  std::string rack_id;                                // v11+

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(replica_id);
    io.field(max_wait_ms);
    io.field(min_bytes);
    if (v >= 3) {
      io.field(max_bytes);
    }
    if (v >= 4) {
      io.field(isolation_level);
    }
    if (v >= 7) {
      io.field(session_id);
      io.field(session_epoch);
    }
    io.array(topics, v);
    if (v >= 7) {
      io.array(forgotten_topics_data, v);
    }
    if (v >= 11) {
      io.field(rack_id);
    }
  }
  friend bool operator==(const FetchRequest&, const FetchRequest&) = default;
};

}  // namespace meridian::protocol
