#include "cli/log_dump.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "log_test_util.h"

namespace meridian::cli {
namespace {
namespace fs = std::filesystem;
using log::testing::TempDir;

struct Dumped {
  int status;
  std::string out;
  std::string err;
};

Dumped dump(LogDumpOptions options) {
  std::ostringstream out;
  std::ostringstream err;
  int status = run_log_dump(options, out, err);
  return {status, out.str(), err.str()};
}

// A partition with three batches; the second has a binary value and a header.
fs::path make_partition(const TempDir& tmp) {
  auto opened = log::PartitionLog::open(tmp.partition(), {});
  EXPECT_TRUE(opened.has_value());
  auto& plog = **opened;
  auto a = log::testing::make_batch(3, 1000, "alpha");
  EXPECT_TRUE(plog.append(a, LeaderEpoch(2)).has_value());
  record::RecordBatchBuilder builder({.compression = record::Compression::kZstd});
  std::vector<record::Header> headers{{"trace", std::string("abc")}};
  builder.append(2000, std::string("bin"), std::string("\x01\x02\xff", 3), headers);
  auto b = builder.build();
  EXPECT_TRUE(b.has_value());
  EXPECT_TRUE(plog.append(*b, LeaderEpoch(2)).has_value());
  auto c = log::testing::make_batch(1, 3000, "gamma");
  EXPECT_TRUE(plog.append(c, LeaderEpoch(3)).has_value());
  EXPECT_TRUE(plog.close().has_value());
  return tmp.partition();
}

TEST(LogDump, PrintsEveryBatchOfAGoodSegment) {
  TempDir tmp;
  auto dir = make_partition(tmp);
  auto d = dump({.paths = {dir.string()}});
  EXPECT_EQ(d.status, 0) << d.err;
  EXPECT_TRUE(d.err.empty()) << d.err;
  EXPECT_NE(d.out.find("Dumping " + (dir / "00000000000000000000.log").string()),
            std::string::npos);
  EXPECT_NE(d.out.find("baseOffset: 0 lastOffset: 2 count: 3 leaderEpoch: 2 baseTimestamp: 1000 "
                       "maxTimestamp: 1002 compression: none"),
            std::string::npos)
      << d.out;
  EXPECT_NE(d.out.find("baseOffset: 3 lastOffset: 3 count: 1 leaderEpoch: 2"), std::string::npos);
  EXPECT_NE(d.out.find("compression: zstd"), std::string::npos);
  EXPECT_NE(d.out.find("baseOffset: 4 lastOffset: 4 count: 1 leaderEpoch: 3"), std::string::npos);
  EXPECT_NE(d.out.find("position: 0 crcValid: true"), std::string::npos);
  EXPECT_EQ(d.out.find("| offset"), std::string::npos);  // no records without --records

  auto r = dump({.paths = {(dir / "00000000000000000000.log").string()}, .records = true});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("| offset: 1 timestamp: 1001 key: k1 value: alpha-1"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| offset: 3 timestamp: 2000 key: bin value: base64:AQL/ headers: "
                       "[trace=abc]"),
            std::string::npos)
      << r.out;
}

TEST(LogDump, JsonLinesAndIndexes) {
  TempDir tmp;
  auto dir = make_partition(tmp);
  auto d = dump({.paths = {dir.string()}, .records = true, .json = true});
  ASSERT_EQ(d.status, 0) << d.err;
  std::istringstream lines(d.out);
  std::string line;
  int batches = 0;
  int records = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("baseOffset")) {
      ++batches;
      EXPECT_TRUE(j["crcValid"].get<bool>());
    } else {
      ++records;
      EXPECT_TRUE(j.contains("key"));
    }
  }
  EXPECT_EQ(batches, 3);
  EXPECT_EQ(records, 5);
  auto idx = dump({.paths = {(dir / "00000000000000000000.timeindex").string()}});
  EXPECT_EQ(idx.status, 0) << idx.err;
  EXPECT_NE(idx.out.find("timestamp: 3000 offset: 4"), std::string::npos) << idx.out;  // sealed
}

TEST(LogDump, CorruptSegmentFailsNamingTheFile) {
  TempDir tmp;
  auto dir = make_partition(tmp);
  fs::path seg = dir / "00000000000000000000.log";
  std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(fs::file_size(seg) - 2));
  f.put('\x55');
  f.close();
  auto d = dump({.paths = {seg.string()}});
  EXPECT_EQ(d.status, 1);
  EXPECT_NE(d.out.find("crcValid: false"), std::string::npos) << d.out;
  EXPECT_NE(d.err.find(seg.string() + ": CRC32C mismatch in batch at position"), std::string::npos)
      << d.err;
  // A torn tail.
  fs::resize_file(seg, fs::file_size(seg) - 5);
  d = dump({.paths = {seg.string()}});
  EXPECT_EQ(d.status, 1);
  EXPECT_NE(d.err.find(": corrupt batch: batch truncated at position"), std::string::npos) << d.err;
}

TEST(LogDump, ForeignAndMissingFiles) {
  TempDir tmp;
  fs::path foo = tmp.path() / "foo.log";
  std::ofstream(foo) << "this is a text file, certainly not a record batch\n";
  auto d = dump({.paths = {foo.string()}});
  EXPECT_EQ(d.status, 1);
  EXPECT_EQ(d.err.rfind(foo.string() + ": not a Meridian segment: ", 0), 0u) << d.err;
  EXPECT_NE(d.err.find("at position 0"), std::string::npos);
  EXPECT_EQ(std::count(d.err.begin(), d.err.end(), '\n'), 1);  // one line
  fs::path txt = tmp.path() / "notes.txt";
  std::ofstream(txt) << "x";
  EXPECT_EQ(dump({.paths = {txt.string()}}).status, 1);
  EXPECT_EQ(dump({.paths = {(tmp.path() / "missing.log").string()}}).status, 2);
  EXPECT_EQ(dump({}).status, 2);
}

}  // namespace
}  // namespace meridian::cli
