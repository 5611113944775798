#pragma once
// Typed configuration with Kafka-style dotted keys, shared by every process (broker, gateway,
// mirror). A ConfigSchema lists the known keys with type, default, validation and doc; load()
// merges, in rising precedence: defaults < YAML file < environment (MERIDIAN_<KEY>, dots to
// underscores, upper case) < explicit overrides (--set key=value). Unknown file keys are
// rejected with a did-you-mean. Config is read once at start-up, so errors are thrown as
// ConfigError (the one place STYLE allows exceptions) and main() prints them and exits non-zero.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace meridian::config {

enum class Type { kInt, kBool, kString, kList };
enum class Source { kDefault, kFile, kEnvironment, kOverride };

const char* source_name(Source s) noexcept;

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Value {
  std::string text;  // the value as written (lists: comma separated)
  Source source = Source::kDefault;
  std::string origin;  // file path or environment variable name, for messages
};

struct KeySpec {
  std::string name;
  Type type = Type::kString;
  std::optional<std::string> default_value;  // nullopt: no value unless configured
  std::string doc;
  std::optional<int64_t> min;  // kInt only
  std::optional<int64_t> max;
  std::vector<std::string> choices;  // kString only; empty = any
  bool required = false;             // must be configured (file, env or --set)
};

class Schema {
 public:
  Schema& add(KeySpec spec);
  const KeySpec* find(const std::string& name) const;
  const std::vector<KeySpec>& keys() const { return keys_; }
  // The known key closest to `name` by edit distance, if close enough to be a likely typo.
  std::optional<std::string> suggest(const std::string& name) const;

 private:
  std::vector<KeySpec> keys_;
};

// The environment variable that overrides `key`: log.segment.bytes -> MERIDIAN_LOG_SEGMENT_BYTES.
std::string env_name(const std::string& key);

class Values {
 public:
  int64_t get_int(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  std::vector<std::string> get_list(const std::string& key) const;
  bool has(const std::string& key) const;  // false for an optional key with no value
  const Value& raw(const std::string& key) const;
  const std::map<std::string, Value>& all() const { return values_; }

  // One line per key: `key = value  (source[: origin])`.
  std::string print_effective() const;

 private:
  friend class Loader;
  std::map<std::string, Value> values_;
};

struct LoadOptions {
  std::optional<std::string> file;                  // YAML file; nullopt: none
  std::vector<std::pair<std::string, std::string>> overrides;  // --set key=value
  // Environment lookup; defaults to getenv. Tests inject a map.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// Throws ConfigError with a one-line message naming the file, the key and the bad value.
Values load(const Schema& schema, const LoadOptions& options);

// Parses "key=value" (for --set). Throws ConfigError.
std::pair<std::string, std::string> parse_assignment(const std::string& text);

}  // namespace meridian::config
