#include "cli/record_format.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "cli/client_common.h"

namespace meridian::cli {
namespace {

using Kind = FormatToken::Kind;

std::optional<Kind> field_kind(char c, bool input) {
  switch (c) {
    case 'k': return Kind::kKey;
    case 'v': return Kind::kValue;
    default: break;
  }
  if (input) {
    return std::nullopt;
  }
  switch (c) {
    case 't': return Kind::kTopic;
    case 'p': return Kind::kPartition;
    case 'o': return Kind::kOffset;
    case 'T': return Kind::kTimestamp;
    case 'd': return Kind::kDate;
    case 'h': return Kind::kHeaders;
    default: return std::nullopt;
  }
}

void add_literal(std::vector<FormatToken>& tokens, char c) {
  if (tokens.empty() || tokens.back().kind != Kind::kLiteral) {
    tokens.push_back({Kind::kLiteral, {}});
  }
  tokens.back().text.push_back(c);
}

}  // namespace

std::optional<std::vector<FormatToken>> parse_format(std::string_view format, bool input,
                                                     std::string& error) {
  std::vector<FormatToken> tokens;
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if ((c == '\\' || c == '%') && i + 1 == format.size()) {
      error = std::string("format ends with a lone '") + c + "'";
      return std::nullopt;
    }
    if (c == '\\') {
      const char e = format[++i];
      add_literal(tokens, e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
    } else if (c == '%') {
      const char f = format[++i];
      if (f == '%') {
        add_literal(tokens, '%');
        continue;
      }
      auto kind = field_kind(f, input);
      if (!kind) {
        error = std::string("unknown field '%") + f + "' (" +
                (input ? "use %k and %v" : "use %t %p %o %k %v %T %d %h") + ")";
        return std::nullopt;
      }
      if (input && !tokens.empty() && tokens.back().kind != Kind::kLiteral) {
        error = "two fields need a separator between them";
        return std::nullopt;
      }
      tokens.push_back({*kind, {}});
    } else {
      add_literal(tokens, c);
    }
  }
  if (input) {
    int values = 0;
    int keys = 0;
    for (const auto& t : tokens) {
      values += t.kind == Kind::kValue;
      keys += t.kind == Kind::kKey;
    }
    if (values != 1 || keys > 1) {
      error = "an input format needs exactly one %v and at most one %k";
      return std::nullopt;
    }
  }
  return tokens;
}

RecordReader::RecordReader(std::istream& in, std::vector<FormatToken> tokens)
    : in_(in), tokens_(std::move(tokens)) {}

bool RecordReader::read_until(const std::string& delimiter, std::string& out) {
  out.clear();
  for (int c = in_.get(); c != std::char_traits<char>::eof(); c = in_.get()) {
    out.push_back(static_cast<char>(c));
    if (!delimiter.empty() && out.size() >= delimiter.size() &&
        out.compare(out.size() - delimiter.size(), delimiter.size(), delimiter) == 0) {
      out.resize(out.size() - delimiter.size());
      return true;
    }
  }
  return false;
}

std::optional<InputRecord> RecordReader::next() {
  if (!error_.empty()) {
    return std::nullopt;
  }
  InputRecord record;
  bool started = false;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const auto& token = tokens_[i];
    if (token.kind == Kind::kLiteral) {
      if (i > 0) {
        continue;  // consumed as the delimiter of the field before it
      }
      for (char expected : token.text) {
        const int c = in_.get();
        if (c == std::char_traits<char>::eof() && !started) {
          return std::nullopt;
        }
        if (c != expected) {
          error_ = "record " + std::to_string(records_ + 1) + " does not start with '" +
                   token.text + "'";
          return std::nullopt;
        }
        started = true;
      }
      continue;
    }
    const bool last = i + 1 == tokens_.size();
    const std::string delimiter = last ? "" : tokens_[i + 1].text;
    std::string text;
    const bool delimited = read_until(delimiter, text);
    if (!started && !delimited && text.empty()) {
      return std::nullopt;  // clean end of input
    }
    started = true;
    // The final delimiter may be missing at the end of input ("a\nb" is two lines); an earlier
    // one may not (the record would be cut in the middle).
    if (!delimited && !last && i + 2 < tokens_.size()) {
      error_ = "record " + std::to_string(records_ + 1) + " ends before '" + delimiter + "'";
      return std::nullopt;
    }
    (token.kind == Kind::kKey ? record.key.emplace() : record.value) = std::move(text);
    if (!delimited) {
      break;
    }
  }
  ++records_;
  return record;
}

std::optional<OffsetSpec> parse_offset_spec(std::string_view text) {
  using K = OffsetSpec::Kind;
  if (text == "beginning" || text == "start" || text == "oldest") {
    return OffsetSpec{K::kBeginning, 0};
  }
  if (text == "end" || text == "newest") {
    return OffsetSpec{K::kEnd, 0};
  }
  int64_t n = 0;
  if (!text.empty() && (text[0] == '+' || text[0] == '-' || text[0] == '@')) {
    if (!parse_int(text.substr(1), n) || n < 0) {
      return std::nullopt;
    }
    n = std::min<int64_t>(n, int64_t{1} << 62);  // keeps start + n from overflowing
    const K kind = text[0] == '+' ? K::kAfterStart : text[0] == '-' ? K::kBeforeEnd
                                                                    : K::kTimestamp;
    return OffsetSpec{kind, n};
  }
  if (!parse_int(text, n) || n < 0) {
    return std::nullopt;
  }
  return OffsetSpec{K::kExact, n};
}

int64_t resolve_offset(const OffsetSpec& spec, int64_t log_start, int64_t high_watermark,
                       int64_t by_timestamp) {
  using K = OffsetSpec::Kind;
  int64_t want = log_start;
  switch (spec.kind) {
    case K::kBeginning: want = log_start; break;
    case K::kEnd: want = high_watermark; break;
    case K::kExact: want = spec.value; break;
    case K::kAfterStart: want = log_start + spec.value; break;
    case K::kBeforeEnd: want = high_watermark - spec.value; break;
    case K::kTimestamp: want = by_timestamp < 0 ? high_watermark : by_timestamp; break;
  }
  return std::clamp(want, log_start, high_watermark);
}

std::string render_record(const std::vector<FormatToken>& tokens,
                          const client::ConsumerRecord& record) {
  const auto& r = record.record;
  std::string out;
  for (const auto& t : tokens) {
    switch (t.kind) {
      case Kind::kLiteral: out += t.text; break;
      case Kind::kKey: out += r.key ? *r.key : "(null)"; break;
      case Kind::kValue: out += r.value ? *r.value : "(null)"; break;
      case Kind::kTopic: out += record.tp.topic; break;
      case Kind::kPartition: out += std::to_string(record.tp.partition.value); break;
      case Kind::kOffset: out += std::to_string(r.offset.value); break;
      case Kind::kTimestamp: out += std::to_string(r.timestamp); break;
      case Kind::kDate: out += format_timestamp(r.timestamp); break;
      case Kind::kHeaders:
        for (size_t i = 0; i < r.headers.size(); ++i) {
          out += (i ? "," : "") + r.headers[i].key + "=" + r.headers[i].value.value_or("(null)");
        }
        break;
    }
  }
  return out;
}

std::string render_record_json(const client::ConsumerRecord& record) {
  const auto& r = record.record;
  auto opt = [](const std::optional<std::string>& s) {
    return s ? nlohmann::json(*s) : nlohmann::json();
  };
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& h : r.headers) {
    headers.push_back({{"key", h.key}, {"value", opt(h.value)}});
  }
  nlohmann::json j{{"topic", record.tp.topic},
                   {"partition", record.tp.partition.value},
                   {"offset", r.offset.value},
                   {"timestamp", r.timestamp},
                   {"key", opt(r.key)},
                   {"value", opt(r.value)},
                   {"headers", headers}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace meridian::cli
