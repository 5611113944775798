#pragma once
// Errors of the admin HTTP server. Socket errors are passed through as they come from Asio.

#include <system_error>

namespace meridian::admin {

enum class errc {
  ok = 0,
  already_started,  // start() called twice
  bad_address,      // AdminServerOptions::address is not an IP address
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace meridian::admin

template <>
struct std::is_error_code_enum<meridian::admin::errc> : std::true_type {};
