#pragma once
// Errors of the partition log. I/O failures are reported as std::generic_category errno codes.

#include <string>
#include <system_error>

namespace meridian::log {

enum class errc {
  ok = 0,
  offset_out_of_range,   // below the log start offset or beyond the log end offset
  invalid_batch,         // an appended batch failed to parse (length, magic) or is empty
  crc_mismatch,          // an appended batch's CRC32C is wrong
  non_monotonic_offset,  // follower append: base offset below LEO or not increasing
  epoch_regression,      // a batch carries a leader epoch below the latest one in the log
  batch_too_large,       // one append does not fit the index's 32-bit relative fields
  invalid_config,        // LogConfig out of range
  bad_directory,         // the partition directory cannot be created or read
  corrupt_checkpoint,    // a checkpoint file does not parse
  closed,                // the log was closed
  buffer_too_small,      // read_into: the first batch does not fit the caller's buffer
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace meridian::log

template <>
struct std::is_error_code_enum<meridian::log::errc> : std::true_type {};
