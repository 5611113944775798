// Partition: the idempotent-producer side (producer_state.h) and topic config updates. Every
// method here runs on the partition's strand, like the rest of Partition.
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/replication/partition.h"
#include "common/log.h"

namespace meridian::replication {

namespace asio = boost::asio;

namespace {

// Without a snapshot file the table is rebuilt from the batch headers of the newest segments
// only: a producer silent for longer than that gets UNKNOWN_PRODUCER_ID unless it restarts at
// sequence 0, which clients handle (they reset the producer id). Kafka reads a snapshot plus the
// log after it. TODO(idempotence): a snapshot at each segment roll, then scan from it.
constexpr size_t kRebuildSegments = 4;
constexpr uint64_t kRebuildReadBytes = 4 << 20;
// Kafka's producer.id.expiration.ms default (one day).
constexpr int64_t kProducerExpirationMs = 86'400'000;

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::optional<AppendResult>> Partition::check_producers(std::span<const uint8_t> batches) {
  auto first = record::BatchView::parse(batches);
  if (!first) {
    return std::optional<AppendResult>();  // the log's validation reports it
  }
  auto header = ProducerBatchHeader::of(*first);
  if (!header.idempotent()) {
    return std::optional<AppendResult>();
  }
  if (first->size_bytes() != batches.size()) {
    // Kafka's ProduceRequest validation (v3+): one batch per partition, so a retry is always
    // recognisable as a whole.
    return make_error_code(producer_errc::multiple_batches);
  }
  load_producers();
  auto checked = producers_.check(header);
  if (!checked) {
    logger("replication")
        ->debug("[tp={}-{} epoch={}] producer {} epoch {} seq {}..{}: {}", topic_, id_.value,
                state_.leader_epoch.value, header.producer_id.value, header.epoch, header.first_seq,
                header.last_seq, checked.error().message());
    return checked.error();
  }
  if (!*checked) {
    return std::optional<AppendResult>();
  }
  // info: duplicates arrive only when a producer retries after a failure, never per record.
  logger("replication")
      ->info(
          "[tp={}-{} epoch={}] duplicate batch of producer {} seq {}..{} "
          "acknowledged at offset {}",
          topic_, id_.value, state_.leader_epoch.value, header.producer_id.value, header.first_seq,
          header.last_seq, (*checked)->first_offset.value);
  return std::optional<AppendResult>(
      AppendResult{(*checked)->first_offset, (*checked)->last_offset, log_->log_start_offset()});
}

void Partition::record_producers(std::span<const uint8_t> batches) {
  // Before the first load the table is empty; load_producers() reads these batches from the log.
  if (producers_loaded_) {
    producers_.record_all(batches, wall_clock_ms());
  }
}

void Partition::load_producers() {
  if (producers_loaded_) {
    return;
  }
  producers_.clear();
  producers_loaded_ = true;
  auto bases = log_->segment_base_offsets();
  Offset from = log_->log_start_offset();
  if (bases.size() > kRebuildSegments) {
    from = std::max(from, bases[bases.size() - kRebuildSegments]);
  }
  Offset end = leo();
  while (from < end) {
    auto data = log_->read(from, kRebuildReadBytes, end);
    if (!data || data->total_bytes == 0) {
      break;
    }
    auto bytes = data->to_bytes();
    if (!bytes) {
      logger("replication")
          ->error("[tp={}-{}] rebuilding producer state: {}", topic_, id_.value,
                  bytes.error().message());
      break;
    }
    auto next = producers_.record_all(*bytes, wall_clock_ms());
    if (!next || *next <= from) {
      break;
    }
    from = *next;
  }
  if (producers_.size() > 0) {
    logger("replication")
        ->info("[tp={}-{}] rebuilt the state of {} producers from the log", topic_, id_.value,
               producers_.size());
  }
}

void Partition::truncate_producers(Offset end) {
  if (!producers_loaded_) {
    return;  // loaded later from the truncated log
  }
  if (end.value < 0) {
    producers_.clear();
    return;
  }
  if (!producers_.truncate_tail(end)) {
    producers_loaded_ = false;  // some producer lost batches: rebuild from the log
  }
}

void Partition::maintain_producers() {
  if (!producers_loaded_) {
    return;
  }
  producers_.truncate_head(log_->log_start_offset());
  producers_.expire(wall_clock_ms(), kProducerExpirationMs);
}

asio::awaitable<std::optional<ProducerEntry>> Partition::producer_entry(ProducerId id) {
  auto body = [this, id]() -> asio::awaitable<std::optional<ProducerEntry>> {
    load_producers();
    const ProducerEntry* entry = producers_.find(id);
    co_return entry == nullptr ? std::nullopt : std::optional<ProducerEntry>(*entry);
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<Result<void>> Partition::update_config(PartitionConfig config,
                                                       log::LogConfig log_config) {
  auto body = [this, config, log_config]() -> asio::awaitable<Result<void>> {
    auto set = log_->set_config(log_config);
    if (!set) {
      co_return set.error();
    }
    config_ = config;
    co_return Result<void>();
  };
  return asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

}  // namespace meridian::replication
