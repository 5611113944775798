#include "cluster/log/detail/cleaner.h"

#include "cluster/log/errc.h"
#include "cluster/record/batch_view.h"
#include "cluster/record/compression.h"
#include "cluster/record/record.h"
#include "cluster/record/varint.h"
#include "common/byte_order.h"

namespace meridian::log::detail {
namespace {

namespace rf = record::format;

// The uncompressed records of a batch; `storage` keeps a decompressed copy alive.
Result<std::span<const uint8_t>> records_of(const record::BatchView& batch,
                                            std::vector<uint8_t>& storage) {
  if (batch.compression() == record::Compression::kNone) {
    return batch.records_payload();
  }
  auto out = record::decompress(batch.compression(), batch.records_payload(),
                                record::kMaxDecompressedBatchBytes);
  if (!out) {
    return out.error();
  }
  storage = std::move(*out);
  return std::span<const uint8_t>(storage);
}

// Calls on_record(view, raw bytes of the record) for each record of the batch.
template <class F>
Result<void> for_each_record(const record::BatchView& batch, F&& on_record) {
  std::vector<uint8_t> storage;
  auto payload = records_of(batch, storage);
  if (!payload) {
    return payload.error();
  }
  record::RecordReader reader(batch, *payload);
  record::RecordView view;
  size_t at = 0;
  for (;;) {
    auto more = reader.next(view);
    if (!more) {
      return more.error();
    }
    if (!*more) {
      return {};
    }
    // The reader validated this record: its varint length prefix plus body are in bounds.
    int32_t length = 0;
    size_t n = record::decode_varint(payload->subspan(at), length);
    auto raw = payload->subspan(at, n + static_cast<size_t>(length));
    at += raw.size();
    on_record(view, raw);
  }
}

bool keep_whole(const record::BatchView& batch) {
  return batch.is_control() || batch.is_transactional();
}

}  // namespace

Result<void> OffsetMap::add_batches(std::span<const uint8_t> batches) {
  while (!batches.empty()) {
    auto batch = record::BatchView::parse(batches);
    if (!batch) {
      return batch.error();
    }
    if (!keep_whole(*batch)) {
      auto r = for_each_record(*batch, [this](const record::RecordView& r, auto) {
        if (r.key) {
          auto& slot = latest_[std::string(*r.key)];
          slot = std::max(slot, r.offset.value);
        }
      });
      if (!r) {
        return r.error();
      }
    }
    batches = batches.subspan(batch->size_bytes());
  }
  return {};
}

std::optional<Offset> OffsetMap::latest(std::string_view key) const {
  auto it = latest_.find(std::string(key));
  if (it == latest_.end()) {
    return std::nullopt;
  }
  return Offset(it->second);
}

Result<FilteredBatch> filter_batch(std::span<const uint8_t> bytes, const OffsetMap& map,
                                   int64_t tombstone_horizon_ms) {
  auto batch = record::BatchView::parse(bytes);
  if (!batch) {
    return batch.error();
  }
  FilteredBatch out;
  if (keep_whole(*batch)) {
    return out;
  }
  bool old_enough = batch->max_timestamp() < tombstone_horizon_ms;
  std::vector<uint8_t> kept;
  int32_t kept_count = 0;
  auto walked = for_each_record(*batch, [&](const record::RecordView& r, auto raw) {
    bool keep = true;
    if (r.key) {
      auto latest = map.latest(*r.key);
      keep = !latest || r.offset >= *latest;
      keep = keep && !(r.value == std::nullopt && old_enough);
    }
    if (keep) {
      kept.insert(kept.end(), raw.begin(), raw.end());
      ++kept_count;
    } else {
      ++out.records_removed;
    }
  });
  if (!walked) {
    return walked.error();
  }
  if (out.records_removed == 0) {
    return out;
  }
  if (kept_count == 0) {
    out.action = FilteredBatch::Action::kDrop;
    return out;
  }
  if (batch->compression() != record::Compression::kNone) {
    auto packed = record::compress(batch->compression(), kept);
    if (!packed) {
      return packed.error();
    }
    kept = std::move(*packed);
  }
  out.action = FilteredBatch::Action::kRewrite;
  out.bytes.assign(bytes.begin(), bytes.begin() + rf::kHeaderSize);
  out.bytes.insert(out.bytes.end(), kept.begin(), kept.end());
  store_be<int32_t>(out.bytes.data() + rf::kBatchLengthPos,
                    static_cast<int32_t>(out.bytes.size() - rf::kLogOverhead));
  store_be<int32_t>(out.bytes.data() + rf::kRecordsCountPos, kept_count);
  auto rewritten = record::BatchView::parse(out.bytes);
  if (!rewritten) {
    return rewritten.error();
  }
  store_be<uint32_t>(out.bytes.data() + rf::kCrcPos, rewritten->compute_crc());
  return out;
}

}  // namespace meridian::log::detail
