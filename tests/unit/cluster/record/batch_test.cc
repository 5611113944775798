// RecordBatch v2 builder, view and decoder: round trips, a byte-exact golden batch and
// corruption injection (flip a byte, cut the tail), in the style of leveldb's log_test.

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "cluster/record/batch_view.h"
#include "cluster/record/compression.h"
#include "cluster/record/crc32c.h"
#include "cluster/record/record.h"
#include "common/byte_order.h"

namespace meridian::record {
namespace {

constexpr Compression kAllCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                      Compression::kLz4, Compression::kZstd};

std::vector<uint8_t> build(const RecordBatchBuilder& b) {
  auto r = b.build();
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : std::vector<uint8_t>{};
}

std::vector<Record> decode(std::span<const uint8_t> bytes) {
  auto view = BatchView::parse(bytes);
  EXPECT_TRUE(view) << view.error().message();
  if (!view) {
    return {};
  }
  auto recs = decode_records(*view);
  EXPECT_TRUE(recs) << recs.error().message();
  return recs ? *recs : std::vector<Record>{};
}

// The small batch whose bytes the golden test spells out.
RecordBatchBuilder golden_builder() {
  BatchOptions o;
  o.base_offset = Offset(5);
  o.leader_epoch = LeaderEpoch(7);
  o.producer_id = 1000;
  o.producer_epoch = 3;
  o.base_sequence = 11;
  RecordBatchBuilder b(o);
  b.append(1000, "k", "v");
  std::vector<Header> headers = {{"h", std::nullopt}};
  b.append(1002, std::nullopt, "", headers);
  return b;
}

TEST(RecordBatch, GoldenBytesOfASmallUncompressedBatch) {
  std::vector<uint8_t> want = {
      0, 0, 0, 0, 0, 0, 0, 5,        // baseOffset 5
      0, 0, 0, 0x44,                 // batchLength 68 = 80 - 12
      0, 0, 0, 7,                    // partitionLeaderEpoch 7
      2,                             // magic
      0, 0, 0, 0,                    // crc, filled in below
      0, 0,                          // attributes: no codec, CreateTime
      0, 0, 0, 1,                    // lastOffsetDelta
      0, 0, 0, 0, 0, 0, 0x03, 0xE8,  // baseTimestamp 1000
      0, 0, 0, 0, 0, 0, 0x03, 0xEA,  // maxTimestamp 1002
      0, 0, 0, 0, 0, 0, 0x03, 0xE8,  // producerId 1000
      0, 3,                          // producerEpoch 3
      0, 0, 0, 11,                   // baseSequence 11
      0, 0, 0, 2,                    // recordsCount 2
      // record 0: length 8, attrs, tsDelta 0, offsetDelta 0, key "k", value "v", 0 headers
      0x10, 0, 0, 0, 0x02, 'k', 0x02, 'v', 0x00,
      // record 1: length 9, attrs, tsDelta 2, offsetDelta 1, null key, value "", 1 header
      // ("h", null)
      0x12, 0, 0x04, 0x02, 0x01, 0x00, 0x02, 0x02, 'h', 0x01};
  ASSERT_EQ(want.size(), 80u);
  store_be<uint32_t>(want.data() + 17,
                     crc32c_extend_portable(0, want.data() + 21, want.size() - 21));
  // The same CRC as kafka-python 2.0.2 computes for these bytes.
  EXPECT_EQ(load_be<uint32_t>(want.data() + 17), 0xE81B942Au);

  auto got = build(golden_builder());
  EXPECT_EQ(got, want);
  EXPECT_EQ(golden_builder().size_bytes(), want.size());
  // The consuming build hands over the buffer it appended into: same bytes, no copy.
  auto builder = golden_builder();
  builder.reserve(1000);
  auto moved = std::move(builder).build();
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, want);
  EXPECT_GE(moved->capacity(), 1000u);

  auto recs = decode(want);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0], (Record{Offset(5), 1000, "k", "v", {}}));
  EXPECT_EQ(recs[1], (Record{Offset(6), 1002, std::nullopt, "", {{"h", std::nullopt}}}));
}

TEST(RecordBatch, HeaderFieldsRoundTrip) {
  BatchOptions o;
  o.base_offset = Offset(1'000'000'000'000);
  o.leader_epoch = LeaderEpoch(42);
  o.producer_id = 123456789;
  o.producer_epoch = 9;
  o.base_sequence = 77;
  o.transactional = true;
  o.control = true;
  RecordBatchBuilder b(o);
  b.append(50, "a", "b");
  b.append(40, "c", "d");  // older than the first: negative timestamp delta
  b.append(60, "e", "f");
  auto bytes = build(b);
  auto view = BatchView::parse(bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->base_offset(), Offset(1'000'000'000'000));
  EXPECT_EQ(view->last_offset(), Offset(1'000'000'000'002));
  EXPECT_EQ(view->next_offset(), Offset(1'000'000'000'003));
  EXPECT_EQ(view->leader_epoch(), LeaderEpoch(42));
  EXPECT_EQ(view->producer_id(), 123456789);
  EXPECT_EQ(view->producer_epoch(), 9);
  EXPECT_EQ(view->base_sequence(), 77);
  EXPECT_TRUE(view->is_transactional());
  EXPECT_TRUE(view->is_control());
  EXPECT_EQ(view->timestamp_type(), TimestampType::kCreateTime);
  EXPECT_EQ(view->base_timestamp(), 50);
  EXPECT_EQ(view->max_timestamp(), 60);
  EXPECT_EQ(view->records_count(), 3);
  EXPECT_TRUE(view->crc_valid());
  auto recs = decode(bytes);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1].timestamp, 40);
  EXPECT_EQ(recs[2].offset, Offset(1'000'000'000'002));
}

TEST(RecordBatch, EmptyBuilderClaimsNoOffsets) {
  BatchOptions o;
  o.base_offset = Offset(10);
  RecordBatchBuilder b(o);
  EXPECT_TRUE(b.empty());
  auto bytes = build(b);
  EXPECT_EQ(bytes.size(), format::kHeaderSize);
  auto view = BatchView::parse(bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->records_count(), 0);
  EXPECT_EQ(view->next_offset(), Offset(10));
  EXPECT_TRUE(decode(bytes).empty());
}

class CodecRoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(CodecRoundTrip, NullEmptyHeadersAndManyRecords) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937 rng(seed);
  BatchOptions o;
  o.compression = GetParam();
  o.base_offset = Offset(100);
  RecordBatchBuilder b(o);
  std::vector<Record> want;
  for (int i = 0; i < 3000; ++i) {
    Record r;
    r.offset = Offset(100 + i);
    r.timestamp = 1'700'000'000'000 + (rng() % 100000);
    switch (i % 4) {
      case 0:
        break;  // null key, null value
      case 1:
        r.key = "";
        r.value = "";
        break;
      case 2:
        r.key = "key-" + std::to_string(i);
        r.value = std::string(rng() % 300, 'x');
        break;
      default:
        r.value = std::string(rng() % 5000, static_cast<char>(rng()));
        break;
    }
    if (i % 3 == 0) {
      r.headers = {{"trace", "abc"}, {"null", std::nullopt}, {"", ""}};
    }
    b.append(r.timestamp, r.key ? std::optional<std::string_view>(*r.key) : std::nullopt,
             r.value ? std::optional<std::string_view>(*r.value) : std::nullopt, r.headers);
    want.push_back(std::move(r));
  }
  EXPECT_EQ(b.record_count(), want.size());
  auto bytes = build(b);
  auto view = BatchView::parse(bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->compression(), GetParam());
  EXPECT_EQ(view->size_bytes(), bytes.size());
  EXPECT_EQ(decode(bytes), want);
}

TEST_P(CodecRoundTrip, BigValueCrossesCodecBlockSizes) {
  RecordBatchBuilder b(BatchOptions{.compression = GetParam()});
  std::string big(3 * 1024 * 1024 + 17, '\0');
  std::mt19937 rng(7);
  for (size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i % 251 < 200 ? 'a' + i % 7 : static_cast<char>(rng()));
  }
  b.append(1, "big", big);
  auto recs = decode(build(b));
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].value, big);
}

TEST_P(CodecRoundTrip, DecompressionLimitIsEnforced) {
  if (GetParam() == Compression::kNone) {
    // Uncompressed batches are bounded by the batch size itself; decompress() still obeys it.
    std::vector<uint8_t> raw(100, 1);
    EXPECT_FALSE(decompress(Compression::kNone, raw, 99));
    EXPECT_TRUE(decompress(Compression::kNone, raw, 100));
    return;
  }
  RecordBatchBuilder b(BatchOptions{.compression = GetParam()});
  b.append(1, std::nullopt, std::string(1 << 20, 'z'));
  auto bytes = build(b);
  auto view = BatchView::parse(bytes);
  ASSERT_TRUE(view);
  ASSERT_LT(view->size_bytes(), 100u * 1024) << "a zip bomb in miniature";
  auto recs = decode_records(*view, 64 * 1024);
  ASSERT_FALSE(recs);
  EXPECT_EQ(recs.error(), make_error_code(errc::decompression_failed));
  EXPECT_TRUE(decode_records(*view, 2 << 20));
}

INSTANTIATE_TEST_SUITE_P(Codecs, CodecRoundTrip, ::testing::ValuesIn(kAllCodecs),
                         [](const auto& info) {
                           return std::string(compression_name(info.param));
                         });

TEST(RecordBatch, LogAppendTimeOverridesRecordTimestamps) {
  RecordBatchBuilder b;
  b.append(10, "a", "1");
  b.append(20, "b", "2");
  auto bytes = build(b);
  set_log_append_time(bytes, 999);
  auto view = BatchView::parse(bytes);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->crc_valid());
  EXPECT_EQ(view->timestamp_type(), TimestampType::kLogAppendTime);
  auto recs = decode(bytes);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].timestamp, 999);
  EXPECT_EQ(recs[1].timestamp, 999);
}

TEST(RecordBatch, LeaderFieldsAreOutsideTheCrc) {
  auto bytes = build(golden_builder());
  set_base_offset(bytes, Offset(500));
  set_leader_epoch(bytes, LeaderEpoch(8));
  auto recs = decode(bytes);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].offset, Offset(500));
  EXPECT_EQ(recs[1].offset, Offset(501));
}

// --- corruption injection --------------------------------------------------------------------

// Runs parse + decode and reports whether the bytes were accepted. Must never crash.
bool accepted(std::span<const uint8_t> bytes, std::error_code* err = nullptr) {
  auto view = BatchView::parse(bytes);
  if (!view) {
    if (err) {
      *err = view.error();
    }
    return false;
  }
  auto recs = decode_records(*view);
  if (!recs && err) {
    *err = recs.error();
  }
  return recs.has_value();
}

TEST(RecordBatchCorruption, EveryFlippedByteIsDetectedOrHarmless) {
  for (Compression codec : kAllCodecs) {
    auto b = golden_builder();
    BatchOptions o;
    o.compression = codec;
    RecordBatchBuilder cb(o);
    cb.append(1000, "k", "v");
    auto bytes = build(codec == Compression::kNone ? b : cb);
    for (size_t pos = 0; pos < bytes.size(); ++pos) {
      for (uint8_t mask : {0x01, 0x80, 0xFF}) {
        auto copy = bytes;
        copy[pos] ^= mask;
        std::error_code err;
        bool ok = accepted(copy, &err);
        SCOPED_TRACE(std::string(compression_name(codec)) + " pos=" + std::to_string(pos));
        if (pos < format::kBatchLengthPos ||
            (pos >= format::kLeaderEpochPos && pos < format::kMagicPos)) {
          EXPECT_TRUE(ok) << "baseOffset and leaderEpoch are not checksummed";
        } else if (pos < format::kLeaderEpochPos) {
          EXPECT_FALSE(ok);  // batchLength: bad_length, truncated, or a CRC over fewer bytes
        } else if (pos == format::kMagicPos) {
          EXPECT_EQ(err, make_error_code(errc::bad_magic));
        } else {
          // CRC32C detects every error burst of up to 32 bits.
          EXPECT_EQ(err, make_error_code(errc::crc_mismatch));
        }
      }
    }
  }
}

TEST(RecordBatchCorruption, FlippedRecordBytesWithAValidCrcNeverCrash) {
  auto bytes = build(golden_builder());
  int rejected = 0;
  for (size_t pos = format::kHeaderSize; pos < bytes.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      auto copy = bytes;
      copy[pos] ^= static_cast<uint8_t>(1u << bit);
      store_be<uint32_t>(
          copy.data() + format::kCrcPos,
          crc32c(copy.data() + format::kCrcCoveredFrom, copy.size() - format::kCrcCoveredFrom));
      std::error_code err;
      if (!accepted(copy, &err)) {
        ++rejected;
        EXPECT_TRUE(err == make_error_code(errc::bad_record) ||
                    err == make_error_code(errc::bad_varint))
            << err.message();
      }
    }
  }
  // Length fields and varint continuation bits make most flips structural errors.
  EXPECT_GT(rejected, 40);
}

TEST(RecordBatchCorruption, EveryTruncationIsReportedAsTruncated) {
  for (Compression codec : kAllCodecs) {
    RecordBatchBuilder b(BatchOptions{.compression = codec});
    b.append(1, "key", "value");
    b.append(2, std::nullopt, "value2");
    auto bytes = build(b);
    for (size_t n = 0; n < bytes.size(); ++n) {
      // A fresh allocation of exactly n bytes, so ASan catches any read past it.
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
      auto view = BatchView::parse(cut);
      ASSERT_FALSE(view) << n;
      if (n > format::kMagicPos) {
        EXPECT_EQ(view.error(), make_error_code(errc::truncated)) << n;
      }
    }
  }
}

TEST(BatchViewParse, Errors) {
  auto bytes = build(golden_builder());
  std::deque<std::vector<uint8_t>> copies;  // each view needs its bytes alive
  auto with = [&](size_t pos, auto value) {
    auto& copy = copies.emplace_back(bytes);
    store_be(copy.data() + pos, value);
    return BatchView::parse(copy);
  };
  EXPECT_EQ(with(format::kMagicPos, int8_t{1}).error(), make_error_code(errc::bad_magic));
  EXPECT_EQ(with(format::kMagicPos, int8_t{3}).error(), make_error_code(errc::bad_magic));
  EXPECT_EQ(with(format::kBatchLengthPos, int32_t{-1}).error(), make_error_code(errc::bad_length));
  EXPECT_EQ(with(format::kBatchLengthPos, int32_t{48}).error(), make_error_code(errc::bad_length));
  EXPECT_EQ(with(format::kBatchLengthPos, format::kMaxBatchSize + 1).error(),
            make_error_code(errc::bad_length));
  EXPECT_EQ(with(format::kBatchLengthPos, int32_t{69}).error(), make_error_code(errc::truncated));
  // A shorter batchLength is a valid view of fewer bytes; its CRC then fails.
  auto shorter = with(format::kBatchLengthPos, int32_t{60});
  ASSERT_TRUE(shorter);
  EXPECT_EQ(shorter->size_bytes(), 72u);
  EXPECT_FALSE(shorter->crc_valid());
  // Trailing bytes after the batch are not part of the view.
  auto longer = bytes;
  longer.resize(bytes.size() + 10, 0xAA);
  auto v = BatchView::parse(longer);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->size_bytes(), bytes.size());
  EXPECT_TRUE(v->crc_valid());
}

// Re-signs a batch after its records or header were edited.
void resign(std::vector<uint8_t>& bytes) {
  store_be<uint32_t>(
      bytes.data() + format::kCrcPos,
      crc32c(bytes.data() + format::kCrcCoveredFrom, bytes.size() - format::kCrcCoveredFrom));
}

TEST(RecordDecode, RecordsCountMustMatchThePayload) {
  auto bytes = build(golden_builder());
  auto with_count = [&](int32_t count) {
    auto copy = bytes;
    store_be<int32_t>(copy.data() + format::kRecordsCountPos, count);
    resign(copy);
    std::error_code err;
    EXPECT_FALSE(accepted(copy, &err)) << count;
    return err;
  };
  EXPECT_EQ(with_count(1), make_error_code(errc::bad_record));  // bytes left over
  EXPECT_EQ(with_count(3), make_error_code(errc::bad_varint));  // payload ends early
  EXPECT_EQ(with_count(-1), make_error_code(errc::bad_record));
  EXPECT_EQ(with_count(INT32_MAX), make_error_code(errc::bad_varint));
}

TEST(RecordDecode, NegativeLengthsReadAsNullLikeKafka) {
  RecordBatchBuilder b;
  b.append(1, std::nullopt, std::nullopt, std::vector<Header>{{"h", std::nullopt}});
  auto bytes = build(b);
  // Record: length, attrs, tsDelta, offsetDelta, keyLength, valueLength, count, hkey len, 'h',
  // hvalue len. Rewrite the three -1 lengths (0x01) as -2 (0x03); the sizes stay the same.
  const size_t rec = format::kHeaderSize;
  ASSERT_EQ(bytes[rec + 4], 0x01);
  ASSERT_EQ(bytes[rec + 5], 0x01);
  ASSERT_EQ(bytes[rec + 9], 0x01);
  bytes[rec + 4] = bytes[rec + 5] = bytes[rec + 9] = 0x03;
  resign(bytes);
  auto recs = decode(bytes);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_FALSE(recs[0].key);
  EXPECT_FALSE(recs[0].value);
  ASSERT_EQ(recs[0].headers.size(), 1u);
  EXPECT_FALSE(recs[0].headers[0].value);
  // A negative header key length is an error, as in Kafka.
  bytes[rec + 7] = 0x01;
  resign(bytes);
  std::error_code err;
  EXPECT_FALSE(accepted(bytes, &err));
  EXPECT_EQ(err, make_error_code(errc::bad_record));
}

TEST(RecordBatch, OversizedRecordFailsTheBuildInsteadOfAborting) {
  RecordBatchBuilder b;
  b.append(1, "small", "ok");
  std::string huge(static_cast<size_t>(format::kMaxBatchSize) + 1, 'x');
  b.append(2, std::nullopt, huge);
  EXPECT_EQ(b.record_count(), 1u);
  auto r = b.build();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::bad_length));
}

TEST(RecordDecode, BadCodecBitsAndCrc) {
  auto bytes = build(golden_builder());
  auto copy = bytes;
  store_be<uint16_t>(copy.data() + format::kAttributesPos, 5);
  resign(copy);
  std::error_code err;
  EXPECT_FALSE(accepted(copy, &err));
  EXPECT_EQ(err, make_error_code(errc::unsupported_codec));
  copy = bytes;
  copy[format::kCrcPos] ^= 1;
  EXPECT_FALSE(accepted(copy, &err));
  EXPECT_EQ(err, make_error_code(errc::crc_mismatch));
}

TEST(RecordDecode, RecordReaderIsZeroCopyAndStaysFailed) {
  auto bytes = build(golden_builder());
  auto view = BatchView::parse(bytes);
  ASSERT_TRUE(view);
  RecordReader reader(*view, view->records_payload());
  EXPECT_EQ(reader.records_count(), 2);
  RecordView rv;
  ASSERT_TRUE(*reader.next(rv));
  ASSERT_TRUE(rv.key);
  EXPECT_GE(reinterpret_cast<const uint8_t*>(rv.key->data()), bytes.data());
  EXPECT_LT(reinterpret_cast<const uint8_t*>(rv.key->data()), bytes.data() + bytes.size());
  ASSERT_TRUE(*reader.next(rv));
  ASSERT_EQ(rv.headers.size(), 1u);
  EXPECT_EQ(rv.headers[0].key, "h");
  EXPECT_FALSE(rv.headers[0].value);
  auto end = reader.next(rv);
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);

  // A record whose length runs past the payload fails, and the reader stays failed.
  auto copy = bytes;
  copy[format::kHeaderSize] = 0x7E;  // record 0 claims 63 bytes
  auto bad_view = BatchView::parse(copy);
  ASSERT_TRUE(bad_view);
  RecordReader bad(*bad_view, bad_view->records_payload());
  EXPECT_FALSE(bad.next(rv));
  EXPECT_FALSE(bad.next(rv));
}

}  // namespace
}  // namespace meridian::record
