#pragma once
// CRC32C (Castagnoli), as used by Kafka RecordBatch v2. Uses the SSE4.2 crc32 instruction when
// the CPU has it (checked once at start-up) and a slicing-by-8 table otherwise.

#include <cstddef>
#include <cstdint>

namespace meridian::record {

// Extends a running CRC32C (start from 0) with `size` bytes.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) noexcept;

inline uint32_t crc32c(const void* data, size_t size) noexcept {
  return crc32c_extend(0, data, size);
}

// The portable table implementation, exposed so tests can compare it with the hardware one.
uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size) noexcept;

// True when crc32c_extend uses the SSE4.2 instruction.
bool crc32c_hardware_accelerated() noexcept;

}  // namespace meridian::record
