#pragma once
// Test-only io() visitors:
//   Filler      fills every field present in a version with seeded pseudo-random values, so a
//               round trip exercises each field without hand-written samples per message.
//   JsonDumper  writes a message positionally as JSON (fields in wire order; a struct with one
//               field collapses to that field; bytes as lowercase hex). The python compat scripts
//               (tests/compat/protocol/) produce the same shape from kafka-python's schemas.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "cluster/protocol/types.h"

namespace meridian::protocol::testing {

class Filler {
 public:
  static constexpr bool kIsReader = false;
  explicit Filler(std::mt19937_64& rng) : rng_(rng) {}

  template <class T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void field(T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      value = pick(2) == 1;
    } else if constexpr (std::is_enum_v<T>) {
      value = static_cast<T>(static_cast<std::underlying_type_t<T>>(rng_()));
    } else {
      value = static_cast<T>(rng_());
    }
  }
  void field(std::string& value) {
    value.clear();
    size_t n = pick(9);
    for (size_t i = 0; i < n; ++i) {
      value.push_back(static_cast<char>('a' + pick(26)));
    }
  }
  void field(std::optional<std::string>& value) {
    if (pick(4) == 0) {
      value.reset();
    } else {
      field(value.emplace());
    }
  }
  void field(Bytes& value) {
    value.resize(pick(9));
    for (auto& b : value) {
      b = static_cast<uint8_t>(rng_());
    }
  }
  void field(std::optional<Bytes>& value) {
    if (pick(4) == 0) {
      value.reset();
    } else {
      field(value.emplace());
    }
  }
  void records(Records& value) { field(value); }

  template <class T>
  void array(std::vector<T>& value, int16_t version) {
    fill(value, pick(4), version);
  }
  template <class T>
  void array(std::optional<std::vector<T>>& value, int16_t version,
             Nullable nullable = Nullable::kYes) {
    if (nullable == Nullable::kYes && pick(4) == 0) {
      value.reset();
      return;
    }
    // Never empty where null is not allowed: v0 of Metadata reads [] as "all" (null).
    fill(value.emplace(), 1 + pick(3), version);
  }

 private:
  size_t pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  template <class T>
  void fill(std::vector<T>& value, size_t n, int16_t version) {
    value.assign(n, T{});
    for (auto& element : value) {
      if constexpr (requires { element.io(*this, version); }) {
        element.io(*this, version);
      } else {
        field(element);
      }
    }
  }
  std::mt19937_64& rng_;
};

inline std::string to_hex(const Bytes& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

class JsonDumper {
 public:
  static constexpr bool kIsReader = false;

  template <class T>
  static nlohmann::json dump(const T& msg, int16_t version) {
    JsonDumper dumper;
    const_cast<T&>(msg).io(dumper, version);
    return dumper.take();
  }

  template <class T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void field(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      out_.push_back(value);
    } else if constexpr (std::is_enum_v<T>) {
      out_.push_back(static_cast<int64_t>(value));
    } else {
      out_.push_back(static_cast<int64_t>(value));
    }
  }
  void field(const std::string& value) { out_.push_back(value); }
  void field(const std::optional<std::string>& value) {
    out_.push_back(value ? nlohmann::json(*value) : nlohmann::json(nullptr));
  }
  void field(const Bytes& value) { out_.push_back(to_hex(value)); }
  void field(const std::optional<Bytes>& value) {
    out_.push_back(value ? nlohmann::json(to_hex(*value)) : nlohmann::json(nullptr));
  }
  void records(const Records& value) { field(value); }

  template <class T>
  void array(const std::vector<T>& value, int16_t version) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& element : value) {
      if constexpr (requires {
                      const_cast<T&>(element).io(std::declval<JsonDumper&>(), version);
                    }) {
        list.push_back(dump(element, version));
      } else {
        JsonDumper one;
        one.field(element);
        list.push_back(one.out_.at(0));
      }
    }
    out_.push_back(std::move(list));
  }
  template <class T>
  void array(const std::optional<std::vector<T>>& value, int16_t version,
             Nullable nullable = Nullable::kYes) {
    if (value) {
      array(*value, version);
    } else if (nullable == Nullable::kYes) {
      out_.push_back(nullptr);
    } else {
      out_.push_back(nlohmann::json::array());
    }
  }

 private:
  nlohmann::json take() {
    if (out_.size() == 1) {
      return out_.at(0);
    }
    return out_;
  }
  nlohmann::json out_ = nlohmann::json::array();
};

}  // namespace meridian::protocol::testing
