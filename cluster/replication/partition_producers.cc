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

// Producer state survives restarts through snapshots (Kafka's "<offset>.snapshot"): after a
// segment roll, the next maintenance pass (every 2 s) writes the table as of the log end into
// the partition directory (PartitionLog stores, prunes and deletes them with their segments).
// A load takes the newest snapshot that decodes and replays only the batches after it; a
// corrupt one is reported and skipped, falling back to an older one or to the whole log.
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

namespace {

// The newest decodable snapshot at or below `end`, with its offset; nullopt when none.
std::optional<std::pair<Offset, ProducerStateTable>> newest_snapshot(const log::PartitionLog& log,
                                                                     Offset end,
                                                                     const std::string& tp) {
  const auto& offsets = log.state_snapshot_offsets();
  for (auto it = offsets.rbegin(); it != offsets.rend(); ++it) {
    if (*it > end) {
      continue;
    }
    auto bytes = log.read_state_snapshot(*it);
    auto table = bytes ? ProducerStateTable::decode_snapshot(*bytes)
                       : Result<ProducerStateTable>(bytes.error());
    if (table) {
      return std::pair{*it, std::move(*table)};
    }
    logger("replication")
        ->warn("[tp={}] producer snapshot at offset {} ignored: {}; replaying more of the log", tp,
               it->value, table.error().message());
  }
  return std::nullopt;
}

}  // namespace

void Partition::load_producers() {
  if (producers_loaded_) {
    return;
  }
  producers_.clear();
  producers_loaded_ = true;
  Offset from = log_->log_start_offset();
  Offset end = leo();
  std::string tp = topic_ + "-" + std::to_string(id_.value);
  auto snapshot = newest_snapshot(*log_, end, tp);
  if (snapshot) {
    producers_ = std::move(snapshot->second);
    from = std::max(from, snapshot->first);
    producers_.truncate_head(log_->log_start_offset());
  }
  Offset replay_from = from;
  while (from < end) {
    auto data = log_->read(from, kRebuildReadBytes, end);
    if (!data || data->total_bytes == 0) {
      break;
    }
    auto bytes = data->to_bytes();
    if (!bytes) {
      logger("replication")
          ->error("[tp={}] rebuilding producer state: {}", tp, bytes.error().message());
      break;
    }
    auto next = producers_.record_all(*bytes, wall_clock_ms());
    if (!next || *next <= from) {
      break;
    }
    from = *next;
  }
  if (producers_.size() > 0 || snapshot) {
    logger("replication")
        ->info("[tp={}] loaded the state of {} producers: snapshot at {}, replayed [{}, {})", tp,
               producers_.size(), snapshot ? std::to_string(snapshot->first.value) : "none",
               replay_from.value, end.value);
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

// Runs from Partition::maintain() (the broker's 2 s maintenance, config_applier.cc): producer
// expiry, the snapshot after a segment roll, and log compaction for cleanup.policy=compact.
void Partition::maintain_producers() {
  std::string tp = topic_ + "-" + std::to_string(id_.value);
  auto bases = log_->segment_base_offsets();
  const auto& snapshots = log_->state_snapshot_offsets();
  bool rolled = bases.size() > 1 && (snapshots.empty() || snapshots.back() < bases.back());
  if (producers_loaded_ || rolled) {
    load_producers();
    producers_.truncate_head(log_->log_start_offset());
    producers_.expire(wall_clock_ms(), kProducerExpirationMs);
  }
  if (rolled) {
    auto bytes = producers_.encode_snapshot();
    if (auto r = log_->write_state_snapshot(leo(), bytes); !r) {
      logger("replication")
          ->warn("[tp={}] writing the producer snapshot failed: {}", tp, r.error().message());
    }
  }
  // Never above the high watermark: a follower may still truncate what lies there.
  if (auto cleaned = log_->clean_if_due(std::nullopt, hw_); !cleaned) {
    logger("replication")->warn("[tp={}] log compaction failed: {}", tp, cleaned.error().message());
  }
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
