// PartitionPipeline (detail/producer_pipeline.h): which batch goes next, sequence numbers and
// the classification of produce answers, as Kafka's Java producer does (Sender and
// TransactionManager), for idempotent and plain producers alike.
#include "cluster/client/detail/producer_pipeline.h"

#include <algorithm>
#include <climits>

#include "cluster/client/errc.h"

namespace meridian::client::detail {

using protocol::ErrorCode;

int32_t advance_sequence(int32_t sequence, int32_t n) noexcept {
  const int64_t next = static_cast<int64_t>(sequence) + n;
  return next > INT32_MAX ? static_cast<int32_t>(next - INT32_MAX - 1)
                          : static_cast<int32_t>(next);
}

PartitionPipeline::PartitionPipeline(int max_in_flight, bool idempotent, int max_retries)
    : max_in_flight_(std::max(1, max_in_flight)),
      idempotent_(idempotent),
      max_retries_(std::max(0, max_retries)) {}

void PartitionPipeline::enqueue(uint64_t batch, int32_t records) {
  Entry entry;
  entry.batch = batch;
  entry.records = records;
  ready_.push_back(entry);
}

std::optional<Dispatch> PartitionPipeline::next(const ProducerIdentity& current) {
  if (retry_pending_ || ready_.empty()) {
    return std::nullopt;
  }
  if (idempotent_) {
    if (!current.valid()) {
      return std::nullopt;
    }
    if (!has_generation_ || generation_ != current.generation) {
      // Sequences belong to one producer id: switch only once the old id has nothing in flight.
      if (!in_flight_.empty()) {
        return std::nullopt;
      }
      generation_ = current.generation;
      has_generation_ = true;
      next_sequence_ = 0;
      acked_sequence_ = 0;
      for (auto& e : ready_) {
        e.base_sequence = -1;
        e.stamped = false;
      }
    }
  }
  if (in_flight_.size() >= static_cast<size_t>(max_in_flight_)) {
    return std::nullopt;
  }
  Entry entry = ready_.front();
  ready_.pop_front();
  if (idempotent_ && entry.base_sequence < 0) {
    entry.producer_id = current.producer_id;
    entry.epoch = current.epoch;
    entry.generation = current.generation;
    entry.base_sequence = next_sequence_;
    next_sequence_ = advance_sequence(next_sequence_, entry.records);
  }
  ++entry.attempts;
  Dispatch d{entry.batch, entry.producer_id, entry.epoch, entry.base_sequence, !entry.stamped};
  entry.stamped = true;
  in_flight_.push_back(entry);
  return d;
}

PartitionPipeline::Kind PartitionPipeline::classify(const Entry& entry,
                                                    const std::error_code& error) const {
  if (!error) {
    return Kind::kSuccess;
  }
  const auto kafka = as_kafka_error(error);
  if (kafka == ErrorCode::kDuplicateSequenceNumber && idempotent_) {
    return Kind::kSuccess;
  }
  if (idempotent_) {
    if (kafka == ErrorCode::kOutOfOrderSequenceNumber || kafka == ErrorCode::kUnknownProducerId) {
      // Only the batch the broker should accept next proves a real gap; a later one just
      // follows an earlier batch that failed and will be re-sent first.
      const bool next_expected =
          entry.generation == generation_ && entry.base_sequence == acked_sequence_;
      return next_expected ? Kind::kGap : Kind::kRetriable;
    }
    // The broker deduplicates, so answers that leave the outcome unknown are safe to retry.
    if (error == errc::request_timeout || kafka == ErrorCode::kRequestTimedOut ||
        kafka == ErrorCode::kNotEnoughReplicasAfterAppend) {
      return Kind::kRetriable;
    }
  }
  return is_retriable(error) ? Kind::kRetriable : Kind::kFatal;
}

ResponseAction PartitionPipeline::on_response(uint64_t batch, const std::error_code& error) {
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                         [batch](const Entry& e) { return e.batch == batch; });
  if (it == in_flight_.end()) {
    return finish({Verdict::kFailed, false, false});  // not ours: nothing to track
  }
  Entry entry = *it;
  in_flight_.erase(it);
  ResponseAction action;
  Kind kind = classify(entry, error);
  if (kind == Kind::kRetriable && entry.attempts > max_retries_) {
    kind = Kind::kFatal;
  }
  switch (kind) {
    case Kind::kSuccess:
      if (idempotent_ && entry.generation == generation_) {
        acked_sequence_ = advance_sequence(entry.base_sequence, entry.records);
      }
      action.verdict = Verdict::kAcked;
      break;
    case Kind::kRetriable:
      failed_.push_back(entry);
      retry_pending_ = true;
      action.verdict = Verdict::kRetrying;
      break;
    case Kind::kGap:
    case Kind::kFatal:
      // With idempotence a lost batch leaves a hole the broker will never fill: later batches
      // are re-numbered under a new producer id (epoch bump in KIP-360).
      action.verdict = Verdict::kFailed;
      action.reset_producer_id = idempotent_;
      break;
  }
  return finish(action);
}

ResponseAction PartitionPipeline::finish(ResponseAction action) {
  action.retry_due = retry_pending_ && in_flight_.empty();
  return action;
}

void PartitionPipeline::resume() {
  if (!retry_pending_ || !in_flight_.empty()) {
    return;
  }
  retry_pending_ = false;
  // Batch ids grow with enqueue order: the oldest failed batch goes out first.
  std::sort(failed_.begin(), failed_.end(),
            [](const Entry& a, const Entry& b) { return a.batch < b.batch; });
  ready_.insert(ready_.begin(), failed_.begin(), failed_.end());
  failed_.clear();
}

std::vector<uint64_t> PartitionPipeline::take_queued() {
  std::vector<uint64_t> ids;
  for (const auto& e : ready_) {
    ids.push_back(e.batch);
  }
  ready_.clear();
  return ids;
}

}  // namespace meridian::client::detail
