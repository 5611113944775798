#pragma once
// Per-client (remote IP) token buckets for request rate and byte rate; a client over either
// answers 429/42901 and keeps its connection. Shared by every connection strand, so state sits
// behind 16 mutex shards (a lookup and a few arithmetic ops per request; no I/O under a lock).
// Buckets hold one second of budget; bytes may go into debt so a single large request passes
// when the bucket is full and the client then waits for the debt to drain.

#include <array>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <mutex>
#include <unordered_map>

namespace meridian::gateway {

struct RateLimitOptions {
  bool enabled = false;
  double requests_per_sec = 50;  // rate.limit.permits.per.sec (Confluent default)
  double bytes_per_sec = 0;      // 0: no byte limit
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(RateLimitOptions options) : options_(options) {}

  // True if `client` may send one more request of `bytes` body bytes at `now` (and charges it).
  bool admit(const boost::asio::ip::address& client, size_t bytes, Clock::time_point now);

  const RateLimitOptions& options() const { return options_; }

 private:
  struct Bucket {
    double requests = 0;
    double bytes = 0;
    Clock::time_point last;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxClientsPerShard = 65536;  // beyond: idle full buckets are dropped

  RateLimitOptions options_;
  std::array<Shard, kShards> shards_;
};

}  // namespace meridian::gateway
