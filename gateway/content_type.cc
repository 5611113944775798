#include "gateway/content_type.h"

#include <array>
#include <charconv>
#include <cmath>

namespace meridian::gateway {
namespace {

constexpr std::array<std::string_view, 5> kFormatNames = {"binary", "json", "avro", "jsonschema",
                                                          "protobuf"};
constexpr std::array<std::string_view, 5> kFormatTypes = {
    "application/vnd.kafka.binary.v2+json", "application/vnd.kafka.json.v2+json",
    "application/vnd.kafka.avro.v2+json", "application/vnd.kafka.jsonschema.v2+json",
    "application/vnd.kafka.protobuf.v2+json"};

constexpr std::array kV2 = {Producible{"application/vnd.kafka.v2+json", 0.9},
                            Producible{"application/vnd.kafka+json", 0.8},
                            Producible{"application/json", 0.5}};
constexpr std::array kV3 = {Producible{"application/json", 1.0}};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// `type/subtype` of a media type, parameters cut off.
std::string_view essence(std::string_view media) { return trim(media.substr(0, media.find(';'))); }

// Parses the vnd.kafka family: `vnd.kafka` then optional `.fmt`, optional `.v2`, then `+json`.
bool parse_kafka_type(std::string_view subtype, RequestContentType& out) {
  constexpr std::string_view kPrefix = "vnd.kafka";
  constexpr std::string_view kSuffix = "+json";
  if (!istarts_with(subtype, kPrefix) || subtype.size() < kPrefix.size() + kSuffix.size() ||
      !iequals(subtype.substr(subtype.size() - kSuffix.size()), kSuffix)) {
    return false;
  }
  std::string_view middle =
      subtype.substr(kPrefix.size(), subtype.size() - kPrefix.size() - kSuffix.size());
  out.kind = MediaKind::kKafkaDefault;
  if (middle.size() >= 3 && iequals(middle.substr(middle.size() - 3), ".v2")) {
    out.kind = MediaKind::kKafkaV2;
    middle.remove_suffix(3);
  }
  if (middle.empty()) {
    out.format = EmbeddedFormat::kBinary;
    out.format_explicit = false;
    return true;
  }
  if (middle.front() != '.') {
    return false;
  }
  out.format_explicit = true;
  return parse_format_name(middle.substr(1), out.format);
}

struct Range {
  std::string_view type;     // "application" or "*"
  std::string_view subtype;  // "json" or "*"
  double q = 1.0;
};

// Parses one media range of an Accept header. Returns false for junk (the range is ignored).
bool parse_range(std::string_view text, Range& out) {
  std::string_view media = essence(text);
  auto slash = media.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == media.size()) {
    return false;
  }
  out.type = media.substr(0, slash);
  out.subtype = media.substr(slash + 1);
  out.q = 1.0;
  std::string_view params = text.substr(std::min(text.size(), text.find(';')));
  while (!params.empty()) {
    params.remove_prefix(1);  // ';'
    auto next = params.find(';');
    std::string_view param = trim(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view{} : params.substr(next);
    if (param.size() >= 2 && lower(param[0]) == 'q' && param[1] == '=') {
      std::string_view num = param.substr(2);
      double q = 0;
      auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), q);
      if (ec != std::errc() || ptr != num.data() + num.size() || !(q >= 0.0 && q <= 1.0)) {
        return false;
      }
      out.q = q;
    }
  }
  return true;
}

// How specifically `range` matches `media` (type/subtype): -1 no match, 0 */*, 1 type/*, 2 exact.
int match(const Range& range, std::string_view media) {
  auto slash = media.find('/');
  std::string_view type = media.substr(0, slash);
  std::string_view subtype = media.substr(slash + 1);
  if (range.type == "*") {
    return range.subtype == "*" ? 0 : -1;
  }
  if (!iequals(range.type, type)) {
    return -1;
  }
  if (range.subtype == "*") {
    return 1;
  }
  return iequals(range.subtype, subtype) ? 2 : -1;
}

}  // namespace

std::string_view format_name(EmbeddedFormat f) noexcept {
  return kFormatNames[static_cast<size_t>(f)];
}

bool parse_format_name(std::string_view name, EmbeddedFormat& out) noexcept {
  for (size_t i = 0; i < kFormatNames.size(); ++i) {
    if (iequals(name, kFormatNames[i])) {
      out = static_cast<EmbeddedFormat>(i);
      return true;
    }
  }
  return false;
}

std::string_view format_media_type(EmbeddedFormat f) noexcept {
  return kFormatTypes[static_cast<size_t>(f)];
}

ApiResult<RequestContentType> parse_content_type(std::string_view header) {
  RequestContentType out;
  std::string_view media = essence(header);
  if (media.empty()) {
    return out;  // Jersey treats a missing Content-Type as application/octet-stream
  }
  auto slash = media.find('/');
  if (slash != std::string_view::npos && iequals(media.substr(0, slash), "application")) {
    std::string_view subtype = media.substr(slash + 1);
    if (iequals(subtype, "json")) {
      out.kind = MediaKind::kJson;
      return out;
    }
    if (iequals(subtype, "octet-stream")) {
      out.kind = MediaKind::kOctetStream;
      return out;
    }
    if (parse_kafka_type(subtype, out)) {
      return out;
    }
  }
  return api_error(errc::unsupported_media_type);
}

std::span<const Producible> v2_producibles() noexcept { return kV2; }
std::span<const Producible> v3_producibles() noexcept { return kV3; }

ApiResult<size_t> negotiate(std::string_view accept, std::span<const Producible> producibles) {
  if (trim(accept).empty()) {
    accept = "*/*";
  }
  size_t best = producibles.size();
  double best_score = 0.0;
  for (size_t i = 0; i < producibles.size(); ++i) {
    // RFC 7231 §5.3.2: the most specific matching range decides the q of a type.
    int best_specificity = -1;
    double q = 0.0;
    std::string_view rest = accept;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      Range range;
      if (!parse_range(item, range)) {
        continue;
      }
      int s = match(range, producibles[i].media_type);
      if (s > best_specificity) {
        best_specificity = s;
        q = range.q;
      }
    }
    double score = q * producibles[i].qs;
    if (best_specificity >= 0 && score > best_score) {
      best_score = score;
      best = i;
    }
  }
  if (best == producibles.size()) {
    return api_error(errc::not_acceptable);
  }
  return best;
}

ApiResult<EmbeddedFormat> negotiate_records(std::string_view accept, EmbeddedFormat consumer) {
  // The consumer's own type first, so */* and application/* select it.
  std::array<Producible, 5> types;
  types[0] = {format_media_type(consumer), 1.0};
  size_t n = 1;
  for (size_t i = 0; i < kFormatTypes.size(); ++i) {
    if (static_cast<EmbeddedFormat>(i) != consumer) {
      types[n++] = {kFormatTypes[i], 1.0};
    }
  }
  auto chosen = negotiate(accept, types);
  if (!chosen) {
    return chosen.error();
  }
  if (*chosen != 0) {
    return api_error(errc::consumer_format_mismatch);
  }
  return consumer;
}

}  // namespace meridian::gateway
