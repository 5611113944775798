#pragma once
// Result<T>: a T or a std::error_code, with std::expected's API (has_value, value, error,
// operator*, operator->). Backed by boost::system::result so that moving to C++23 is a one-line
// alias change. Expected failures are values; exceptions never cross a module boundary.

#include <boost/system/result.hpp>
#include <system_error>

namespace meridian {

template <class T>
using Result = boost::system::result<T, std::error_code>;

}  // namespace meridian
