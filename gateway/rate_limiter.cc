#include "gateway/rate_limiter.h"

#include <algorithm>
#include <functional>

namespace meridian::gateway {

bool RateLimiter::admit(const boost::asio::ip::address& client, size_t bytes,
                        Clock::time_point now) {
  if (!options_.enabled) {
    return true;
  }
  // to_bytes() would be cheaper, but v4 and v6 differ in type; the string form is short.
  std::string key = client.to_string();
  Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
  const double request_burst = std::max(1.0, options_.requests_per_sec);
  const double byte_burst = options_.bytes_per_sec;
  std::lock_guard lock(shard.mu);
  if (shard.buckets.size() >= kMaxClientsPerShard) {
    std::erase_if(shard.buckets, [&](const auto& kv) {
      return now - kv.second.last > std::chrono::seconds(1);  // a refilled bucket carries no state
    });
  }
  auto [it, inserted] = shard.buckets.try_emplace(std::move(key));
  Bucket& b = it->second;
  if (inserted) {
    b = {request_burst, byte_burst, now};
  } else {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.last = now;
    b.requests = std::min(request_burst, b.requests + elapsed * options_.requests_per_sec);
    b.bytes = std::min(byte_burst, b.bytes + elapsed * options_.bytes_per_sec);
  }
  if (b.requests < 1.0 || (options_.bytes_per_sec > 0 && b.bytes < 0)) {
    return false;
  }
  b.requests -= 1.0;
  if (options_.bytes_per_sec > 0) {
    b.bytes -= static_cast<double>(bytes);
  }
  return true;
}

}  // namespace meridian::gateway
