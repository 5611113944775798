#pragma once
// Errors of the mirror (mirror/). Broker answers arrive as client::kafka_error(code).

#include <system_error>

namespace meridian::mirror {

enum class errc {
  ok = 0,
  not_a_mirror,        // the topic is not a mirror topic of this link
  bad_state,           // the operation does not apply in the topic's current state
  not_caught_up,       // promote: the target did not catch up in time
  source_truncated,    // the source deleted records the mirror has not copied yet
  misaligned,          // source batches do not line up with the target's log end
  bad_response,        // a mirror request's answer could not be decoded
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace meridian::mirror

template <>
struct std::is_error_code_enum<meridian::mirror::errc> : std::true_type {};
