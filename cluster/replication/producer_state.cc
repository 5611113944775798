#include "cluster/replication/producer_state.h"

#include <algorithm>
#include <limits>
#include <string>

namespace meridian::replication {
namespace {

class ProducerCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.producer"; }
  std::string message(int value) const override {
    switch (static_cast<producer_errc>(value)) {
      case producer_errc::ok:
        return "ok";
      case producer_errc::out_of_order_sequence:
        return "out of order sequence number for the producer";
      case producer_errc::invalid_producer_epoch:
        return "producer epoch is older than the producer's current epoch (fenced)";
      case producer_errc::unknown_producer_id:
        return "no state for the producer id and the sequence is not 0 (its records may have "
               "been removed by retention)";
      case producer_errc::multiple_batches:
        return "an idempotent produce must hold exactly one record batch per partition";
    }
    return "unknown producer error";
  }
};

// Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from INT32_MAX to 0.
int32_t increment_sequence(int32_t seq, int32_t delta) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  if (seq > kMax - delta) {
    return delta - (kMax - seq) - 1;
  }
  return seq + delta;
}

bool in_sequence(int32_t last_seq, int32_t next_seq) {
  return (last_seq != std::numeric_limits<int32_t>::max() && next_seq == last_seq + 1) ||
         (next_seq == 0 && last_seq == std::numeric_limits<int32_t>::max());
}

}  // namespace

const std::error_category& producer_error_category() noexcept {
  static const ProducerCategory category;
  return category;
}

ProducerBatchHeader ProducerBatchHeader::of(const record::BatchView& batch) {
  ProducerBatchHeader h;
  h.producer_id = ProducerId(batch.producer_id());
  h.epoch = batch.producer_epoch();
  h.first_seq = batch.base_sequence();
  h.last_seq = h.first_seq < 0
                   ? h.first_seq
                   : increment_sequence(h.first_seq, std::max(0, batch.last_offset_delta()));
  h.first_offset = batch.base_offset();
  h.last_offset = batch.last_offset();
  return h;
}

Result<std::optional<ProducerBatch>> ProducerStateTable::check(
    const ProducerBatchHeader& batch) const {
  if (!batch.idempotent()) {
    return std::optional<ProducerBatch>();
  }
  auto it = producers_.find(batch.producer_id.value);
  if (it == producers_.end()) {
    // Kafka 2.x (before KIP-360 let brokers accept any sequence here): a producer we hold no
    // state for may only start at sequence 0; otherwise its earlier records are gone.
    if (batch.first_seq != 0) {
      return make_error_code(producer_errc::unknown_producer_id);
    }
    return std::optional<ProducerBatch>();
  }
  const ProducerEntry& entry = it->second;
  if (batch.epoch == entry.epoch) {
    for (const auto& cached : entry.batches) {
      if (cached.first_seq == batch.first_seq && cached.last_seq == batch.last_seq) {
        return std::optional<ProducerBatch>(cached);
      }
    }
  }
  if (batch.epoch < entry.epoch) {
    return make_error_code(producer_errc::invalid_producer_epoch);
  }
  if (batch.epoch != entry.epoch) {
    // A bumped epoch restarts the sequence.
    if (batch.first_seq != 0) {
      return make_error_code(producer_errc::out_of_order_sequence);
    }
    return std::optional<ProducerBatch>();
  }
  // An entry without batches (its batches were truncated away) accepts any sequence, like
  // Kafka's entry with no epoch.
  if (!entry.batches.empty() && !in_sequence(entry.batches.back().last_seq, batch.first_seq)) {
    return make_error_code(producer_errc::out_of_order_sequence);
  }
  return std::optional<ProducerBatch>();
}

void ProducerStateTable::record(const ProducerBatchHeader& batch, int64_t now_ms) {
  if (!batch.idempotent()) {
    return;
  }
  ProducerEntry& entry = producers_[batch.producer_id.value];
  if (entry.epoch != batch.epoch) {
    entry.batches.clear();
    entry.epoch = batch.epoch;
  }
  entry.batches.push_back(
      ProducerBatch{batch.first_seq, batch.last_seq, batch.first_offset, batch.last_offset});
  while (entry.batches.size() > kMaxCachedBatches) {
    entry.batches.pop_front();
  }
  entry.last_append_ms = std::max(entry.last_append_ms, now_ms);
}

std::optional<Offset> ProducerStateTable::record_all(std::span<const uint8_t> batches,
                                                     int64_t now_ms) {
  std::optional<Offset> end;
  while (!batches.empty()) {
    auto view = record::BatchView::parse(batches);
    if (!view) {
      break;  // the log validated these bytes; a torn tail cannot reach here
    }
    record(ProducerBatchHeader::of(*view), now_ms);
    end = view->next_offset();
    batches = batches.subspan(view->size_bytes());
  }
  return end;
}

bool ProducerStateTable::truncate_tail(Offset end) {
  bool exact = true;
  for (auto it = producers_.begin(); it != producers_.end();) {
    auto& batches = it->second.batches;
    size_t before = batches.size();
    while (!batches.empty() && batches.back().last_offset >= end) {
      batches.pop_back();
    }
    if (batches.size() != before) {
      exact = false;
    }
    if (batches.empty()) {
      it = producers_.erase(it);
    } else {
      ++it;
    }
  }
  return exact;
}

void ProducerStateTable::truncate_head(Offset log_start) {
  std::erase_if(producers_, [log_start](const auto& kv) {
    return kv.second.batches.empty() || kv.second.batches.back().last_offset < log_start;
  });
}

size_t ProducerStateTable::expire(int64_t now_ms, int64_t max_age_ms) {
  return std::erase_if(producers_, [now_ms, max_age_ms](const auto& kv) {
    return kv.second.last_append_ms >= 0 && now_ms - kv.second.last_append_ms > max_age_ms;
  });
}

const ProducerEntry* ProducerStateTable::find(ProducerId id) const {
  auto it = producers_.find(id.value);
  return it == producers_.end() ? nullptr : &it->second;
}

}  // namespace meridian::replication
