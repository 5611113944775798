#pragma once
// PartitionPipeline: the send-side bookkeeping of one partition of a Producer, pure logic (no
// sockets, no coroutines) so it is unit-tested alone. It decides which sealed batch goes out
// next, keeps up to `max_in_flight` of them in flight (Kafka's
// max.in.flight.requests.per.connection), assigns idempotent sequence numbers and classifies
// each answer as Kafka's Java client and librdkafka do:
//   - DUPLICATE_SEQUENCE_NUMBER is a success (the broker already has the batch);
//   - OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID on a batch that is not the next one
//     the broker expects only mean an earlier batch failed: retried, same sequence;
//   - on the next expected batch they are a real gap: the batch fails and the producer id is
//     reset (KIP-360's "bump and re-sequence"), later batches get new sequences under it;
//   - a retriable error stops new sends until every in-flight batch has answered; then the
//     failed batches go back to the front, in their original order, and are re-sent from the
//     first failed one onward (a retry never overtakes nor reorders with idempotence).
//   - request timeouts are retried only with idempotence (without it they may duplicate).
//
// Worked example (idempotent, max_in_flight 5): batches A(seq 0, 3 records), B(3), C(6) in
// flight; A gets NOT_LEADER, B and C get OUT_OF_ORDER: once C answered, A, B, C are ready
// again in that order with the same sequences, sent after a backoff and a metadata refresh.
//
// Threading: none; the Producer uses it from the Client's executor only.

#include <cstdint>
#include <deque>
#include <optional>
#include <system_error>
#include <vector>

namespace meridian::client::detail {

// The producer id and epoch batches are stamped with; `generation` changes on every reset.
struct ProducerIdentity {
  int64_t producer_id = -1;
  int16_t epoch = -1;
  uint64_t generation = 0;
  bool valid() const noexcept { return producer_id >= 0; }
};

// What the caller must stamp into a batch before sending it (sequence -1 without idempotence).
struct Dispatch {
  uint64_t batch = 0;
  int64_t producer_id = -1;
  int16_t epoch = -1;
  int32_t base_sequence = -1;
  bool restamp = true;  // the bytes must be stamped with these fields (else already are)
};

enum class Verdict {
  kAcked,     // complete the batch's records with success
  kFailed,    // complete them with the error
  kRetrying,  // back in the pipeline; nothing to tell the records yet
};

struct ResponseAction {
  Verdict verdict = Verdict::kAcked;
  // Every in-flight batch answered and some wait for a retry: back off, refresh metadata,
  // then call resume().
  bool retry_due = false;
  // The producer id must be replaced (InitProducerId again) before this partition sends more.
  bool reset_producer_id = false;
};

// Adds `n` to a sequence number, wrapping at INT32_MAX as Kafka does.
int32_t advance_sequence(int32_t sequence, int32_t n) noexcept;

class PartitionPipeline {
 public:
  PartitionPipeline(int max_in_flight, bool idempotent, int max_retries);

  // A sealed batch of `records` records, sent after every batch enqueued before it.
  void enqueue(uint64_t batch, int32_t records);
  // The next batch to send now, or nothing (window full, retry pending, no producer id yet).
  // With idempotence, a pipeline whose identity generation differs from `current` first
  // waits for its in-flight batches, then restarts its sequences at 0 under `current`.
  std::optional<Dispatch> next(const ProducerIdentity& current);
  // The answer for in-flight `batch`: empty `error` is success.
  ResponseAction on_response(uint64_t batch, const std::error_code& error);
  // After the backoff that followed retry_due: re-queue the failed batches in order.
  void resume();
  // Removes every batch not in flight (nor awaiting a retry) and returns their ids, oldest
  // first: the producer fails them when it cannot get a producer id.
  std::vector<uint64_t> take_queued();

  size_t in_flight() const noexcept { return in_flight_.size(); }
  size_t queued() const noexcept { return ready_.size(); }
  bool retry_pending() const noexcept { return retry_pending_; }
  int32_t next_sequence() const noexcept { return next_sequence_; }

 private:
  struct Entry {
    uint64_t batch = 0;
    int32_t records = 0;
    int64_t producer_id = -1;
    int16_t epoch = -1;
    int32_t base_sequence = -1;
    uint64_t generation = 0;
    int attempts = 0;
    bool stamped = false;  // the bytes carry this entry's producer id/epoch/sequence
  };
  enum class Kind { kSuccess, kRetriable, kGap, kFatal };
  Kind classify(const Entry& entry, const std::error_code& error) const;
  ResponseAction finish(ResponseAction action);

  int max_in_flight_;
  bool idempotent_;
  int max_retries_;
  std::deque<Entry> ready_;
  std::deque<Entry> in_flight_;  // in send order
  std::vector<Entry> failed_;    // answered with a retriable error, in send order
  bool retry_pending_ = false;   // stop sending until in-flight drains and resume() runs
  int32_t next_sequence_ = 0;
  int32_t acked_sequence_ = 0;   // the sequence the broker expects next (after the last ack)
  uint64_t generation_ = 0;      // of the identity our sequences belong to
  bool has_generation_ = false;
};

}  // namespace meridian::client::detail
