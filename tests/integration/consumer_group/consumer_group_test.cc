// Consumer group mode of the C++ client against a real `meridian dev` process: three members
// share six partitions, one is "killed" (stops heartbeating, no LeaveGroup) and its partitions
// move after the session timeout, one leaves cleanly and the last owns everything at once;
// every produced record is consumed at least once and the committed offsets reach the end.
// Also: resume from explicitly committed offsets, and a rebalance when partitions are added.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <set>

#include "cluster/client/admin_configs.h"
#include "cluster/client/client.h"
#include "cluster/client/consumer.h"
#include "cluster/client/group_client.h"
#include "cluster/client/producer.h"
#include "tests/integration/consumer_group/dev_process.h"

namespace meridian::client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Seen = std::set<std::pair<int32_t, int64_t>>;  // (partition, offset)

asio::awaitable<void> sleep_ms(int64_t ms) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(ms));
  co_await timer.async_wait(asio::use_awaitable);
}

ProducerRecord numbered(const std::string& topic, int i, int32_t partitions) {
  ProducerRecord r;
  r.topic = topic;
  std::string value = std::to_string(i);  // not "v" + ...: g++ 12 -Wrestrict false positive
  r.value = value;
  r.partition = PartitionId(i % partitions);
  return r;
}

// One group member's poll loop, spawned on the test's io_context.
struct Member {
  std::unique_ptr<Client> client;
  std::unique_ptr<Consumer> consumer;
  bool stop = false;      // ends the loop with close() (LeaveGroup)
  bool kill = false;      // ends the loop with abandon() (no LeaveGroup)
  bool running = false;
  size_t owned() const { return consumer ? consumer->assignment().size() : 0; }
};

class ConsumerGroupTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dev_ = new testing::DevProcess();
    bootstrap_ = dev_->start();
  }
  static void TearDownTestSuite() { delete dev_; }

  void SetUp() override { ASSERT_FALSE(bootstrap_.empty()) << "meridian dev did not start"; }

  ClientOptions options() const {
    ClientOptions o;
    o.bootstrap_servers = bootstrap_;
    o.request_timeout = 15s;
    o.retry_backoff = 50ms;
    return o;
  }

  template <class F>
  void run(F f, std::chrono::seconds limit = 90s) {
    auto done = asio::co_spawn(io_, std::move(f), asio::use_future);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (done.wait_for(0s) != std::future_status::ready) {
      io_.run_one_for(100ms);
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "test coroutine hung";
    }
    done.get();
  }

  asio::awaitable<void> create_topic(std::string name, int32_t partitions) {
    Client admin(io_.get_executor(), options());
    std::vector<NewTopic> topics{NewTopic{name, partitions, 1, {}}};
    auto made = co_await admin.create_topics(std::move(topics), 10s);
    EXPECT_TRUE(made.has_value() && !(*made)[0].error) << name;
    admin.close();
  }

  // Produces `n` records round-robin over `partitions` and waits for every acknowledgement.
  asio::awaitable<void> produce(std::string topic, int32_t partitions, int n) {
    Client client(io_.get_executor(), options());
    Producer producer(client, ProducerOptions{});
    size_t done = 0, failed = 0;
    auto executor = co_await asio::this_coro::executor;
    for (int i = 0; i < n; ++i) {
      auto one = [&, i]() -> asio::awaitable<void> {
        ProducerRecord r = numbered(topic, i, partitions);
        auto sent = co_await producer.send(std::move(r));
        failed += sent ? 0 : 1;
        ++done;
      };
      asio::co_spawn(executor, std::move(one), asio::detached);
    }
    co_await producer.flush();
    for (int i = 0; i < 2000 && done < static_cast<size_t>(n); ++i) {
      co_await sleep_ms(5);
    }
    EXPECT_EQ(done, static_cast<size_t>(n));
    EXPECT_EQ(failed, 0u);
    client.close();
  }

  void start_member(Member& m, const std::vector<std::string>& topics, ConsumerGroupOptions g,
                    Seen& seen) {
    m.client = std::make_unique<Client>(io_.get_executor(), options());
    m.consumer = std::make_unique<Consumer>(*m.client, ConsumerOptions{});
    m.consumer->subscribe(topics, std::move(g));
    m.running = true;
    auto loop = [&m, &seen]() -> asio::awaitable<void> {
      while (!m.stop && !m.kill) {
        auto got = co_await m.consumer->poll(100ms);
        if (got) {
          for (const auto& r : *got) {
            seen.insert({r.tp.partition.value, r.record.offset.value});
          }
        } else {
          co_await sleep_ms(50);
        }
      }
      if (m.kill) {
        m.consumer->abandon();
      } else {
        auto closed = co_await m.consumer->close();
        EXPECT_TRUE(closed.has_value()) << closed.error().message();
      }
      m.running = false;
    };
    asio::co_spawn(io_, std::move(loop), asio::detached);
  }

  // Waits (bounded) until `done()`; returns the time it took.
  static asio::awaitable<std::chrono::milliseconds> wait_until(std::function<bool()> done,
                                                              std::chrono::seconds limit) {
    const auto start = std::chrono::steady_clock::now();
    while (!done() && std::chrono::steady_clock::now() - start < limit) {
      co_await sleep_ms(20);
    }
    co_return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
  }

  static size_t count_at_least(const Seen& seen, int per_partition, int partitions) {
    size_t n = 0;
    for (int p = 0; p < partitions; ++p) {
      for (int64_t o = 0; o < per_partition; ++o) {
        n += seen.contains({p, o}) ? 1 : 0;
      }
    }
    return n;
  }

  static ConsumerGroupOptions fast_group(std::string id) {
    ConsumerGroupOptions g;
    g.group_id = std::move(id);
    g.session_timeout = 6s;  // the broker's group.min.session.timeout.ms
    g.heartbeat_interval = 300ms;
    g.rebalance_timeout = 10s;
    g.auto_commit_interval = 200ms;
    g.metadata_max_age = 500ms;
    return g;
  }

  static testing::DevProcess* dev_;
  static std::string bootstrap_;
  asio::io_context io_;
};

testing::DevProcess* ConsumerGroupTest::dev_ = nullptr;
std::string ConsumerGroupTest::bootstrap_;

TEST_F(ConsumerGroupTest, ThreeShareSixThenKillAndLeaveMovePartitions) {
  Seen seen;
  Member m[3];
  run([&]() -> asio::awaitable<void> {
    co_await create_topic("six", 6);
    co_await produce("six", 6, 600);
    std::vector<std::string> topics{"six"};
    for (auto& member : m) {
      start_member(member, topics, fast_group("g-six"), seen);
    }
    auto balanced = [&] {
      return m[0].owned() == 2 && m[1].owned() == 2 && m[2].owned() == 2 &&
             m[0].consumer->generation() == m[2].consumer->generation();
    };
    co_await wait_until(balanced, 30s);
    EXPECT_TRUE(balanced()) << m[0].owned() << " " << m[1].owned() << " " << m[2].owned();
    co_await wait_until([&] { return count_at_least(seen, 100, 6) == 600; }, 30s);
    EXPECT_EQ(count_at_least(seen, 100, 6), 600u);

    m[1].kill = true;  // what a SIGKILL looks like to the coordinator
    co_await produce("six", 6, 300);
    auto moved = co_await wait_until([&] { return m[0].owned() + m[2].owned() == 6; }, 30s);
    EXPECT_EQ(m[0].owned() + m[2].owned(), 6u);
    EXPECT_GE(moved, 3s) << "the dead member's partitions moved before its session could expire";
    EXPECT_LE(moved, 6s + 10s);
    co_await wait_until([&] { return count_at_least(seen, 150, 6) == 900; }, 30s);
    EXPECT_EQ(count_at_least(seen, 150, 6), 900u) << "a record was skipped after the kill";

    m[2].stop = true;  // LeaveGroup: no session timeout to wait for
    auto left = co_await wait_until([&] { return m[0].owned() == 6 && !m[2].running; }, 30s);
    EXPECT_EQ(m[0].owned(), 6u);
    EXPECT_LT(left, 5s) << "a clean leave should rebalance well before the session timeout";
    co_await produce("six", 6, 60);
    co_await wait_until([&] { return count_at_least(seen, 160, 6) == 960; }, 30s);
    EXPECT_EQ(count_at_least(seen, 160, 6), 960u);

    m[0].stop = true;
    co_await wait_until([&] { return !m[0].running; }, 20s);
    GroupClient groups(*m[0].client);
    std::vector<TopicPartition> none;
    auto committed = co_await groups.fetch_offsets("g-six", none);
    EXPECT_TRUE(committed.has_value());
    int64_t total = 0;
    if (committed) {
      for (const auto& [tp, c] : *committed) {
        total += c.offset.value;
      }
    }
    EXPECT_EQ(total, 960) << "close() commits every position";
    co_await wait_until([&] { return !m[1].running; }, 5s);
  });
  for (auto& member : m) {
    if (member.client) {
      member.client->close();
    }
  }
}

TEST_F(ConsumerGroupTest, ResumesFromExplicitlyCommittedOffsets) {
  Seen seen;
  Member a, b;
  run([&]() -> asio::awaitable<void> {
    co_await create_topic("resume", 3);
    co_await produce("resume", 3, 90);
    std::vector<std::string> topics{"resume"};
    auto g = fast_group("g-resume");
    g.enable_auto_commit = false;
    g.assignors = {"roundrobin", "range"};
    a.client = std::make_unique<Client>(io_.get_executor(), options());
    a.consumer = std::make_unique<Consumer>(*a.client, ConsumerOptions{});
    a.consumer->subscribe(topics, g);
    for (int i = 0; i < 100 && seen.size() < 90; ++i) {
      auto got = co_await a.consumer->poll(200ms);
      if (got) {
        for (const auto& r : *got) {
          seen.insert({r.tp.partition.value, r.record.offset.value});
        }
      }
    }
    EXPECT_EQ(seen.size(), 90u);
    EXPECT_EQ(a.consumer->assignment().size(), 3u);
    auto committed = co_await a.consumer->commit();
    EXPECT_TRUE(committed.has_value());
    auto closed = co_await a.consumer->close();
    EXPECT_TRUE(closed.has_value());

    co_await produce("resume", 3, 30);
    seen.clear();
    b.client = std::make_unique<Client>(io_.get_executor(), options());
    b.consumer = std::make_unique<Consumer>(*b.client, ConsumerOptions{});
    b.consumer->subscribe(topics, g);
    for (int i = 0; i < 100 && seen.size() < 30; ++i) {
      auto got = co_await b.consumer->poll(200ms);
      if (got) {
        for (const auto& r : *got) {
          seen.insert({r.tp.partition.value, r.record.offset.value});
        }
      }
    }
    auto more = co_await b.consumer->poll(300ms);  // nothing else may come
    EXPECT_TRUE(more.has_value() && more->empty());
    EXPECT_EQ(seen.size(), 30u);
    for (const auto& [p, o] : seen) {
      EXPECT_GE(o, 30) << "partition " << p << " restarted below the committed offset";
    }
    auto done = co_await b.consumer->close();
    EXPECT_TRUE(done.has_value());
  });
  a.client->close();
  b.client->close();
}

TEST_F(ConsumerGroupTest, AddedPartitionsStartARebalance) {
  Seen seen;
  Member m[2];
  run([&]() -> asio::awaitable<void> {
    co_await create_topic("grow", 2);
    std::vector<std::string> topics{"grow"};
    for (auto& member : m) {
      start_member(member, topics, fast_group("g-grow"), seen);
    }
    co_await wait_until([&] { return m[0].owned() == 1 && m[1].owned() == 1; }, 30s);
    EXPECT_EQ(m[0].owned() + m[1].owned(), 2u);
    Client admin(io_.get_executor(), options());
    auto grown = co_await create_partitions(admin, "grow", 4, false);
    EXPECT_TRUE(grown.has_value());
    admin.close();
    auto took = co_await wait_until([&] { return m[0].owned() == 2 && m[1].owned() == 2; }, 30s);
    EXPECT_EQ(m[0].owned() + m[1].owned(), 4u) << "after " << took.count() << " ms";
    co_await produce("grow", 4, 40);
    co_await wait_until([&] { return count_at_least(seen, 10, 4) == 40; }, 30s);
    EXPECT_EQ(count_at_least(seen, 10, 4), 40u);
    m[0].stop = m[1].stop = true;
    co_await wait_until([&] { return !m[0].running && !m[1].running; }, 20s);
  });
  for (auto& member : m) {
    member.client->close();
  }
}

}  // namespace
}  // namespace meridian::client
