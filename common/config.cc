#include "common/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <sstream>

namespace meridian::config {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    prev[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string describe(const Value& v) {
  switch (v.source) {
    case Source::kFile: return "in " + v.origin;
    case Source::kEnvironment: return "from environment variable " + v.origin;
    case Source::kOverride: return "from --set";
    case Source::kDefault: return "(default)";
  }
  return "";
}

std::optional<int64_t> parse_int(const std::string& text) {
  int64_t out = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return std::nullopt;
  }
  return out;
}

std::optional<bool> parse_bool(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true") {
    return true;
  }
  if (lower == "false") {
    return false;
  }
  return std::nullopt;
}

[[noreturn]] void fail(const KeySpec& spec, const Value& v, const std::string& why) {
  throw ConfigError("invalid value '" + v.text + "' for " + spec.name + " " + describe(v) + ": " +
                    why);
}

void validate(const KeySpec& spec, const Value& v) {
  switch (spec.type) {
    case Type::kInt: {
      auto n = parse_int(v.text);
      if (!n) {
        fail(spec, v, "expected an integer");
      }
      if (spec.min && *n < *spec.min) {
        fail(spec, v, "must be >= " + std::to_string(*spec.min));
      }
      if (spec.max && *n > *spec.max) {
        fail(spec, v, "must be <= " + std::to_string(*spec.max));
      }
      break;
    }
    case Type::kBool:
      if (!parse_bool(v.text)) {
        fail(spec, v, "expected true or false");
      }
      break;
    case Type::kString:
      if (!spec.choices.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), v.text) == spec.choices.end()) {
        std::string list;
        for (const auto& c : spec.choices) {
          list += (list.empty() ? "" : ", ") + c;
        }
        fail(spec, v, "expected one of: " + list);
      }
      break;
    case Type::kList:
      break;
  }
}

// Flattens nested maps into dotted keys so both `log.retention.ms: 1` and
// `log: {retention: {ms: 1}}` work.
void flatten(const YAML::Node& node, const std::string& prefix,
             std::vector<std::pair<std::string, YAML::Node>>& out, const std::string& file) {
  for (const auto& item : node) {
    std::string key = item.first.as<std::string>();
    std::string full = prefix.empty() ? key : prefix + "." + key;
    if (item.second.IsMap()) {
      flatten(item.second, full, out, file);
    } else {
      out.emplace_back(full, item.second);
    }
  }
}

std::string scalar_text(const YAML::Node& node, const std::string& key, const std::string& file) {
  if (node.IsNull()) {
    return "";
  }
  if (node.IsScalar()) {
    return node.Scalar();
  }
  if (node.IsSequence()) {
    std::string joined;
    for (const auto& element : node) {
      if (!element.IsScalar()) {
        throw ConfigError(file + ": " + key + ": list elements must be scalars");
      }
      joined += (joined.empty() ? "" : ",") + element.Scalar();
    }
    return joined;
  }
  throw ConfigError(file + ": " + key + ": unsupported value");
}

}  // namespace

const char* source_name(Source s) noexcept {
  switch (s) {
    case Source::kDefault: return "default";
    case Source::kFile: return "file";
    case Source::kEnvironment: return "environment";
    case Source::kOverride: return "override";
  }
  return "unknown";
}

Schema& Schema::add(KeySpec spec) {
  keys_.push_back(std::move(spec));
  return *this;
}

const KeySpec* Schema::find(const std::string& name) const {
  for (const auto& k : keys_) {
    if (k.name == name) {
      return &k;
    }
  }
  return nullptr;
}

std::optional<std::string> Schema::suggest(const std::string& name) const {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(3, name.size() / 3) + 1;
  for (const auto& k : keys_) {
    size_t d = edit_distance(name, k.name);
    if (d < best_distance) {
      best_distance = d;
      best = k.name;
    }
  }
  return best;
}

std::string env_name(const std::string& key) {
  std::string out = "MERIDIAN_";
  for (char c : key) {
    out += (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

int64_t Values::get_int(const std::string& key) const { return *parse_int(raw(key).text); }
bool Values::get_bool(const std::string& key) const { return *parse_bool(raw(key).text); }
const std::string& Values::get_string(const std::string& key) const { return raw(key).text; }

std::vector<std::string> Values::get_list(const std::string& key) const {
  std::vector<std::string> out;
  std::stringstream in(raw(key).text);
  std::string item;
  while (std::getline(in, item, ',')) {
    auto first = item.find_first_not_of(" \t");
    auto last = item.find_last_not_of(" \t");
    if (first != std::string::npos) {
      out.push_back(item.substr(first, last - first + 1));
    }
  }
  return out;
}

bool Values::has(const std::string& key) const { return values_.count(key) != 0; }

const Value& Values::raw(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    throw ConfigError("configuration key " + key + " has no value");
  }
  return it->second;
}

std::string Values::print_effective() const {
  std::string out;
  for (const auto& [key, v] : values_) {
    out += key + " = " + v.text + "  (" + source_name(v.source);
    if (!v.origin.empty()) {
      out += ": " + v.origin;
    }
    out += ")\n";
  }
  return out;
}

class Loader {
 public:
  static Values run(const Schema& schema, const LoadOptions& options) {
    Values values;
    for (const auto& spec : schema.keys()) {
      if (spec.default_value) {
        values.values_[spec.name] = Value{*spec.default_value, Source::kDefault, ""};
      }
    }
    if (options.file) {
      load_file(schema, *options.file, values);
    }
    auto getenv = options.getenv ? options.getenv : [](const std::string& name) {
      const char* v = std::getenv(name.c_str());
      return v ? std::optional<std::string>(v) : std::nullopt;
    };
    for (const auto& spec : schema.keys()) {
      auto name = env_name(spec.name);
      if (auto v = getenv(name)) {
        values.values_[spec.name] = Value{*v, Source::kEnvironment, name};
      }
    }
    for (const auto& [key, text] : options.overrides) {
      if (!schema.find(key)) {
        throw ConfigError("unknown configuration key '" + key + "' in --set" + hint(schema, key));
      }
      values.values_[key] = Value{text, Source::kOverride, ""};
    }
    for (const auto& spec : schema.keys()) {
      auto it = values.values_.find(spec.name);
      if (it == values.values_.end()) {
        if (spec.required) {
          throw ConfigError("missing required configuration key " + spec.name +
                            (options.file ? " in " + *options.file : std::string()) +
                            " (or set " + env_name(spec.name) + ")");
        }
        continue;
      }
      validate(spec, it->second);
    }
    return values;
  }

 private:
  static std::string hint(const Schema& schema, const std::string& key) {
    auto s = schema.suggest(key);
    return s ? " (did you mean '" + *s + "'?)" : "";
  }

  static void load_file(const Schema& schema, const std::string& path, Values& values) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
      throw ConfigError(path + ": cannot open configuration file");
    } catch (const YAML::Exception& e) {
      throw ConfigError(path + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " +
                        e.msg);
    }
    if (root.IsNull()) {
      return;  // an empty file means all defaults
    }
    if (!root.IsMap()) {
      throw ConfigError(path + ": expected a map of configuration keys at the top level");
    }
    std::vector<std::pair<std::string, YAML::Node>> flat;
    flatten(root, "", flat, path);
    for (const auto& [key, node] : flat) {
      if (!schema.find(key)) {
        throw ConfigError(path + ": unknown configuration key '" + key + "'" + hint(schema, key));
      }
      values.values_[key] = Value{scalar_text(node, key, path), Source::kFile, path};
    }
  }
};

Values load(const Schema& schema, const LoadOptions& options) {
  return Loader::run(schema, options);
}

std::pair<std::string, std::string> parse_assignment(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("expected key=value, got '" + text + "'");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace meridian::config
