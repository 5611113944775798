#include "mirror/detail/throttle.h"

#include <algorithm>

#include "mirror/detail/link_state.h"

namespace meridian::mirror::detail {

namespace {

constexpr double kBurstSeconds = 0.1;
constexpr double kMinFetchBytes = 1024;
constexpr std::chrono::milliseconds kMaxSleep{50};

}  // namespace

Throttle::Throttle(int64_t bytes_per_second)
    : rate_(static_cast<double>(std::max<int64_t>(0, bytes_per_second))),
      burst_(rate_ * kBurstSeconds),
      tokens_(burst_),
      last_(std::chrono::steady_clock::now()) {}

void Throttle::refill() {
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
}

boost::asio::awaitable<void> Throttle::acquire(const bool& stop) {
  if (!enabled()) {
    co_return;
  }
  refill();
  while (tokens_ < 0 && !stop) {
    auto wait = std::chrono::duration<double>(-tokens_ / rate_);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait) +
              std::chrono::milliseconds(1);
    co_await sleep_for(std::min(ms, std::chrono::milliseconds(kMaxSleep)));
    refill();
  }
}

void Throttle::consume(size_t bytes) {
  if (enabled()) {
    refill();
    tokens_ -= static_cast<double>(bytes);
  }
}

int32_t Throttle::fetch_limit(int32_t max_bytes) const noexcept {
  if (!enabled()) {
    return max_bytes;
  }
  double limit = std::max(kMinFetchBytes, rate_ * kBurstSeconds);
  return static_cast<int32_t>(std::min(limit, static_cast<double>(max_bytes)));
}

}  // namespace meridian::mirror::detail
