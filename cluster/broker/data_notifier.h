#pragma once
// DataNotifier: long-polling fetches wait here; any partition with news (an append, a HW move)
// wakes them all and each re-reads its partitions. Cheap while concurrently waiting fetches are
// a few per connection. Thread-safe.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <mutex>

namespace meridian::broker {

class DataNotifier {
 public:
  // The current generation; take it BEFORE looking at the partitions.
  uint64_t generation() const {
    std::lock_guard lock(mutex_);
    return generation_;
  }

  // Waits until a notify() after generation `seen`, or `deadline`, whichever is first. A notify
  // between reading the partitions and calling this returns at once.
  boost::asio::awaitable<void> wait(uint64_t seen, std::chrono::steady_clock::time_point deadline) {
    auto timer = std::make_shared<boost::asio::steady_timer>(
        co_await boost::asio::this_coro::executor, deadline);
    {
      std::lock_guard lock(mutex_);
      if (generation_ != seen) {
        co_return;
      }
      waiters_.push_back(timer);
    }
    co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    std::lock_guard lock(mutex_);
    waiters_.remove(timer);
  }

  void notify() {
    std::lock_guard lock(mutex_);
    ++generation_;
    for (auto& t : waiters_) {
      t->cancel();
    }
  }

 private:
  mutable std::mutex mutex_;
  uint64_t generation_ = 0;
  std::list<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace meridian::broker
