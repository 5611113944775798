#pragma once
// FramePool: large response frames handed back by KafkaServer once written, reused by the
// Fetch path for its next answer. A fresh std::vector<uint8_t>(n) zero-fills n bytes that the
// encoder and the log's pread overwrite at once: 4.5 % of the brokers' CPU at max rate (perf,
// bench/RESULTS.md, issue 4 session 7). A reused vector keeps its size, so resizing it
// zero-fills only what it grows by. Contents of a taken frame are stale bytes of an earlier
// answer: the taker must overwrite all of them (respond_fetch writes every byte).
//
// Thread-safe (one pool per process; the brokers of `meridian dev` share it).

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace meridian::broker::detail {

class FramePool {
 public:
  static constexpr size_t kMaxFrames = 8;
  // Frames smaller than this are not kept (small answers would displace fetch-sized ones);
  // larger than kMaxBytes neither (bounds what an idle broker holds: 8 x 4 MiB).
  static constexpr size_t kMinBytes = 64 * 1024;
  static constexpr size_t kMaxBytes = 4 * 1024 * 1024;

  static FramePool& instance();

  // A frame of exactly `size` bytes, reused when one is pooled (the largest, to grow least).
  std::vector<uint8_t> take(size_t size);
  // Keeps `frame` for a later take() if it is fetch-sized and there is room; frees it otherwise.
  void give(std::vector<uint8_t>&& frame);
  size_t pooled() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::vector<uint8_t>> free_;
};

}  // namespace meridian::broker::detail
