#pragma once
// Vocabulary of the codec: byte buffers, the nullable-array switch and what an io() visitor may
// call. Every message struct has
//     template <class Io> void io(Io& io, int16_t version);
// that names its fields in wire order once; Reader decodes and Writer encodes through the same
// function, so a field is never described twice. Fields present only in some versions are
// guarded by `if (version >= N)` inside io(); absent fields keep their defaults.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace meridian::protocol {

using Bytes = std::vector<uint8_t>;
// A RecordBatch v2 byte sequence (or null) carried verbatim; see cluster/record for its format.
using Records = std::optional<Bytes>;
// The same field decoded in place: it points into the buffer that was decoded, which must
// outlive it. Used by the *View message variants on hot paths (produce, follower/mirror fetch).
using RecordsView = std::optional<std::span<const uint8_t>>;

// Whether a nullable array field accepts null (-1) in the version being coded. When it does not,
// a Writer encodes a disengaged optional as an empty array (Metadata v0: empty = all topics).
enum class Nullable : bool { kNo = false, kYes = true };

namespace detail {

// Smallest wire size of one array element: bounds how many elements a count may claim, so a
// hostile count can never make the reader reserve more than the bytes it was given.
template <class T>
constexpr size_t min_wire_size() {
  if constexpr (std::is_same_v<T, bool>) {
    return 1;
  } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    return sizeof(T);
  } else if constexpr (std::is_same_v<T, std::string> ||
                       std::is_same_v<T, std::optional<std::string>>) {
    return 2;
  } else if constexpr (std::is_same_v<T, Bytes> || std::is_same_v<T, std::optional<Bytes>>) {
    return 4;
  } else {
    return 1;
  }
}

}  // namespace detail
}  // namespace meridian::protocol
