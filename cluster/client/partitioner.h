#pragma once
// Kafka's default partitioner for keyed records (Java client's Utils.murmur2 and
// BuiltInPartitioner): partition = toPositive(murmur2(key)) % partitions, seed 0x9747b28c, so a
// key lands in the same partition whichever Kafka client produced it.

#include <cstdint>
#include <span>
#include <string_view>

namespace meridian::client {

// Java's Utils.murmur2: returns the signed 32-bit hash (e.g. murmur2("21") == -973932308).
int32_t murmur2(std::span<const uint8_t> data) noexcept;

inline int32_t murmur2(std::string_view data) noexcept {
  return murmur2(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()),
                                          data.size()));
}

// toPositive(murmur2(key)) % partitions. Precondition: partitions > 0.
inline int32_t partition_for_key(std::string_view key, int32_t partitions) noexcept {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

}  // namespace meridian::client
