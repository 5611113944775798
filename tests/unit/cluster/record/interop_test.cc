// Cross-implementation tests against kafka-python 2.0.2 (Debian's python3-kafka with the lz4,
// snappy and zstandard modules): batches kafka-python builds decode here to the same records,
// and batches we build parse in kafka-python (with its CRC check). The Python side lives in
// tests/compat/record/kafka_python_interop.py. A missing kafka-python fails these tests.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"

namespace meridian::record {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPython = "/usr/bin/python3";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "meridian_record_interop_XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) {
      path_ = tmpl;
    }
  }
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs the interop script and returns its exit code (127 when python3 itself is missing).
int run_script(const std::string& mode, const fs::path& dir) {
  std::string cmd = std::string(kPython) +
                    " " MERIDIAN_SOURCE_DIR "/tests/compat/record/kafka_python_interop.py " + mode +
                    " '" + dir.string() + "'";
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string to_hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

json hex_or_null(const std::optional<std::string>& s) {
  return s ? json(to_hex(*s)) : json(nullptr);
}

std::optional<std::string> opt_from_hex(const json& j) {
  return j.is_null() ? std::nullopt : std::optional<std::string>(from_hex(j.get<std::string>()));
}

Record record_from_json(const json& j) {
  Record r;
  r.offset = Offset(j.at("offset").get<int64_t>());
  r.timestamp = j.at("timestamp").get<int64_t>();
  r.key = opt_from_hex(j.at("key"));
  r.value = opt_from_hex(j.at("value"));
  for (const auto& h : j.at("headers")) {
    r.headers.push_back({from_hex(h.at(0).get<std::string>()), opt_from_hex(h.at(1))});
  }
  return r;
}

json record_to_json(const Record& r) {
  json headers = json::array();
  for (const auto& h : r.headers) {
    headers.push_back({to_hex(h.key), hex_or_null(h.value)});
  }
  return {{"offset", r.offset.value},
          {"timestamp", r.timestamp},
          {"key", hex_or_null(r.key)},
          {"value", hex_or_null(r.value)},
          {"headers", headers}};
}

TEST(KafkaPythonInterop, PythonBuiltBatchesDecodeHere) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ASSERT_EQ(run_script("write", dir.path()), 0)
      << "kafka_python_interop.py write failed (exit 3 = kafka-python or a codec missing)";
  json expected = json::parse(std::ifstream(dir.path() / "expected.json"));
  std::set<int> codecs;
  size_t records_checked = 0;
  for (const auto& want : expected.at("batches")) {
    const std::string file = want.at("file");
    SCOPED_TRACE(file);
    auto bytes = read_file(dir.path() / file);
    auto view = BatchView::parse(bytes);
    ASSERT_TRUE(view) << view.error().message();
    EXPECT_EQ(view->size_bytes(), bytes.size());
    EXPECT_TRUE(view->crc_valid());
    EXPECT_EQ(view->crc(), want.at("crc").get<uint32_t>());
    EXPECT_EQ(view->base_offset().value, want.at("base_offset").get<int64_t>());
    EXPECT_EQ(view->leader_epoch().value, want.at("leader_epoch").get<int32_t>());
    EXPECT_EQ(view->attributes(), want.at("attributes").get<uint16_t>());
    EXPECT_EQ(view->last_offset_delta(), want.at("last_offset_delta").get<int32_t>());
    EXPECT_EQ(view->base_timestamp(), want.at("base_timestamp").get<int64_t>());
    EXPECT_EQ(view->max_timestamp(), want.at("max_timestamp").get<int64_t>());
    EXPECT_EQ(view->producer_id(), want.at("producer_id").get<int64_t>());
    EXPECT_EQ(view->producer_epoch(), want.at("producer_epoch").get<int16_t>());
    EXPECT_EQ(view->base_sequence(), want.at("base_sequence").get<int32_t>());
    EXPECT_EQ(view->records_count(), want.at("records_count").get<int32_t>());
    codecs.insert(static_cast<int>(view->compression()));

    auto got = decode_records(*view);
    ASSERT_TRUE(got) << got.error().message();
    const auto& want_records = want.at("records");
    ASSERT_EQ(got->size(), want_records.size());
    for (size_t i = 0; i < got->size(); ++i) {
      EXPECT_EQ((*got)[i], record_from_json(want_records[i])) << "record " << i;
      ++records_checked;
    }
  }
  EXPECT_EQ(codecs, (std::set<int>{0, 1, 2, 3, 4})) << "every codec must be exercised";
  EXPECT_GT(records_checked, 300u);
}

struct CppBatch {
  BatchOptions options;
  std::vector<Record> records;  // offsets/timestamps as a reader must see them
  int64_t log_append_time = -1;
};

std::vector<Record> sample_records(int seed, int n, Offset base) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    Record r;
    r.offset = base + i;
    r.timestamp = 1'700'000'000'000 + seed * 1000 + (i * 53) % 97 - 40;
    switch ((i + seed) % 4) {
      case 0:
        r.key = std::nullopt;
        break;
      case 1:
        r.key = "";
        break;
      case 2:
        r.key = "key-" + std::to_string(i);
        break;
      default:
        r.key = std::string("\x00\xff\x7f", 3);
        break;
    }
    switch ((i * 3 + seed) % 4) {
      case 0:
        r.value = std::nullopt;
        break;
      case 1:
        r.value = "";
        break;
      case 2: {
        std::string v;
        for (int k = 0; k < 20; ++k) {
          v += "meridian value " + std::to_string(i) + " ";
        }
        r.value = v;
        break;
      }
      default: {
        std::string v(700, '\0');
        for (size_t k = 0; k < v.size(); ++k) {
          v[k] = static_cast<char>((k * 13 + i) % 256);
        }
        r.value = v;
        break;
      }
    }
    if (i % 3 == 0) {
      r.headers = {{"trace-id", std::to_string(i * 7919)}, {"null-value", std::nullopt}, {"", ""}};
    } else if (i % 3 == 1) {
      r.headers = {
          {"\xc3\xbc"
           "ber",
           std::string("\x00\x01", 2)}};  // UTF-8 header key
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<uint8_t> build_batch(const CppBatch& b) {
  RecordBatchBuilder builder(b.options);
  for (const auto& r : b.records) {
    builder.append(r.timestamp, r.key ? std::optional<std::string_view>(*r.key) : std::nullopt,
                   r.value ? std::optional<std::string_view>(*r.value) : std::nullopt, r.headers);
  }
  auto bytes = builder.build();
  EXPECT_TRUE(bytes);
  if (b.log_append_time >= 0) {
    set_log_append_time(*bytes, b.log_append_time);
  }
  return bytes ? *bytes : std::vector<uint8_t>{};
}

json describe(const CppBatch& b) {
  int64_t min_ts = b.records.empty() ? -1 : b.records.front().timestamp;
  int64_t max_ts = -1;
  json records = json::array();
  for (Record r : b.records) {
    max_ts = std::max(max_ts, r.timestamp);
    if (b.log_append_time >= 0) {
      r.timestamp = b.log_append_time;
    }
    records.push_back(record_to_json(r));
  }
  uint16_t attrs = static_cast<uint16_t>(b.options.compression) |
                   (b.options.transactional ? format::kTransactionalBit : 0) |
                   (b.options.control ? format::kControlBit : 0) |
                   (b.log_append_time >= 0 ? format::kTimestampTypeBit : 0);
  return {{"base_offset", b.options.base_offset.value},
          {"leader_epoch", b.options.leader_epoch.value},
          {"magic", 2},
          {"attributes", attrs},
          {"last_offset_delta", static_cast<int32_t>(b.records.size()) - 1},
          {"base_timestamp", min_ts},
          {"max_timestamp", b.log_append_time >= 0 ? b.log_append_time : max_ts},
          {"producer_id", b.options.producer_id},
          {"producer_epoch", b.options.producer_epoch},
          {"base_sequence", b.options.base_sequence},
          {"records_count", b.records.size()},
          {"records", records}};
}

TEST(KafkaPythonInterop, BatchesBuiltHereParseInKafkaPython) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  // file name -> batches concatenated in that file
  std::vector<std::pair<std::string, std::vector<CppBatch>>> files;
  for (Compression codec : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                            Compression::kLz4, Compression::kZstd}) {
    int c = static_cast<int>(codec);
    CppBatch b;
    b.options.compression = codec;
    b.options.base_offset = Offset(1000 * c + 7);
    b.options.leader_epoch = LeaderEpoch(c + 1);
    b.options.producer_id = 9000 + c;
    b.options.producer_epoch = static_cast<int16_t>(c);
    b.options.base_sequence = 50 * c;
    b.options.transactional = (codec == Compression::kZstd);
    b.records = sample_records(c, 80, b.options.base_offset);
    files.push_back({std::string(compression_name(codec)) + ".bin", {b}});
  }
  {
    // Consecutive batches in one buffer, as a fetch response carries them.
    std::vector<CppBatch> multi;
    Offset next(0);
    for (Compression codec : {Compression::kNone, Compression::kZstd, Compression::kGzip}) {
      CppBatch b;
      b.options.compression = codec;
      b.options.base_offset = next;
      b.records = sample_records(static_cast<int>(codec) + 10, 25, next);
      next = next + 25;
      multi.push_back(b);
    }
    files.push_back({"multi.bin", multi});
  }
  {
    CppBatch b;
    b.options.compression = Compression::kSnappy;
    b.records = sample_records(20, 15, Offset(0));
    b.log_append_time = 1'800'000'000'123;
    files.push_back({"log_append_time.bin", {b}});
    CppBatch big;
    big.options.compression = Compression::kLz4;
    big.records = sample_records(21, 1, Offset(0));
    std::string v(400 * 1024, '\0');
    for (size_t k = 0; k < v.size(); ++k) {
      v[k] = static_cast<char>((k * 31 + k / 1000) % 256);
    }
    big.records[0].value = v;
    files.push_back({"big_lz4.bin", {big}});
  }

  json expected = {{"batches", json::array()}};
  for (const auto& [name, batches] : files) {
    std::ofstream out(dir.path() / name, std::ios::binary);
    json entry = {{"file", name}, {"batches", json::array()}};
    for (const auto& b : batches) {
      auto bytes = build_batch(b);
      ASSERT_FALSE(bytes.empty());
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
      entry["batches"].push_back(describe(b));
    }
    expected["batches"].push_back(entry);
  }
  std::ofstream(dir.path() / "expected.json") << expected.dump();
  EXPECT_EQ(run_script("read", dir.path()), 0)
      << "kafka-python rejected or misread a batch (details above; exit 3 = kafka-python missing)";
}

}  // namespace
}  // namespace meridian::record
