#pragma once
// Reader: a bounds-checked cursor over one message's bytes, the decoding half of io().
//
// The first failure is sticky: later reads return zero values and consume nothing, so io()
// functions need no error branches and the caller checks error() once. The reader never reads
// past its span and never allocates more than the bytes it still holds (every length and count
// is checked against remaining() before anything is reserved).
// Lifetime: the span must outlive the Reader; decoded values are copies.

#include <algorithm>
#include <cstdint>
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

class Reader {
 public:
  static constexpr bool kIsReader = true;

  explicit Reader(std::span<const uint8_t> in) noexcept : in_(in) {}

  bool ok() const noexcept { return !error_; }
  std::error_code error() const noexcept { return error_; }
  size_t position() const noexcept { return pos_; }
  size_t remaining() const noexcept { return in_.size() - pos_; }
  std::span<const uint8_t> rest() const noexcept { return in_.subspan(pos_); }
  void fail(errc e) noexcept {
    if (!error_) {
      error_ = make_error_code(e);
    }
  }

  // Fixed-width big-endian integers, bool (any non-zero byte is true, as in Kafka) and enums
  // (read as their underlying type).
  template <class T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void field(T& value) noexcept {
    if constexpr (std::is_same_v<T, bool>) {
      int8_t b = 0;
      field(b);
      value = b != 0;
    } else if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> raw{};
      field(raw);
      value = static_cast<T>(raw);
    } else {
      const uint8_t* p = take(sizeof(T));
      value = p != nullptr ? load_be<T>(p) : T{};
    }
  }

  // string: int16 length then UTF-8 bytes; -1 is null (an error for the non-optional form).
  void field(std::string& value) {
    std::optional<std::string> v;
    field(v);
    if (ok() && !v) {
      fail(errc::null_not_allowed);
    }
    value = v ? std::move(*v) : std::string();
  }
  void field(std::optional<std::string>& value) {
    int16_t len = 0;
    field(len);
    value.reset();
    if (len == -1 || !ok()) {
      return;
    }
    if (const uint8_t* p = take_length(len)) {
      value.emplace(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
    }
  }

  // bytes: int32 length then raw bytes; -1 is null.
  void field(Bytes& value) {
    std::optional<Bytes> v;
    field(v);
    if (ok() && !v) {
      fail(errc::null_not_allowed);
    }
    value = v ? std::move(*v) : Bytes();
  }
  void field(std::optional<Bytes>& value) {
    int32_t len = 0;
    field(len);
    value.reset();
    if (len == -1 || !ok()) {
      return;
    }
    if (const uint8_t* p = take_length(len)) {
      value.emplace(p, p + len);
    }
  }

  // records: nullable bytes on the wire; the batches inside are not parsed here.
  void records(Records& value) { field(value); }
  void records(RecordsView& value) noexcept {
    int32_t len = 0;
    field(len);
    value.reset();
    if (len == -1 || !ok()) {
      return;
    }
    if (const uint8_t* p = take_length(len)) {
      value.emplace(p, static_cast<size_t>(len));
    }
  }

  // Zig-zag varint / varlong (Kafka's "varint" type), for record-level fields.
  void varint(int32_t& value) noexcept { value = read_var<int32_t>(); }
  void varlong(int64_t& value) noexcept { value = read_var<int64_t>(); }

  // Arrays: int32 count then elements; -1 is null. Elements are scalars, strings, bytes or
  // structs with their own io().
  template <class T>
  void array(std::vector<T>& value, int16_t version) {
    std::optional<std::vector<T>> v;
    array(v, version, Nullable::kNo);
    value = v ? std::move(*v) : std::vector<T>();
  }
  template <class T>
  void array(std::optional<std::vector<T>>& value, int16_t version,
             Nullable nullable = Nullable::kYes) {
    int32_t count = 0;
    field(count);
    value.reset();
    if (!ok()) {
      return;
    }
    if (count == -1) {
      if (nullable == Nullable::kNo) {
        fail(errc::null_not_allowed);
      }
      return;
    }
    if (count < 0) {
      fail(errc::invalid_length);
      return;
    }
    if (static_cast<size_t>(count) > remaining() / detail::min_wire_size<T>()) {
      fail(errc::truncated);
      return;
    }
    // Grow as elements actually parse: a struct is far larger in memory than its minimum wire
    // size, so reserving `count` up front would let 1 MiB of input claim gigabytes.
    auto& out = value.emplace();
    out.reserve(std::min<size_t>(static_cast<size_t>(count), kMaxReserve));
    for (int32_t i = 0; i < count && ok(); ++i) {
      T& element = out.emplace_back();
      if constexpr (requires { element.io(*this, version); }) {
        element.io(*this, version);
      } else {
        field(element);
      }
    }
  }

 private:
  static constexpr size_t kMaxReserve = 1024;

  const uint8_t* take(size_t n) noexcept {
    if (error_) {
      return nullptr;
    }
    if (n > remaining()) {
      fail(errc::truncated);
      return nullptr;
    }
    const uint8_t* p = in_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <class Len>
  const uint8_t* take_length(Len len) noexcept {
    if (len < 0) {
      fail(errc::invalid_length);
      return nullptr;
    }
    return take(static_cast<size_t>(len));
  }
  template <class T>
  T read_var() noexcept {
    if (error_) {
      return T{};
    }
    T v{};
    size_t n = 0;
    if constexpr (sizeof(T) == 4) {
      n = record::decode_varint(rest(), v);
    } else {
      n = record::decode_varlong(rest(), v);
    }
    if (n == 0) {
      fail(errc::bad_varint);
      return T{};
    }
    pos_ += n;
    return v;
  }

  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  std::error_code error_;
};

}  // namespace meridian::protocol
