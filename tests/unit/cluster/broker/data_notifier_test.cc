// DataNotifier (cluster/broker/data_notifier.h): a notify() from another thread must end a
// long-poll wait promptly, however it interleaves with the waiter registering itself. The
// previous timer-cancel design lost a notify that landed between registration and the start
// of the timer wait, and the fetch slept until its deadline.
#include "cluster/broker/data_notifier.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <random>
#include <thread>

namespace meridian::broker {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(DataNotifierTest, NotifyFromAnotherThreadAlwaysWakesTheWaiter) {
  DataNotifier notifier;
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread io_a([&] { io.run(); });
  std::thread io_b([&] { io.run(); });
  std::atomic<int> armed{0};
  std::atomic<bool> stop{false};
  const unsigned seed = std::random_device{}();
  std::thread poker([&] {
    std::mt19937 rng(seed);
    int seen = 0;
    while (!stop) {
      int round = armed.load();
      if (round == seen) {
        continue;
      }
      seen = round;
      // A random delay of up to 1 µs lands the notify anywhere around the waiter's
      // registration.
      auto until = steady_clock::now() + std::chrono::nanoseconds(rng() % 1000);
      while (steady_clock::now() < until) {
      }
      notifier.notify();
    }
  });
  constexpr int kRounds = 3000;
  int slept_to_deadline = 0;
  auto done = asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int round = 1; round <= kRounds; ++round) {
          uint64_t generation = notifier.generation();
          auto start = steady_clock::now();
          armed.store(round);
          auto deadline = start + milliseconds(2000);  // a local: g++ 12 coroutine rule 1
          co_await notifier.wait(generation, deadline);
          if (steady_clock::now() - start >= milliseconds(1000)) {
            ++slept_to_deadline;
          }
        }
      },
      asio::use_future);
  done.get();
  stop = true;
  poker.join();
  guard.reset();
  io_a.join();
  io_b.join();
  EXPECT_EQ(slept_to_deadline, 0) << "seed " << seed;
  EXPECT_EQ(notifier.notifications(), static_cast<uint64_t>(kRounds));
}

TEST(DataNotifierTest, WaitEndsAtTheDeadlineWithoutNotify) {
  DataNotifier notifier;
  asio::io_context io;
  auto start = steady_clock::now();
  auto done = asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        uint64_t generation = notifier.generation();
        auto deadline = steady_clock::now() + milliseconds(50);
        co_await notifier.wait(generation, deadline);
      },
      asio::use_future);
  io.run();
  done.get();
  EXPECT_GE(steady_clock::now() - start, milliseconds(50));
}

TEST(DataNotifierTest, NotifyBeforeWaitReturnsAtOnce) {
  DataNotifier notifier;
  asio::io_context io;
  uint64_t seen = notifier.generation();
  notifier.notify();
  auto start = steady_clock::now();
  auto done = asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto deadline = steady_clock::now() + milliseconds(5000);
        co_await notifier.wait(seen, deadline);
      },
      asio::use_future);
  io.run();
  done.get();
  EXPECT_LT(steady_clock::now() - start, milliseconds(1000));
}

}  // namespace
}  // namespace meridian::broker
