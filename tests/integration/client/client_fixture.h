#pragma once
// Shared fixture: a real in-process broker with topic "t" (3 partitions) and a client
// io_context driven by the test thread.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <memory>

#include "cluster/client/client.h"
#include "tests/support/in_process_broker.h"

namespace meridian::client {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class ClientFixture : public ::testing::Test {
 protected:
  static constexpr int kPartitions = 3;

  void SetUp() override {
    broker_ = std::make_unique<testing::InProcessBroker>(BrokerId(1));
    broker_->create_topic("t", kPartitions);
  }

  ClientOptions options() const {
    ClientOptions o;
    o.bootstrap_servers = broker_->bootstrap();
    o.request_timeout = 5s;
    o.connect_timeout = 2s;
    o.retry_backoff = 20ms;
    return o;
  }

  // Runs `f` (a coroutine lambda, passed as an object) on io_ until it completes. The client's
  // reader coroutines stay pending, so io_.run() would never return on its own.
  template <class F>
  void run(F f) {
    auto done = asio::co_spawn(io_, std::move(f), asio::use_future);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (done.wait_for(0s) != std::future_status::ready) {
      io_.run_one_for(100ms);
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "test coroutine hung";
    }
    done.get();
  }

  static asio::awaitable<void> sleep_ms(int64_t ms) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(ms));
    co_await timer.async_wait(asio::use_awaitable);
  }

  std::unique_ptr<testing::InProcessBroker> broker_;
  asio::io_context io_;
};

}  // namespace meridian::client
