#pragma once
// Writer: the encoding half of io(), appending big-endian fields to a std::vector<uint8_t>.
//
// Like Reader its first failure is sticky (a string longer than 32767 bytes, bytes or an array
// longer than INT32_MAX: errc::value_too_large); the caller checks error() once at the end.
//
// Splice mode (for Fetch responses): records() writes only the int32 length and remembers where
// the caller's record bytes go instead of copying them, so a response can be sent as a gather
// list of (header bytes, records bytes, header bytes, ...). See Encoded in codec.h.
// Lifetime: the output vector, and in splice mode every Records spliced, must outlive the Writer.

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "cluster/protocol/errc.h"
#include "cluster/protocol/types.h"
#include "cluster/record/varint.h"
#include "common/byte_order.h"

namespace meridian::protocol {

// A run of external bytes to send after out[0, position) and before out[position, ...).
struct Splice {
  size_t position = 0;
  std::span<const uint8_t> bytes;
};

class Writer {
 public:
  static constexpr bool kIsReader = false;

  explicit Writer(std::vector<uint8_t>& out, std::vector<Splice>* splices = nullptr) noexcept
      : out_(out), splices_(splices) {}

  bool ok() const noexcept { return !error_; }
  std::error_code error() const noexcept { return error_; }
  void fail(errc e) noexcept {
    if (!error_) {
      error_ = make_error_code(e);
    }
  }

  template <class T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void field(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      field(static_cast<int8_t>(value ? 1 : 0));
    } else if constexpr (std::is_enum_v<T>) {
      field(static_cast<std::underlying_type_t<T>>(value));
    } else {
      uint8_t buf[sizeof(T)];
      store_be<T>(buf, value);
      out_.insert(out_.end(), buf, buf + sizeof(T));
    }
  }

  void field(const std::string& value) { put_string(value.data(), value.size()); }
  void field(const std::optional<std::string>& value) {
    if (!value) {
      field(int16_t{-1});
    } else {
      field(*value);
    }
  }
  void field(const Bytes& value) {
    if (put_length<int32_t>(value.size())) {
      out_.insert(out_.end(), value.begin(), value.end());
    }
  }
  void field(const std::optional<Bytes>& value) {
    if (!value) {
      field(int32_t{-1});
    } else {
      field(*value);
    }
  }

  void records(const Records& value) {
    records(value ? RecordsView(std::span<const uint8_t>(*value)) : RecordsView());
  }
  void records(const RecordsView& value) {
    if (!value) {
      field(int32_t{-1});
      return;
    }
    if (!put_length<int32_t>(value->size())) {
      return;
    }
    if (splices_ != nullptr && !value->empty()) {
      splices_->push_back({out_.size(), *value});
    } else {
      out_.insert(out_.end(), value->begin(), value->end());
    }
  }

  void varint(int32_t value) { record::append_varint(out_, value); }
  void varlong(int64_t value) { record::append_varlong(out_, value); }

  template <class T>
  void array(const std::vector<T>& value, int16_t version) {
    if (!put_length<int32_t>(value.size())) {
      return;
    }
    for (const T& element : value) {
      if constexpr (requires { const_cast<T&>(element).io(*this, version); }) {
        // io() is shared with Reader, hence non-const; the Writer only reads through it.
        const_cast<T&>(element).io(*this, version);
      } else {
        field(element);
      }
    }
  }
  template <class T>
  void array(const std::optional<std::vector<T>>& value, int16_t version,
             Nullable nullable = Nullable::kYes) {
    if (value) {
      array(*value, version);
    } else if (nullable == Nullable::kYes) {
      field(int32_t{-1});
    } else {
      field(int32_t{0});
    }
  }

 private:
  template <class Len>
  bool put_length(size_t n) {
    if (n > static_cast<size_t>(std::numeric_limits<Len>::max())) {
      fail(errc::value_too_large);
      return false;
    }
    field(static_cast<Len>(n));
    return true;
  }
  void put_string(const char* data, size_t n) {
    if (put_length<int16_t>(n)) {
      out_.insert(out_.end(), data, data + n);
    }
  }

  std::vector<uint8_t>& out_;
  std::vector<Splice>* splices_;
  std::error_code error_;
};

}  // namespace meridian::protocol
