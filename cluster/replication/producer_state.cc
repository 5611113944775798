#include "cluster/replication/producer_state.h"

#include <algorithm>
#include <limits>
#include <string>

#include "cluster/log/errc.h"
#include "cluster/record/crc32c.h"
#include "common/byte_order.h"

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

// ---- snapshot codec ------------------------------------------------------------------------

namespace meridian::replication {
namespace {

constexpr int16_t kSnapshotVersion = 1;
constexpr size_t kSnapshotHeaderSize = 2 + 4;   // version, crc32c of everything after it
constexpr size_t kEntryFixedSize = 8 + 2 + 8 + 4;  // id, epoch, last append ms, batch count
constexpr size_t kBatchSize = 4 + 4 + 8 + 8;      // first seq, last seq, first/last offset

template <class T>
void put(std::vector<uint8_t>& out, T value) {
  size_t at = out.size();
  out.resize(at + sizeof(T));
  store_be<T>(out.data() + at, value);
}

// Bounds-checked big-endian reader.
struct Cursor {
  std::span<const uint8_t> rest;
  bool ok = true;
  template <class T>
  T get() {
    if (rest.size() < sizeof(T)) {
      ok = false;
      return T{};
    }
    T v = load_be<T>(rest.data());
    rest = rest.subspan(sizeof(T));
    return v;
  }
};

}  // namespace

std::vector<uint8_t> ProducerStateTable::encode_snapshot() const {
  std::vector<int64_t> ids;
  for (const auto& [id, entry] : producers_) {
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  std::vector<uint8_t> out;
  put<int16_t>(out, kSnapshotVersion);
  put<uint32_t>(out, 0);  // crc, below
  put<int32_t>(out, static_cast<int32_t>(ids.size()));
  for (int64_t id : ids) {
    const ProducerEntry& e = producers_.at(id);
    put<int64_t>(out, id);
    put<int16_t>(out, e.epoch);
    put<int64_t>(out, e.last_append_ms);
    put<int32_t>(out, static_cast<int32_t>(e.batches.size()));
    for (const auto& b : e.batches) {
      put<int32_t>(out, b.first_seq);
      put<int32_t>(out, b.last_seq);
      put<int64_t>(out, b.first_offset.value);
      put<int64_t>(out, b.last_offset.value);
    }
  }
  uint32_t crc = record::crc32c(out.data() + kSnapshotHeaderSize, out.size() - kSnapshotHeaderSize);
  store_be<uint32_t>(out.data() + 2, crc);
  return out;
}

Result<ProducerStateTable> ProducerStateTable::decode_snapshot(std::span<const uint8_t> bytes) {
  auto corrupt = [] { return make_error_code(log::errc::corrupt_checkpoint); };
  if (bytes.size() < kSnapshotHeaderSize + 4 || load_be<int16_t>(bytes.data()) != kSnapshotVersion) {
    return corrupt();
  }
  auto body = bytes.subspan(kSnapshotHeaderSize);
  if (record::crc32c(body.data(), body.size()) != load_be<uint32_t>(bytes.data() + 2)) {
    return corrupt();
  }
  Cursor in{body};
  int32_t count = in.get<int32_t>();
  if (count < 0 || static_cast<size_t>(count) > in.rest.size() / kEntryFixedSize) {
    return corrupt();
  }
  ProducerStateTable table;
  for (int32_t i = 0; i < count && in.ok; ++i) {
    int64_t id = in.get<int64_t>();
    ProducerEntry entry;
    entry.epoch = in.get<int16_t>();
    entry.last_append_ms = in.get<int64_t>();
    int32_t batches = in.get<int32_t>();
    if (id < 0 || batches < 0 || static_cast<size_t>(batches) > kMaxCachedBatches ||
        in.rest.size() < static_cast<size_t>(batches) * kBatchSize) {
      return corrupt();
    }
    for (int32_t b = 0; b < batches; ++b) {
      ProducerBatch batch;
      batch.first_seq = in.get<int32_t>();
      batch.last_seq = in.get<int32_t>();
      batch.first_offset = Offset(in.get<int64_t>());
      batch.last_offset = Offset(in.get<int64_t>());
      entry.batches.push_back(batch);
    }
    table.producers_[id] = std::move(entry);
  }
  if (!in.ok || !in.rest.empty()) {
    return corrupt();
  }
  return table;
}

}  // namespace meridian::replication
