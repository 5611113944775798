#pragma once
// Invariant checks. MERIDIAN_ASSERT is compiled out of release builds; MERIDIAN_CHECK always runs
// and aborts after logging. Never use either on disk, network or client input: those are errors.

#include <cstdio>
#include <cstdlib>

namespace meridian::detail {
[[noreturn]] inline void check_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "meridian: invariant violated: %s at %s:%d\n", expr, file, line);
  std::abort();
}
}  // namespace meridian::detail

#define MERIDIAN_CHECK(expr) \
  ((expr) ? (void)0 : ::meridian::detail::check_failed(#expr, __FILE__, __LINE__))

#ifdef NDEBUG
#define MERIDIAN_ASSERT(expr) ((void)0)
#else
#define MERIDIAN_ASSERT(expr) MERIDIAN_CHECK(expr)
#endif
