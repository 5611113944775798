#pragma once
// DataNotifier: long-polling fetches wait here; any partition with news wakes them all and each
// re-reads its partitions. Cheap while concurrently waiting fetches are a few per connection.
// The dispatcher keeps two: follower fetches wait for appends, consumer fetches for HW moves.
// Thread-safe.
//
// Each waiter owns a one-slot concurrent channel, not a timer that notify() cancels: notify()
// runs on a partition strand while the waiter may still be between registering and starting
// its wait on another thread, and cancelling a timer before async_wait starts is lost (the
// fetch then slept for its whole max_wait: the acks=all p99 of bench/RESULTS.md). A send into
// the channel is kept until the waiter receives it.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

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
    auto executor = co_await boost::asio::this_coro::executor;
    auto wake = std::make_shared<Wake>(executor, 1);
    {
      std::lock_guard lock(mutex_);
      if (generation_ != seen) {
        co_return;
      }
      waiters_.push_back(wake);
    }
    boost::asio::steady_timer timer(executor, deadline);
    timer.async_wait([wake](boost::system::error_code ec) {
      if (!ec) {
        wake->try_send(boost::system::error_code{});
      }
    });
    co_await wake->async_receive(boost::asio::as_tuple(boost::asio::use_awaitable));
    timer.cancel();
    std::lock_guard lock(mutex_);
    std::erase(waiters_, wake);  // still there after a timeout
  }

  void notify() {
    std::vector<std::shared_ptr<Wake>> woken;
    {
      std::lock_guard lock(mutex_);
      ++generation_;
      woken.swap(waiters_);
    }
    notifications_.fetch_add(1, std::memory_order_relaxed);
    for (auto& w : woken) {
      w->try_send(boost::system::error_code{});
    }
  }

  // For metrics and tests: notify() calls so far.
  uint64_t notifications() const { return notifications_.load(std::memory_order_relaxed); }

 private:
  using Wake = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;

  mutable std::mutex mutex_;
  uint64_t generation_ = 0;
  std::vector<std::shared_ptr<Wake>> waiters_;
  std::atomic<uint64_t> notifications_{0};
};

}  // namespace meridian::broker
