#pragma once
// ProducerStateTable: the idempotent-producer state of one partition replica, as Kafka's
// ProducerStateManager keeps it (KIP-98). Per producer id: the current producer epoch and the
// last kMaxCachedBatches batches appended for it, each as (first seq, last seq, first offset,
// last offset). The leader validates client batches against it (duplicates, gaps, fencing);
// leader and followers record every appended batch, so a new leader after a failover dedups
// the retries of batches its predecessor acknowledged. After a restart or a truncation the
// table is rebuilt by replaying the batch headers of the log (Partition does that).
//
// Worked example: producer 7 epoch 0 appends seq 0..4 at offsets 100..104, then seq 5..9 at
// 105..109. A retry of seq 5..9 is a duplicate: acknowledged at base offset 105, not appended.
// seq 12..13 is a gap (expected 10): OUT_OF_ORDER_SEQUENCE_NUMBER. Epoch 1 with seq 0 starts a
// new run and forgets the cached batches; a later batch with epoch 0 is fenced.
//
// Threading: none; the owning Partition uses it from its strand only.

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "cluster/record/batch_view.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::replication {

struct ProducerIdTag {};
using ProducerId = StrongId<ProducerIdTag, int64_t>;

// Errors of the sequence checks; the broker maps them to Kafka error codes.
enum class producer_errc {
  ok = 0,
  out_of_order_sequence,   // OUT_OF_ORDER_SEQUENCE_NUMBER: a gap, or a new epoch not at seq 0
  invalid_producer_epoch,  // INVALID_PRODUCER_EPOCH: an epoch older than the producer's
  unknown_producer_id,     // UNKNOWN_PRODUCER_ID: no state for the producer, sequence not 0
  multiple_batches,        // INVALID_RECORD: an idempotent produce must carry one batch
};

const std::error_category& producer_error_category() noexcept;

inline std::error_code make_error_code(producer_errc e) noexcept {
  return {static_cast<int>(e), producer_error_category()};
}

// One batch as the table remembers it.
struct ProducerBatch {
  int32_t first_seq = 0;
  int32_t last_seq = 0;
  Offset first_offset{0};
  Offset last_offset{0};
  bool operator==(const ProducerBatch&) const = default;
};

struct ProducerEntry {
  int16_t epoch = -1;
  std::deque<ProducerBatch> batches;  // oldest first, at most kMaxCachedBatches
  int64_t last_append_ms = -1;        // wall clock of the newest record() (expiry)
};

// The producer fields of a batch header, read without decoding records.
struct ProducerBatchHeader {
  ProducerId producer_id{-1};
  int16_t epoch = -1;
  int32_t first_seq = -1;
  int32_t last_seq = -1;
  Offset first_offset{0};
  Offset last_offset{0};

  static ProducerBatchHeader of(const record::BatchView& batch);
  bool idempotent() const noexcept { return producer_id.value >= 0; }
};

class ProducerStateTable {
 public:
  // Kafka's ProducerStateEntry.NumBatchesToRetain = the producer's max.in.flight bound.
  static constexpr size_t kMaxCachedBatches = 5;

  // Leader check of one client batch before it is appended (Kafka's findDuplicateBatch, then
  // checkProducerEpoch and checkSequence). Returns the earlier batch when `batch` repeats one of
  // the cached ones (acknowledge it with that batch's offsets and do not append), nullopt when
  // it may be appended. Errors: producer_errc.
  Result<std::optional<ProducerBatch>> check(const ProducerBatchHeader& batch) const;

  // Records an appended batch at its offsets (leader after its append, follower, replay).
  // Never fails and checks nothing: the log is the truth. A batch whose epoch differs from the
  // entry's (older only after an unclean history) resets the entry to it, as Kafka's
  // maybeUpdateProducerEpoch does for replication.
  // `now_ms` is the local wall clock: client timestamps are not trusted for expiry.
  void record(const ProducerBatchHeader& batch, int64_t now_ms);
  // record() of every idempotent batch in `batches` (whole v2 batches with their offsets set).
  // Returns the offset after the last batch seen (nullopt when none parsed).
  std::optional<Offset> record_all(std::span<const uint8_t> batches, int64_t now_ms);

  // Drops what refers to offsets >= end. Returns false when an entry lost batches, so its
  // state can no longer be told from the table alone: the caller rebuilds from the log.
  bool truncate_tail(Offset end);
  // Retention moved the log start: producers whose last batch is below it are forgotten (the
  // next batch of such a producer gets UNKNOWN_PRODUCER_ID unless it starts at sequence 0).
  void truncate_head(Offset log_start);
  // Forgets producers not appended to for `max_age_ms` (Kafka's producer.id.expiration.ms).
  size_t expire(int64_t now_ms, int64_t max_age_ms);
  void clear() { producers_.clear(); }

  const ProducerEntry* find(ProducerId id) const;
  size_t size() const noexcept { return producers_.size(); }

  // Snapshot file body (docs/formats/producer_snapshot.md): version, CRC32C, then per producer
  // its id, epoch, last append time and cached batches (so duplicates stay detectable after a
  // restart). Big-endian, entries sorted by producer id, so equal tables encode equally.
  std::vector<uint8_t> encode_snapshot() const;
  // Errors: log::errc::corrupt_checkpoint (short, wrong version, CRC mismatch, bad counts).
  static Result<ProducerStateTable> decode_snapshot(std::span<const uint8_t> bytes);

 private:
  std::unordered_map<int64_t, ProducerEntry> producers_;
};

}  // namespace meridian::replication

template <>
struct std::is_error_code_enum<meridian::replication::producer_errc> : std::true_type {};
