#include "cluster/record/record.h"

#include <algorithm>

#include "cluster/record/compression.h"
#include "cluster/record/crc32c.h"
#include "cluster/record/varint.h"
#include "common/assert.h"

// Record layout inside a batch (KIP-98, Kafka's DefaultRecord):
//   length          varint   bytes of the record after this field
//   attributes      int8     unused, 0
//   timestampDelta  varlong  timestamp - batch baseTimestamp
//   offsetDelta     varint   offset - batch baseOffset
//   keyLength       varint   -1 = null key
//   key             bytes
//   valueLength     varint   -1 = null value
//   value           bytes
//   headersCount    varint
//   headers         [headerKeyLength varint, key, headerValueLength varint (-1 = null), value]

namespace meridian::record {
namespace {

// The smallest record: length, attributes, timestampDelta, offsetDelta, keyLength, valueLength,
// headersCount — one byte each. Bounds the reservation a hostile recordsCount can cause.
constexpr size_t kMinRecordBytes = 7;
// A header holds at least a key length and a value length.
constexpr size_t kMinHeaderBytes = 2;

// Wrapping add: offsets and timestamps come from the wire, and a hostile batch must not cause
// signed overflow (undefined behaviour); the result is garbage-in, garbage-out but defined.
int64_t wrapping_add(int64_t a, int64_t b) noexcept {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

constexpr size_t kMaxBatch = static_cast<size_t>(format::kMaxBatchSize);

// Callers check sizes against kMaxBatch first, so every length fits an int32.
size_t nullable_bytes_size(const std::optional<std::string_view>& s) {
  return s ? varint_size(static_cast<int32_t>(s->size())) + s->size() : 1;
}

uint8_t* put_nullable_bytes(uint8_t* p, const std::optional<std::string_view>& s) {
  if (!s) {
    return p + encode_varint(-1, p);
  }
  p += encode_varint(static_cast<int32_t>(s->size()), p);
  std::copy(s->begin(), s->end(), p);
  return p + s->size();
}

std::optional<std::string_view> header_value(const Header& h) {
  return h.value ? std::optional<std::string_view>(*h.value) : std::nullopt;
}

// Reads a varint length-prefixed byte string from the front of `in`; -1 means null.
// `allow_null` is false for header keys, which Kafka rejects when null.
bool read_bytes(std::span<const uint8_t>& in, std::optional<std::string_view>& out,
                bool allow_null) noexcept {
  int32_t len = 0;
  size_t n = decode_varint(in, len);
  if (n == 0) {
    return false;
  }
  in = in.subspan(n);
  if (len < 0 && allow_null) {
    out.reset();  // Kafka's DefaultRecord reads any negative length as null
    return true;
  }
  if (len < 0 || static_cast<size_t>(len) > in.size()) {
    return false;
  }
  out.emplace(reinterpret_cast<const char*>(in.data()), static_cast<size_t>(len));
  in = in.subspan(static_cast<size_t>(len));
  return true;
}

// Parses the fields after a record's length; `body` is exactly `length` bytes (>= 1).
errc parse_record_body(std::span<const uint8_t> body, RecordView& out, int64_t& ts_delta,
                       int32_t& offset_delta) noexcept {
  body = body.subspan(1);  // attributes: unused in v2
  size_t n = 0;
  if ((n = decode_varlong(body, ts_delta)) == 0) {
    return errc::bad_varint;
  }
  body = body.subspan(n);
  if ((n = decode_varint(body, offset_delta)) == 0) {
    return errc::bad_varint;
  }
  body = body.subspan(n);
  if (!read_bytes(body, out.key, true) || !read_bytes(body, out.value, true)) {
    return errc::bad_record;
  }
  int32_t header_count = 0;
  if ((n = decode_varint(body, header_count)) == 0) {
    return errc::bad_varint;
  }
  body = body.subspan(n);
  if (header_count < 0 || static_cast<size_t>(header_count) > body.size() / kMinHeaderBytes) {
    return errc::bad_record;
  }
  out.headers.resize(static_cast<size_t>(header_count));
  for (HeaderView& h : out.headers) {
    std::optional<std::string_view> key;
    if (!read_bytes(body, key, false) || !read_bytes(body, h.value, true)) {
      return errc::bad_record;
    }
    h.key = *key;
  }
  // The fields must fill exactly `length` bytes, as Kafka checks.
  return body.empty() ? errc::ok : errc::bad_record;
}

}  // namespace

RecordBatchBuilder::RecordBatchBuilder(BatchOptions options)
    : options_(options), records_(format::kHeaderSize) {}

void RecordBatchBuilder::append(int64_t timestamp_ms, std::optional<std::string_view> key,
                                std::optional<std::string_view> value,
                                std::span<const Header> headers) {
  // Bound every size before adding: a field or header count past the batch limit would
  // otherwise overflow the int32 lengths.
  size_t raw = (key ? key->size() : 0) + (value ? value->size() : 0) + headers.size();
  for (const Header& h : headers) {
    raw += h.key.size() + (h.value ? h.value->size() : 0);
    if (raw > kMaxBatch) {
      break;
    }
  }
  if (raw > kMaxBatch || records_.size() > kMaxBatch + format::kHeaderSize) {
    oversized_ = true;
    return;
  }
  if (count_ == 0) {
    base_timestamp_ = timestamp_ms;
    max_timestamp_ = timestamp_ms;
  } else {
    max_timestamp_ = std::max(max_timestamp_, timestamp_ms);
  }
  const int64_t ts_delta = wrapping_add(timestamp_ms, -base_timestamp_);
  const auto offset_delta = static_cast<int32_t>(count_);

  size_t body = 1 + varlong_size(ts_delta) + varint_size(offset_delta) + nullable_bytes_size(key) +
                nullable_bytes_size(value) + varint_size(static_cast<int32_t>(headers.size()));
  for (const Header& h : headers) {
    body += nullable_bytes_size(h.key) + nullable_bytes_size(header_value(h));
  }
  // Fits: raw bytes (<= kMaxBatch) + at most 10 bytes per header + 30 < 12 * kMaxBatch < 2^31.
  const auto body_len = static_cast<int32_t>(body);

  // Grow once and write in place: no temporary buffer per record.
  const size_t start = records_.size();
  records_.resize(start + varint_size(body_len) + body);
  uint8_t* p = records_.data() + start;
  p += encode_varint(body_len, p);
  *p++ = 0;  // record attributes: unused in v2
  p += encode_varlong(ts_delta, p);
  p += encode_varint(offset_delta, p);
  p = put_nullable_bytes(p, key);
  p = put_nullable_bytes(p, value);
  p += encode_varint(static_cast<int32_t>(headers.size()), p);
  for (const Header& h : headers) {
    p = put_nullable_bytes(p, h.key);
    p = put_nullable_bytes(p, header_value(h));
  }
  MERIDIAN_ASSERT(p == records_.data() + records_.size());
  ++count_;
}

size_t RecordBatchBuilder::size_bytes() const noexcept { return records_.size(); }

Result<std::vector<uint8_t>> RecordBatchBuilder::build() const& {
  if (options_.compression != Compression::kNone) {
    return build_compressed();
  }
  if (oversized_ || records_.size() > kMaxBatch + format::kLogOverhead) {
    return make_error_code(errc::bad_length);
  }
  std::vector<uint8_t> out = records_;
  finish(out);
  return out;
}

Result<std::vector<uint8_t>> RecordBatchBuilder::build() && {
  if (options_.compression != Compression::kNone) {
    return build_compressed();
  }
  if (oversized_ || records_.size() > kMaxBatch + format::kLogOverhead) {
    return make_error_code(errc::bad_length);
  }
  finish(records_);
  return std::move(records_);
}

Result<std::vector<uint8_t>> RecordBatchBuilder::build_compressed() const {
  if (oversized_) {
    return make_error_code(errc::bad_length);
  }
  auto payload = compress(options_.compression,
                          std::span<const uint8_t>(records_).subspan(format::kHeaderSize));
  if (!payload) {
    return payload.error();
  }
  if (payload->size() > kMaxBatch + format::kLogOverhead - format::kHeaderSize) {
    return make_error_code(errc::bad_length);
  }
  std::vector<uint8_t> out;
  out.reserve(format::kHeaderSize + payload->size());
  out.resize(format::kHeaderSize);
  out.insert(out.end(), payload->begin(), payload->end());
  finish(out);
  return out;
}

void RecordBatchBuilder::finish(std::vector<uint8_t>& batch) const {
  uint16_t attributes = static_cast<uint16_t>(options_.compression);
  if (options_.timestamp_type == TimestampType::kLogAppendTime) {
    attributes |= format::kTimestampTypeBit;
  }
  if (options_.transactional) {
    attributes |= format::kTransactionalBit;
  }
  if (options_.control) {
    attributes |= format::kControlBit;
  }
  uint8_t* b = batch.data();
  store_be<int64_t>(b + format::kBaseOffsetPos, options_.base_offset.value);
  store_be<int32_t>(b + format::kBatchLengthPos,
                    static_cast<int32_t>(batch.size() - format::kLogOverhead));
  store_be<int32_t>(b + format::kLeaderEpochPos, options_.leader_epoch.value);
  b[format::kMagicPos] = static_cast<uint8_t>(format::kMagicV2);
  store_be<uint16_t>(b + format::kAttributesPos, attributes);
  // An empty batch claims no offsets: lastOffset = baseOffset - 1, as Kafka's validator expects
  // (recordsCount == lastOffsetDelta + 1).
  store_be<int32_t>(b + format::kLastOffsetDeltaPos, static_cast<int32_t>(count_) - 1);
  store_be<int64_t>(b + format::kBaseTimestampPos, base_timestamp_);
  store_be<int64_t>(b + format::kMaxTimestampPos, max_timestamp_);
  store_be<int64_t>(b + format::kProducerIdPos, options_.producer_id);
  store_be<int16_t>(b + format::kProducerEpochPos, options_.producer_epoch);
  store_be<int32_t>(b + format::kBaseSequencePos, options_.base_sequence);
  store_be<int32_t>(b + format::kRecordsCountPos, static_cast<int32_t>(count_));
  store_be<uint32_t>(b + format::kCrcPos,
                     crc32c(b + format::kCrcCoveredFrom, batch.size() - format::kCrcCoveredFrom));
}

RecordReader::RecordReader(const BatchView& batch, std::span<const uint8_t> payload) noexcept
    : rest_(payload),
      base_offset_(batch.base_offset().value),
      base_timestamp_(batch.base_timestamp()),
      log_append_time_(batch.max_timestamp()),
      use_log_append_time_(batch.timestamp_type() == TimestampType::kLogAppendTime),
      count_(batch.records_count()) {
  failed_ = count_ < 0;
}

Result<bool> RecordReader::next(RecordView& out) noexcept {
  // Result<bool> needs the tag: an error_code is explicitly convertible to bool.
  auto fail = [this](errc e) -> Result<bool> {
    failed_ = true;
    return Result<bool>(boost::system::in_place_error, make_error_code(e));
  };
  if (failed_) {
    return Result<bool>(boost::system::in_place_error, make_error_code(errc::bad_record));
  }
  if (read_ == count_) {
    // Kafka rejects a batch whose payload holds more than recordsCount records.
    return rest_.empty() ? Result<bool>(false) : fail(errc::bad_record);
  }
  int32_t length = 0;
  size_t n = decode_varint(rest_, length);
  if (n == 0) {
    return fail(errc::bad_varint);
  }
  rest_ = rest_.subspan(n);
  if (length < 1 || static_cast<size_t>(length) > rest_.size()) {
    return fail(errc::bad_record);
  }
  std::span<const uint8_t> body = rest_.first(static_cast<size_t>(length));
  rest_ = rest_.subspan(static_cast<size_t>(length));
  int64_t ts_delta = 0;
  int32_t offset_delta = 0;
  if (errc e = parse_record_body(body, out, ts_delta, offset_delta); e != errc::ok) {
    return fail(e);
  }
  out.offset = Offset(wrapping_add(base_offset_, offset_delta));
  out.timestamp = use_log_append_time_ ? log_append_time_ : wrapping_add(base_timestamp_, ts_delta);
  ++read_;
  return true;
}

Result<std::vector<Record>> decode_records(const BatchView& batch, size_t max_decompressed) {
  if (!batch.crc_valid()) {
    return make_error_code(errc::crc_mismatch);
  }
  if (batch.records_count() < 0) {
    return make_error_code(errc::bad_record);
  }
  std::vector<uint8_t> inflated;
  std::span<const uint8_t> payload = batch.records_payload();
  if (batch.compression() != Compression::kNone) {
    auto d = decompress(batch.compression(), payload, max_decompressed);
    if (!d) {
      return d.error();
    }
    inflated = std::move(*d);
    payload = inflated;
  }

  std::vector<Record> records;
  records.reserve(
      std::min(static_cast<size_t>(batch.records_count()), payload.size() / kMinRecordBytes));
  RecordReader reader(batch, payload);
  RecordView view;
  for (;;) {
    auto more = reader.next(view);
    if (!more) {
      return more.error();
    }
    if (!*more) {
      break;
    }
    Record& r = records.emplace_back();
    r.offset = view.offset;
    r.timestamp = view.timestamp;
    if (view.key) {
      r.key.emplace(*view.key);
    }
    if (view.value) {
      r.value.emplace(*view.value);
    }
    r.headers.reserve(view.headers.size());
    for (const HeaderView& h : view.headers) {
      auto& dst = r.headers.emplace_back();
      dst.key.assign(h.key);
      if (h.value) {
        dst.value.emplace(*h.value);
      }
    }
  }
  return records;
}

}  // namespace meridian::record
