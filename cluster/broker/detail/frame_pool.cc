#include "cluster/broker/detail/frame_pool.h"

#include <algorithm>

namespace meridian::broker::detail {

FramePool& FramePool::instance() {
  static FramePool pool;
  return pool;
}

std::vector<uint8_t> FramePool::take(size_t size) {
  std::vector<uint8_t> frame;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      auto largest = std::max_element(free_.begin(), free_.end(), [](const auto& a, const auto& b) {
        return a.size() < b.size();
      });
      frame = std::move(*largest);
      free_.erase(largest);
    }
  }
  frame.resize(size);  // zero-fills only beyond the reused frame's old size
  return frame;
}

void FramePool::give(std::vector<uint8_t>&& frame) {
  if (frame.size() < kMinBytes || frame.capacity() > kMaxBytes) {
    return;
  }
  std::lock_guard lock(mutex_);
  if (free_.size() < kMaxFrames) {
    free_.push_back(std::move(frame));
  }
}

size_t FramePool::pooled() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

}  // namespace meridian::broker::detail
