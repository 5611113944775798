#pragma once
// Helpers for tests of CoordinationStore users: collect watch and session events (delivered on
// a store's callback thread) and wait for them with a bound. Header-only.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/coord/coordination_store.h"

namespace meridian::test {

inline constexpr std::chrono::seconds kEventTimeout{15};

class EventLog {
 public:
  coord::WatchCallback watcher() {
    return [this](const coord::WatchEvent& event) {
      std::lock_guard lock(mu_);
      events_.push_back(event);
      cv_.notify_all();
    };
  }
  // True once at least n events arrived.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = kEventTimeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
  }
  std::vector<coord::WatchEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<coord::WatchEvent> events_;
};

class SessionLog {
 public:
  coord::SessionCallback callback() {
    return [this](coord::SessionState state) {
      std::lock_guard lock(mu_);
      states_.push_back(state);
      cv_.notify_all();
    };
  }
  bool wait_for(coord::SessionState state, std::chrono::milliseconds timeout = kEventTimeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      for (auto s : states_) {
        if (s == state) {
          return true;
        }
      }
      return false;
    });
  }
  std::vector<coord::SessionState> states() const {
    std::lock_guard lock(mu_);
    return states_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    states_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<coord::SessionState> states_;
};

}  // namespace meridian::test
