#pragma once
// Kafka's default partitioner for keyed records, bit-for-bit as the Java client
// (org.apache.kafka.common.utils.Utils.murmur2, seed 0x9747b28c, then toPositive(h) % n) and
// librdkafka's `murmur2_random` / `murmur2` partitioners, so a key lands on the same partition
// whichever client produced it. Pure functions.

#include <cstdint>
#include <string_view>

#include "common/ids.h"

namespace meridian::gateway {

// Utils.murmur2 as a signed 32-bit int (the Java return value).
int32_t murmur2(std::string_view key) noexcept;

// Utils.toPositive: clears the sign bit (not abs(), which fails for INT_MIN).
inline int32_t to_positive(int32_t h) noexcept { return h & 0x7fffffff; }

// The partition of a non-null key. Precondition: partition_count > 0.
inline PartitionId partition_for_key(std::string_view key, int32_t partition_count) noexcept {
  return PartitionId(to_positive(murmur2(key)) % partition_count);
}

}  // namespace meridian::gateway
