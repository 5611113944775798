#pragma once
// Big-endian (network order) loads and stores for wire and disk formats. Unaligned-safe.

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace meridian {

namespace detail {
template <class U>
constexpr U byteswap(U v) {
  if constexpr (sizeof(U) == 2) {
    return static_cast<U>(__builtin_bswap16(v));
  } else if constexpr (sizeof(U) == 4) {
    return static_cast<U>(__builtin_bswap32(v));
  } else if constexpr (sizeof(U) == 8) {
    return static_cast<U>(__builtin_bswap64(v));
  } else {
    return v;
  }
}
}  // namespace detail

template <class T>
  requires std::is_integral_v<T>
inline T load_be(const void* p) {
  std::make_unsigned_t<T> v;
  std::memcpy(&v, p, sizeof(T));
  if constexpr (std::endian::native == std::endian::little) {
    v = detail::byteswap(v);
  }
  return static_cast<T>(v);
}

template <class T>
  requires std::is_integral_v<T>
inline void store_be(void* p, T value) {
  auto v = static_cast<std::make_unsigned_t<T>>(value);
  if constexpr (std::endian::native == std::endian::little) {
    v = detail::byteswap(v);
  }
  std::memcpy(p, &v, sizeof(T));
}

}  // namespace meridian
