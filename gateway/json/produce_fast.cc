// The fast path of the v2 binary produce body: a single-pass scanner for the shape every client
// sends ({"records":[{"key":"<b64>","value":"<b64>","partition":N},...]}), decoding base64
// straight out of the request text. nlohmann's DOM built a std::string char by char for each
// base64 value (the largest cost of a batched produce in the profile). Anything else - escapes,
// other fields, duplicates, numbers that are not plain non-negative integers, bad base64 - is
// left to the DOM parser, which owns every error message; so this never answers differently.
#include <charconv>
#include <cstdint>

#include "gateway/base64.h"
#include "gateway/json/produce.h"

namespace meridian::gateway::json {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  void skip_space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }
  bool eat(char c) {
    skip_space();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool at_end() {
    skip_space();
    return p_ == end_;
  }
  // A string without escapes or control bytes (the fast path gives up on those).
  bool string(std::string_view& out) {
    if (!eat('"')) {
      return false;
    }
    const char* start = p_;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\' || static_cast<unsigned char>(*p_) < 0x20) {
        return false;
      }
      ++p_;
    }
    if (p_ == end_) {
      return false;
    }
    out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }
  bool null() {
    skip_space();
    if (end_ - p_ >= 4 && std::string_view(p_, 4) == "null") {
      p_ += 4;
      return true;
    }
    return false;
  }
  // A plain JSON integer in [0, INT32_MAX]: no sign, fraction, exponent or leading zero.
  bool partition(int32_t& out) {
    skip_space();
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      ++p_;
    }
    const size_t n = static_cast<size_t>(p_ - start);
    if (n == 0 || n > 10 || (n > 1 && *start == '0')) {
      return false;
    }
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) {
      return false;
    }
    int64_t v = 0;
    std::from_chars(start, p_, v);
    if (v > INT32_MAX) {
      return false;
    }
    out = static_cast<int32_t>(v);
    return true;
  }
  bool peek(char c) {
    skip_space();
    return p_ < end_ && *p_ == c;
  }

 private:
  const char* p_;
  const char* end_;
};

// A base64 string or null; false: not the fast shape (or not valid base64).
bool data_field(Scanner& s, std::optional<std::string>& out) {
  if (s.null()) {
    out.reset();
    return true;
  }
  std::string_view text;
  if (!s.string(text)) {
    return false;
  }
  auto bytes = base64_decode(text);
  if (!bytes) {
    return false;
  }
  out = std::move(*bytes);
  return true;
}

bool record(Scanner& s, ProduceTarget target, ProduceRecord& out) {
  if (!s.eat('{')) {
    return false;
  }
  bool seen_key = false;
  bool seen_value = false;
  bool seen_partition = false;
  if (s.eat('}')) {
    return true;
  }
  do {
    std::string_view name;
    if (!s.string(name) || !s.eat(':')) {
      return false;
    }
    if (name == "value" && !seen_value) {
      seen_value = true;
      if (!data_field(s, out.value)) {
        return false;
      }
    } else if (name == "key" && !seen_key) {
      seen_key = true;
      if (!data_field(s, out.key)) {
        return false;
      }
    } else if (name == "partition" && !seen_partition && target == ProduceTarget::kTopic) {
      seen_partition = true;
      int32_t p = 0;
      if (!s.partition(p)) {
        return false;
      }
      out.partition = PartitionId(p);
    } else {
      return false;
    }
  } while (s.eat(','));
  return s.eat('}');
}

}  // namespace

std::optional<ProduceRequest> parse_binary_produce_fast(std::string_view text,
                                                        ProduceTarget target) {
  Scanner s(text);
  std::string_view name;
  if (!s.eat('{') || !s.string(name) || name != "records" || !s.eat(':') || !s.eat('[')) {
    return std::nullopt;
  }
  ProduceRequest out;
  out.format = EmbeddedFormat::kBinary;
  if (s.peek(']')) {
    return std::nullopt;  // empty: the DOM path answers 422
  }
  do {
    ProduceRecord r;
    if (!record(s, target, r)) {
      return std::nullopt;
    }
    out.records.push_back(std::move(r));
  } while (s.eat(','));
  if (!s.eat(']') || !s.eat('}') || !s.at_end()) {
    return std::nullopt;
  }
  return out;
}

}  // namespace meridian::gateway::json
