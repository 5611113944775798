#pragma once
// SizeCounter: an io() visitor that computes the exact encoded size of a message without
// writing it, so encoders can reserve their output once. Growing a multi-megabyte vector by
// doubling costs about 40x a single reservation here (page faults on every regrowth; measured
// on a 1.6 MB Fetch response: 20 ms vs 0.5 ms).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "cluster/protocol/types.h"
#include "cluster/record/varint.h"

namespace meridian::protocol {

class SizeCounter {
 public:
  static constexpr bool kIsReader = false;

  // With count_records == false, records bytes are left out (they are spliced, not copied).
  explicit SizeCounter(bool count_records = true) noexcept : count_records_(count_records) {}

  size_t size() const noexcept { return size_; }

  template <class T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void field(const T&) noexcept { size_ += std::is_same_v<T, bool> ? 1 : sizeof(T); }
  void field(const std::string& value) noexcept { size_ += 2 + value.size(); }
  void field(const std::optional<std::string>& value) noexcept {
    size_ += 2 + (value ? value->size() : 0);
  }
  void field(const Bytes& value) noexcept { size_ += 4 + value.size(); }
  void field(const std::optional<Bytes>& value) noexcept {
    size_ += 4 + (value ? value->size() : 0);
  }
  void records(const Records& value) noexcept {
    size_ += 4 + (value && count_records_ ? value->size() : 0);
  }
  void records(const RecordsView& value) noexcept {
    size_ += 4 + (value && count_records_ ? value->size() : 0);
  }
  void varint(int32_t value) noexcept { size_ += record::varint_size(value); }
  void varlong(int64_t value) noexcept { size_ += record::varlong_size(value); }

  template <class T>
  void array(const std::vector<T>& value, int16_t version) {
    size_ += 4;
    for (const T& element : value) {
      if constexpr (requires { const_cast<T&>(element).io(*this, version); }) {
        const_cast<T&>(element).io(*this, version);
      } else {
        field(element);
      }
    }
  }
  template <class T>
  void array(const std::optional<std::vector<T>>& value, int16_t version,
             Nullable = Nullable::kYes) {
    if (value) {
      array(*value, version);
    } else {
      size_ += 4;
    }
  }

 private:
  bool count_records_;
  size_t size_ = 0;
};

}  // namespace meridian::protocol
