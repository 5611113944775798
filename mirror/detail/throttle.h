#pragma once
// A link's bandwidth throttle (LinkOptions::throttle_bytes_per_second): a token bucket in bytes,
// shared by every copy task of the link, charged with the bytes each source fetch returned.
// The bucket may go into debt (a fetch returns at least one whole batch, whatever max_bytes
// says); the next fetch waits until the debt is repaid, so over any few seconds the link
// fetches at most rate * seconds + burst bytes. The burst is a tenth of a second's worth.
//
// Strand model: the link's single-threaded executor (no locking).

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>

namespace meridian::mirror::detail {

class Throttle {
 public:
  explicit Throttle(int64_t bytes_per_second);

  bool enabled() const noexcept { return rate_ > 0; }
  // Waits until the bucket is out of debt (returns at once when disabled or `stop` is set).
  boost::asio::awaitable<void> acquire(const bool& stop);
  void consume(size_t bytes);
  // The max_bytes to ask a fetch for: a tenth of a second's worth (at least 1 KiB), so one
  // fetch does not put the bucket seconds into debt.
  int32_t fetch_limit(int32_t max_bytes) const noexcept;

 private:
  void refill();

  double rate_;
  double burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace meridian::mirror::detail
