#include "gateway/json/json_util.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>

namespace meridian::gateway::json {
namespace {

std::string type_message(std::string_view field, std::string_view expected) {
  std::string m = "Cannot deserialize field '";
  m.append(field);
  m.append("': expected ");
  m.append(expected);
  return m;
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool read_digits(std::string_view& s, size_t n, int& out) {
  if (s.size() < n) {
    return false;
  }
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    out = out * 10 + (s[i] - '0');
  }
  s.remove_prefix(n);
  return true;
}

bool expect(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) {
    return false;
  }
  s.remove_prefix(1);
  return true;
}

}  // namespace

ApiResult<Json> parse_body(std::string_view body, bool require_object) {
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return api_error(errc::bad_request, "Unexpected character or malformed JSON in request body");
  }
  if (require_object && !j.is_object()) {
    return api_error(errc::unprocessable, "Request body must be a JSON object");
  }
  return ApiResult<Json>(boost::system::in_place_value, std::move(j));
}

ApiResult<void> reject_unknown(const Json& obj, std::initializer_list<std::string_view> known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool found = false;
    for (auto k : known) {
      if (it.key() == k) {
        found = true;
        break;
      }
    }
    if (!found) {
      return api_error(errc::unprocessable, "Unrecognized field: " + it.key());
    }
  }
  return {};
}

ApiResult<std::optional<std::string>> get_string(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    return std::optional<std::string>{};
  }
  if (!it->is_string()) {
    return api_error(errc::unprocessable, type_message(field, "a string"));
  }
  return std::optional<std::string>(it->get_ref<const std::string&>());
}

ApiResult<std::optional<int64_t>> get_int(const Json& obj, std::string_view field, int64_t min,
                                          int64_t max) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    return std::optional<int64_t>{};
  }
  int64_t v = 0;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return api_error(errc::unprocessable, type_message(field, "a 64-bit integer"));
    }
    v = it->get<int64_t>();
  } else if (it->is_string()) {
    // Jackson coerces numeric strings ("fetch.min.bytes": "1024"); so do we.
    const auto& s = it->get_ref<const std::string&>();
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
      return api_error(errc::unprocessable, type_message(field, "an integer"));
    }
  } else {
    return api_error(errc::unprocessable, type_message(field, "an integer"));
  }
  if (v < min || v > max) {
    return api_error(errc::unprocessable, "Field '" + std::string(field) + "' must be between " +
                                              std::to_string(min) + " and " + std::to_string(max));
  }
  return std::optional<int64_t>(v);
}

ApiResult<std::optional<bool>> get_bool(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    return std::optional<bool>{};
  }
  if (it->is_boolean()) {
    return std::optional<bool>(it->get<bool>());
  }
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    if (s == "true") {
      return std::optional<bool>(true);
    }
    if (s == "false") {
      return std::optional<bool>(false);
    }
  }
  return api_error(errc::unprocessable, type_message(field, "true or false"));
}

ApiResult<const Json*> get_array(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    return api_error(errc::unprocessable, std::string(field) + " may not be null");
  }
  if (!it->is_array()) {
    return api_error(errc::unprocessable, type_message(field, "an array"));
  }
  return &*it;
}

std::optional<int64_t> parse_iso8601(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!read_digits(s, 4, year) || !expect(s, '-') || !read_digits(s, 2, month) || !expect(s, '-') ||
      !read_digits(s, 2, day) || !(expect(s, 'T') || expect(s, 't')) || !read_digits(s, 2, hour) ||
      !expect(s, ':') || !read_digits(s, 2, minute) || !expect(s, ':') ||
      !read_digits(s, 2, second)) {
    return std::nullopt;
  }
  constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] ||
      (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  int64_t millis = 0;
  if (!s.empty() && (s.front() == '.' || s.front() == ',')) {
    s.remove_prefix(1);
    int digits = 0;
    int64_t scale = 100;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      millis += (s.front() - '0') * scale;  // digits past milliseconds are truncated
      scale /= 10;
      s.remove_prefix(1);
      ++digits;
    }
    if (digits == 0) {
      return std::nullopt;
    }
  }
  int64_t offset_minutes = 0;
  if (expect(s, 'Z') || expect(s, 'z')) {
    // UTC
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh, om;
    if (!read_digits(s, 2, oh)) {
      return std::nullopt;
    }
    expect(s, ':');
    if (!read_digits(s, 2, om) || oh > 18 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (!s.empty()) {
    return std::nullopt;
  }
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000 + millis;
}

std::string format_iso8601(int64_t epoch_ms) {
  using namespace std::chrono;
  sys_time<milliseconds> tp{milliseconds(epoch_ms)};
  auto day_point = floor<days>(tp);
  year_month_day ymd{day_point};
  hh_mm_ss<milliseconds> hms{tp - day_point};
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                        int(hms.minutes().count()), int(hms.seconds().count()));
  std::string out(buf, static_cast<size_t>(n));
  if (auto ms = hms.subseconds().count(); ms != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", int(ms));
    out += buf;
  }
  out += 'Z';
  return out;
}

bool valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace meridian::gateway::json
