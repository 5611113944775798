// Decoder robustness: random and mutated batches fed to BatchView::parse, decode_records,
// RecordReader and decompress for a bounded time. Passing means no crash, no sanitizer report
// (run it from a -DMERIDIAN_SANITIZE=ON build) and self-consistent results.
//
// Time budget: 10 s, or 120 s with MERIDIAN_LONG_TESTS=1, or MERIDIAN_ROBUSTNESS_SECONDS.
// Seed: random, printed; MERIDIAN_SEED=<n> replays a run.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
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

using Bytes = std::vector<uint8_t>;
constexpr size_t kMaxInflate = 1u << 20;  // keeps a hostile batch's allocation small

double budget_seconds() {
  if (const char* s = std::getenv("MERIDIAN_ROBUSTNESS_SECONDS")) {
    return std::atof(s);
  }
  const char* long_tests = std::getenv("MERIDIAN_LONG_TESTS");
  return (long_tests && std::string(long_tests) == "1") ? 120.0 : 10.0;
}

uint64_t seed_from_env() {
  if (const char* s = std::getenv("MERIDIAN_SEED")) {
    return std::strtoull(s, nullptr, 10);
  }
  return std::random_device{}();
}

struct Seed {
  Compression codec;
  Bytes batch;    // a valid batch
  Bytes records;  // its uncompressed records payload
};

Seed make_seed(Compression codec, std::mt19937_64& rng) {
  BatchOptions o;
  o.compression = codec;
  o.base_offset = Offset(static_cast<int64_t>(rng() % 1000));
  o.producer_id = static_cast<int64_t>(rng() % 50);
  RecordBatchBuilder b(o);
  const int n = 1 + static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i) {
    std::string key(rng() % 8, 'k');
    std::string value(rng() % 40, static_cast<char>('a' + rng() % 26));
    std::vector<Header> headers;
    for (uint64_t h = rng() % 3; h > 0; --h) {
      static constexpr const char* kKeys[] = {"", "h1", "h2"};
      headers.push_back({kKeys[h], rng() % 2 ? std::optional<std::string>("v") : std::nullopt});
    }
    b.append(static_cast<int64_t>(rng() % 100000),
             rng() % 4 ? std::optional<std::string_view>(key) : std::nullopt,
             rng() % 5 ? std::optional<std::string_view>(value) : std::nullopt, headers);
  }
  Seed s{codec, *b.build(), {}};
  auto view = BatchView::parse(s.batch);
  auto inner = decompress(codec, view->records_payload(), kMaxInflate);
  s.records = *inner;
  return s;
}

void resign(Bytes& b) {
  if (b.size() >= format::kHeaderSize) {
    store_be<uint32_t>(b.data() + format::kCrcPos, crc32c(b.data() + format::kCrcCoveredFrom,
                                                          b.size() - format::kCrcCoveredFrom));
  }
}

void fix_length(Bytes& b) {
  if (b.size() >= format::kLogOverhead) {
    store_be<int32_t>(b.data() + format::kBatchLengthPos,
                      static_cast<int32_t>(b.size() - format::kLogOverhead));
  }
}

void mutate_bytes(Bytes& b, std::mt19937_64& rng) {
  const uint64_t edits = 1 + rng() % 4;
  for (uint64_t e = 0; e < edits; ++e) {
    switch (rng() % 5) {
      case 0:
      case 1:
        if (!b.empty()) {
          b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        }
        break;
      case 2:
        if (!b.empty()) {
          b[rng() % b.size()] = static_cast<uint8_t>(rng());
        }
        break;
      case 3: {
        const size_t at = b.empty() ? 0 : rng() % (b.size() + 1);
        const size_t n = 1 + rng() % 8;
        for (size_t i = 0; i < n; ++i) {
          b.insert(b.begin() + static_cast<ptrdiff_t>(at), static_cast<uint8_t>(rng()));
        }
        break;
      }
      default:
        if (!b.empty()) {
          const size_t at = rng() % b.size();
          const size_t n = std::min<size_t>(1 + rng() % 8, b.size() - at);
          b.erase(b.begin() + static_cast<ptrdiff_t>(at),
                  b.begin() + static_cast<ptrdiff_t>(at + n));
        }
        break;
    }
  }
}

// Varint-ish values that sit on length and sign boundaries.
void poke_interesting(Bytes& b, std::mt19937_64& rng) {
  static constexpr uint8_t kValues[] = {0x00, 0x01, 0x7F, 0x80, 0xFF, 0x7E, 0x02, 0x03};
  if (!b.empty()) {
    b[rng() % b.size()] = kValues[rng() % sizeof kValues];
  }
}

Bytes assemble(const Bytes& header_from, Compression codec, const Bytes& records) {
  auto payload = compress(codec, records);
  Bytes out(header_from.begin(), header_from.begin() + format::kHeaderSize);
  out.insert(out.end(), payload->begin(), payload->end());
  fix_length(out);
  resign(out);
  return out;
}

struct Stats {
  uint64_t iterations = 0;
  uint64_t parsed = 0;
  uint64_t decoded = 0;
  uint64_t records = 0;
};

// Runs every decoder entry point over `input`; returns false on a self-inconsistency.
bool exercise(const Bytes& input, Stats& stats) {
  // Copy into an exact-size allocation so ASan sees any read past the end.
  std::unique_ptr<uint8_t[]> exact(new uint8_t[input.size()]);
  std::copy(input.begin(), input.end(), exact.get());
  std::span<const uint8_t> bytes(exact.get(), input.size());
  auto view = BatchView::parse(bytes);
  if (!view) {
    return true;
  }
  ++stats.parsed;
  if (view->size_bytes() > bytes.size() || view->size_bytes() < format::kHeaderSize) {
    return false;
  }
  auto recs = decode_records(*view, kMaxInflate);
  if (recs) {
    ++stats.decoded;
    stats.records += recs->size();
    if (recs->size() != static_cast<size_t>(view->records_count())) {
      return false;
    }
  }
  // The reader does not check the CRC, so an unsigned mutation still reaches the record parser.
  if (view->compression() == Compression::kNone) {
    RecordReader reader(*view, view->records_payload());
    RecordView rv;
    for (int i = 0; i < 100000; ++i) {
      auto more = reader.next(rv);
      if (!more || !*more) {
        break;
      }
    }
  }
  return true;
}

TEST(RecordRobustness, RandomAndMutatedBatchesNeverCrash) {
  const uint64_t seed = seed_from_env();
  const double budget = budget_seconds();
  std::printf("record_robustness_test: seed=%llu budget=%.0fs (replay with MERIDIAN_SEED)\n",
              static_cast<unsigned long long>(seed), budget);
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937_64 rng(seed);

  std::vector<Seed> seeds;
  for (int i = 0; i < 8; ++i) {
    for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                          Compression::kLz4, Compression::kZstd}) {
      seeds.push_back(make_seed(c, rng));
    }
  }
  Stats stats;
  for (const auto& s : seeds) {
    ASSERT_TRUE(exercise(s.batch, stats));
  }
  ASSERT_EQ(stats.decoded, seeds.size()) << "every unmutated seed must decode";

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(budget);
  while ((stats.iterations & 63) != 0 || std::chrono::steady_clock::now() < deadline) {
    const Seed& s = seeds[rng() % seeds.size()];
    Bytes b;
    switch (rng() % 8) {
      case 0:  // mutated, CRC left stale: must stop at the CRC
        b = s.batch;
        mutate_bytes(b, rng);
        break;
      case 1:
      case 2:  // mutated and re-signed: reaches the codec and the record parser
        b = s.batch;
        mutate_bytes(b, rng);
        if (rng() % 2) {
          fix_length(b);
        }
        resign(b);
        break;
      case 3: {  // records mutated under a valid compression framing
        Bytes inner = s.records;
        if (rng() % 2) {
          mutate_bytes(inner, rng);
        } else {
          poke_interesting(inner, rng);
        }
        b = assemble(s.batch, s.codec, inner);
        break;
      }
      case 4:  // header fields poked (recordsCount, lastOffsetDelta, attributes...)
        b = s.batch;
        for (uint64_t k = 1 + rng() % 3; k > 0; --k) {
          b[format::kAttributesPos + rng() % (format::kHeaderSize - format::kAttributesPos)] =
              static_cast<uint8_t>(rng() % 3 ? rng() : 0xFF);
        }
        resign(b);
        break;
      case 5: {  // random bytes behind a plausible header
        b = s.batch;
        b.resize(format::kHeaderSize + rng() % 200);
        for (size_t i = format::kHeaderSize; i < b.size(); ++i) {
          b[i] = static_cast<uint8_t>(rng());
        }
        fix_length(b);
        resign(b);
        break;
      }
      case 6: {  // pure noise of random length, magic forced half the time
        b.resize(rng() % 128);
        for (auto& x : b) {
          x = static_cast<uint8_t>(rng());
        }
        if (b.size() > format::kMagicPos && rng() % 2) {
          b[format::kMagicPos] = 2;
        }
        break;
      }
      default: {  // truncated, or spliced with another batch
        b = s.batch;
        const Seed& other = seeds[rng() % seeds.size()];
        b.resize(rng() % (b.size() + 1));
        b.insert(b.end(), other.batch.begin() + static_cast<ptrdiff_t>(rng() % other.batch.size()),
                 other.batch.end());
        if (rng() % 2) {
          resign(b);
        }
        break;
      }
    }
    ASSERT_TRUE(exercise(b, stats)) << "iteration " << stats.iterations;
    // Every codec's decoder on raw input too, whatever the attribute bits say.
    auto codec = static_cast<Compression>(1 + rng() % 4);
    if (b.size() > format::kHeaderSize) {
      (void)decompress(codec, std::span<const uint8_t>(b).subspan(format::kHeaderSize),
                       kMaxInflate);
    }
    ++stats.iterations;
  }
  std::printf("record_robustness_test: %llu iterations, %llu parsed, %llu decoded, %llu records\n",
              static_cast<unsigned long long>(stats.iterations),
              static_cast<unsigned long long>(stats.parsed),
              static_cast<unsigned long long>(stats.decoded),
              static_cast<unsigned long long>(stats.records));
  // A floor far below what even a sanitizer build on a loaded machine reaches; it catches a
  // loop that stopped doing work, not a slow machine.
  EXPECT_GE(stats.iterations, static_cast<uint64_t>(1000 * budget));
  EXPECT_GT(stats.parsed, stats.iterations / 10);
  EXPECT_GT(stats.decoded, stats.iterations / 100) << "mutations should not all be rejected";
  EXPECT_LT(stats.decoded, stats.parsed) << "mutations should not all be accepted";
}

}  // namespace
}  // namespace meridian::record
