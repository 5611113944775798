#pragma once
// Splits a byte stream of concatenated JSON values ("{...}{...} {...}") into whole top-level
// values without parsing them: the v3 streaming produce body arrives in arbitrary chunks and
// each record is parsed (and fails) on its own. Scans each byte once; memory is the bytes of
// the value in progress plus what has not been taken yet. Pure, single-threaded.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace meridian::gateway {

class JsonValueSplitter {
 public:
  explicit JsonValueSplitter(size_t max_value_bytes) : max_value_(max_value_bytes) {}

  void append(std::string_view bytes) {
    compact();
    buf_.append(bytes);
  }

  enum class Next : uint8_t { kValue, kNeedMore, kTooLarge };
  // kValue: `value` is the next whole value (an object or array; a top-level scalar or stray
  // byte run comes out as-is so that its parse fails). It views the internal buffer until the
  // next append(). kTooLarge: the value in progress exceeds the limit (the stream is unusable).
  Next next(std::string_view& value) {
    for (; pos_ < buf_.size(); ++pos_) {
      char c = buf_[pos_];
      if (!started_) {
        if (is_space(c)) {
          start_ = pos_ + 1;
          continue;
        }
        started_ = true;
        start_ = pos_;
        scalar_ = c != '{' && c != '[';
        if (scalar_) {
          continue;
        }
      }
      if (scalar_) {
        if (is_space(c) || c == '{' || c == '[') {
          return take(value, pos_);  // the delimiter starts the next value
        }
        continue;
      }
      if (!step(c)) {
        continue;
      }
      ++pos_;
      return take(value, pos_);
    }
    if (started_ && pos_ - start_ > max_value_) {
      return Next::kTooLarge;
    }
    return Next::kNeedMore;
  }

  // Non-whitespace bytes of an unfinished value remain (at the end of the stream: an error).
  bool has_partial() const { return started_; }
  // The unfinished value so far (for the error message), at most `n` bytes.
  std::string_view partial(size_t n) const {
    return std::string_view(buf_).substr(start_, std::min(n, buf_.size() - start_));
  }
  size_t buffered() const { return buf_.size() - start_; }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

  // Feeds one byte of an object/array; true when it closed the top-level value.
  bool step(char c) {
    if (in_string_) {
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      return false;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      return --depth_ == 0;
    }
    return false;
  }

  Next take(std::string_view& value, size_t end) {
    value = std::string_view(buf_).substr(start_, end - start_);
    start_ = end;
    started_ = false;
    scalar_ = false;
    depth_ = 0;
    if (value.size() > max_value_) {
      return Next::kTooLarge;
    }
    return Next::kValue;
  }

  // Drops consumed bytes once they are the larger part of the buffer (amortised O(1)).
  void compact() {
    if (start_ > 4096 && start_ * 2 > buf_.size()) {
      buf_.erase(0, start_);
      pos_ -= start_;
      start_ = 0;
    }
  }

  size_t max_value_;
  std::string buf_;
  size_t start_ = 0;  // first byte of the value in progress (or of unscanned whitespace)
  size_t pos_ = 0;    // next byte to scan
  int depth_ = 0;
  bool started_ = false;
  bool scalar_ = false;
  bool in_string_ = false;
  bool escape_ = false;
};

}  // namespace meridian::gateway
