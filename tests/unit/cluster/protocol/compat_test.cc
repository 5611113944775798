// Cross-implementation tests, both directions, run by Debian's /usr/bin/python3:
//  - against python3-kafka's kafka.protocol (tests/compat/protocol/kafka_python_compat.py), an
//    independent implementation of the same schemas; a missing python3-kafka fails the test;
//  - against Apache Kafka's own message definitions (kafka_schema_compat.py reading
//    kafka_message_schemas.json), for every version Meridian advertises.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <tuple>

#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "cluster/protocol/supported_apis.h"
#include "tests/unit/cluster/protocol/test_io.h"

namespace meridian::protocol {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kPython = "/usr/bin/python3";
const char* kKafkaPythonScript =
    MERIDIAN_SOURCE_DIR "/tests/compat/protocol/kafka_python_compat.py";
// Encodes/decodes from Apache Kafka's message JSON (kafka_message_schemas.json), so it also
// covers the APIs and versions kafka-python lacks.
const char* kKafkaSchemaScript =
    MERIDIAN_SOURCE_DIR "/tests/compat/protocol/kafka_schema_compat.py";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "meridian-protocol-compat-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) != nullptr ? fs::path(tmpl) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs a compat script; returns its exit status and combined output.
int run_script(const char* script, const std::string& command, const fs::path& dir,
               std::string& output) {
  std::string cmd =
      std::string(kPython) + " " + script + " " + command + " '" + dir.string() + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    return -1;
  }
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) {
    output.append(buf, n);
  }
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Bytes read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// (api_key, version, "request"/"response")
using Coverage = std::set<std::tuple<int, int, std::string>>;

Coverage all_supported() {
  Coverage out;
  for (const auto& range : supported_apis()) {
    for (int v = range.min_version; v <= range.max_version; ++v) {
      out.insert({static_cast<int>(range.api_key), v, "request"});
      out.insert({static_cast<int>(range.api_key), v, "response"});
    }
  }
  return out;
}

template <class T>
void expect_decodes_to(const Bytes& bytes, int16_t version, const json& expected,
                       const std::string& where) {
  auto msg = decode<T>(bytes, version);
  ASSERT_TRUE(msg.has_value()) << where << ": " << msg.error().message();
  EXPECT_EQ(testing::JsonDumper::dump(*msg, version), expected) << where;
}

void expect_frame_decodes(const json& entry, const Bytes& bytes) {
  auto parsed = parse_request(bytes);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->header.api_key, ApiKey::kMetadata);
  EXPECT_EQ(parsed->header.api_version, entry.at("version").get<int16_t>());
  EXPECT_EQ(parsed->header.correlation_id, entry.at("correlation_id").get<int32_t>());
  EXPECT_EQ(parsed->header.client_id, entry.at("client_id").get<std::string>());
  expect_decodes_to<MetadataRequest>(Bytes(parsed->body.begin(), parsed->body.end()),
                                     entry.at("version").get<int16_t>(), entry.at("value"),
                                     entry.at("file").get<std::string>());
}

// Runs `script generate`, decodes every entry we implement and compares it field by field.
// Returns what was covered; entries for versions we do not implement are left out.
Coverage decode_generated(const char* script) {
  TempDir dir;
  EXPECT_FALSE(dir.path().empty());
  std::string output;
  int rc = run_script(script, "generate", dir.path(), output);
  EXPECT_EQ(rc, 0) << output;
  if (rc != 0) {
    return {};
  }
  std::ifstream manifest_file(dir.path() / "manifest.json");
  json manifest = json::parse(manifest_file);
  Coverage covered;
  for (const auto& entry : manifest) {
    const int key = entry.at("api_key").get<int>();
    const auto version = entry.at("version").get<int16_t>();
    const std::string kind = entry.at("kind").get<std::string>();
    const std::string where = entry.at("file").get<std::string>();
    Bytes bytes = read_file(dir.path() / where);
    if (kind == "frame") {
      expect_frame_decodes(entry, bytes);
      continue;
    }
    if (!is_supported(static_cast<ApiKey>(key), version)) {
      continue;
    }
    visit_request_type(static_cast<ApiKey>(key), [&]<class Req>(std::type_identity<Req>) {
      if (kind == "request") {
        expect_decodes_to<Req>(bytes, version, entry.at("value"), where);
      } else {
        expect_decodes_to<typename Req::Response>(bytes, version, entry.at("value"), where);
      }
    });
    covered.insert({key, version, kind});
  }
  return covered;
}

TEST(KafkaPythonCompat, PythonEncodingsDecodeInMeridian) {
  Coverage covered = decode_generated(kKafkaPythonScript);
  // Every API kafka-python 2.0.2 and Meridian both implement was exercised.
  std::set<int> keys;
  for (const auto& [key, version, kind] : covered) {
    keys.insert(key);
  }
  const std::set<int> expected = {0,  1,  2,  3,  8,  9,  10, 11, 12, 13,
                                  14, 15, 16, 18, 19, 20, 32, 33, 37, 42};
  EXPECT_EQ(keys, expected);
  EXPECT_GT(covered.size(), 100u);
}

TEST(KafkaSchemaCompat, KafkaSchemaEncodingsDecodeInMeridian) {
  // Every (API, version, direction) Meridian advertises, checked against Kafka's definitions.
  EXPECT_EQ(decode_generated(kKafkaSchemaScript), all_supported());
}

// kafka-python 2.0.2 declares Fetch v7+ forgotten_topics_data.topic as the String class instead
// of an instance and cannot decode a non-empty list; leave it empty for that decoder only.
enum class Target { kKafkaPython, kKafkaSchema };
template <class T>
void adjust_for(Target target, T& msg) {
  if constexpr (std::is_same_v<T, FetchRequest>) {
    if (target == Target::kKafkaPython) {
      msg.forgotten_topics_data.clear();
    }
  }
}

template <class T>
void write_entries(Target target, const fs::path& dir, json& manifest) {
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    for (uint64_t seed = 0; seed < 4; ++seed) {
      std::mt19937_64 rng(seed * 1000 + static_cast<uint64_t>(v));
      testing::Filler filler(rng);
      T msg;
      msg.io(filler, v);
      adjust_for(target, msg);
      auto bytes = encode(msg, v);
      ASSERT_TRUE(bytes.has_value());
      const bool is_request = requires { typename T::Response; };
      std::string file = "cc_" + std::to_string(static_cast<int>(T::kApiKey)) + "_v" +
                         std::to_string(v) + (is_request ? "_request_" : "_response_") +
                         std::to_string(seed) + ".bin";
      write_file(dir / file, *bytes);
      manifest.push_back({{"api_key", static_cast<int>(T::kApiKey)},
                          {"version", v},
                          {"kind", is_request ? "request" : "response"},
                          {"file", file},
                          {"value", testing::JsonDumper::dump(msg, v)}});
    }
  }
}

// Encodes every message at every version (plus the KIP-511 fallback) and has `script check`
// decode them all. Returns the script's output.
void check_encodings(Target target, const char* script) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  json manifest = json::array();
  for_each_request_type([&]<class Req>(std::type_identity<Req>) {
    write_entries<Req>(target, dir.path(), manifest);
    write_entries<typename Req::Response>(target, dir.path(), manifest);
  });
  // The KIP-511 fallback a broker sends to ApiVersions v3+: clients parse it as v0.
  auto fallback = api_versions_fallback_frame(77);
  ASSERT_TRUE(fallback.has_value());
  auto frame = next_frame(*fallback);
  ASSERT_TRUE(frame.has_value() && frame->has_value());
  auto parsed = parse_response(**frame);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->header.correlation_id, 77);
  write_file(dir.path() / "fallback.bin", Bytes(parsed->body.begin(), parsed->body.end()));
  manifest.push_back(
      {{"api_key", 18},
       {"version", 0},
       {"kind", "response"},
       {"file", "fallback.bin"},
       {"value",
        testing::JsonDumper::dump(make_api_versions_response(ErrorCode::kUnsupportedVersion), 0)}});
  std::ofstream(dir.path() / "manifest.json") << manifest.dump();

  std::string output;
  EXPECT_EQ(run_script(script, "check", dir.path(), output), 0) << output;
  EXPECT_NE(output.find(" 0 mismatches"), std::string::npos) << output;
}

TEST(KafkaPythonCompat, MeridianEncodingsDecodeInPython) {
  check_encodings(Target::kKafkaPython, kKafkaPythonScript);
}

TEST(KafkaSchemaCompat, MeridianEncodingsDecodeWithKafkaSchemas) {
  check_encodings(Target::kKafkaSchema, kKafkaSchemaScript);
}

}  // namespace
}  // namespace meridian::protocol
