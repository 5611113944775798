// `meridian bench consume --group`: N members of one consumer group in this process.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <optional>
#include <set>

#include "cli/bench_options.h"
#include "cluster/client/consumer.h"

namespace meridian::cli {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Every member has its own Client (connections) on the shared executor. After the timed read,
// the last member is "killed" (abandon(): no more heartbeats, no LeaveGroup, as after SIGKILL)
// and the time until the survivors own every partition is measured; then the next one leaves
// cleanly (close(): LeaveGroup) for comparison.
struct GroupBenchMember {
  std::unique_ptr<client::Client> client;
  std::unique_ptr<client::Consumer> consumer;
  bool kill = false;
  bool stop = false;
  bool running = false;
};

struct GroupBenchRun {
  int64_t records = 0;
  int64_t bytes = 0;
  std::error_code first_error;
  std::vector<std::unique_ptr<GroupBenchMember>> members;
};

asio::awaitable<void> group_bench_member(GroupBenchMember& m, std::shared_ptr<GroupBenchRun> r) {
  m.running = true;
  while (!m.kill && !m.stop) {
    auto polled = co_await m.consumer->poll(std::chrono::milliseconds(100));
    if (!polled) {
      r->first_error = r->first_error ? r->first_error : polled.error();
      asio::steady_timer pause(m.client->executor());
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::use_awaitable);
      continue;
    }
    for (const auto& rec : *polled) {
      ++r->records;
      r->bytes += rec.record.value ? static_cast<int64_t>(rec.record.value->size()) : 0;
    }
  }
  if (m.kill) {
    m.consumer->abandon();
  } else {
    [[maybe_unused]] auto closed = co_await m.consumer->close();
  }
  m.running = false;
}

// Milliseconds until every member in `alive` is in one generation and together they own all
// `partitions` (-1: not within `limit`).
asio::awaitable<int64_t> wait_owned(GroupBenchRun& r, std::vector<size_t> alive, size_t partitions,
                                    std::chrono::seconds limit) {
  const auto start = Clock::now();
  asio::steady_timer tick(r.members[0]->client->executor());
  while (Clock::now() - start < limit) {
    size_t owned = 0;
    std::set<int32_t> generations;
    for (size_t i : alive) {
      owned += r.members[i]->consumer->assignment().size();
      generations.insert(r.members[i]->consumer->generation());
    }
    if (owned == partitions && generations.size() == 1 && *generations.begin() >= 0) {
      co_return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)
          .count();
    }
    tick.expires_after(std::chrono::milliseconds(10));
    co_await tick.async_wait(asio::use_awaitable);
  }
  co_return -1;
}

}  // namespace

asio::awaitable<int> run_bench_consume_group(client::Client& client, std::shared_ptr<BenchOptions> o,
                                             size_t partitions) {
  auto r = std::make_shared<GroupBenchRun>();
  client::ConsumerGroupOptions g;
  g.group_id = o->group;
  g.session_timeout = std::chrono::milliseconds(o->session_timeout_ms);
  g.heartbeat_interval = std::chrono::milliseconds(std::max(100, o->session_timeout_ms / 6));
  g.auto_commit_interval = std::chrono::milliseconds(1000);
  client::ConsumerOptions options;
  options.auto_offset_reset =
      o->from == "end" ? client::OffsetReset::kLatest : client::OffsetReset::kEarliest;
  std::vector<size_t> alive;
  for (int i = 0; i < o->consumers; ++i) {
    auto m = std::make_unique<GroupBenchMember>();
    m->client = std::make_unique<client::Client>(client.executor(), client.options());
    m->consumer = std::make_unique<client::Consumer>(*m->client, options);
    m->consumer->subscribe({o->topic}, g);
    asio::co_spawn(client.executor(), group_bench_member(*m, r), asio::detached);
    r->members.push_back(std::move(m));
    alive.push_back(static_cast<size_t>(i));
  }
  const auto begin = Clock::now();
  const auto deadline = begin + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o->duration_s));
  const auto idle = std::chrono::milliseconds(o->idle_timeout_ms);
  std::optional<Clock::time_point> first;
  auto last = begin;
  int64_t seen = 0;
  asio::steady_timer tick(client.executor());
  while ((o->records == 0 || r->records < o->records) && Clock::now() < deadline &&
         !(first && Clock::now() - last >= idle)) {
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(asio::use_awaitable);
    if (r->records != seen) {
      seen = r->records;
      last = Clock::now();
      first = first.value_or(last);
    }
  }
  const double seconds = std::chrono::duration<double>(last - first.value_or(begin)).count();
  LatencyHistogram none;
  print_report(*o, "consume-group", seconds > 0 ? seconds : 1e-9, r->records, r->bytes, none, 0);
  int64_t killed_ms = -2, left_ms = -2;  // -2: not measured (too few members)
  if (alive.size() >= 2) {
    r->members[alive.back()]->kill = true;
    alive.pop_back();
    killed_ms = co_await wait_owned(*r, alive, partitions, std::chrono::seconds(120));
  }
  if (alive.size() >= 2) {
    r->members[alive.back()]->stop = true;
    alive.pop_back();
    left_ms = co_await wait_owned(*r, alive, partitions, std::chrono::seconds(120));
  }
  for (size_t i : alive) {
    r->members[i]->stop = true;
  }
  for (int i = 0; i < 500; ++i) {  // let close() commit and leave (bounded)
    bool running = false;
    for (const auto& m : r->members) {
      running = running || m->running;
    }
    if (!running) {
      break;
    }
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(asio::use_awaitable);
  }
  if (o->format == "json") {
    nlohmann::json j{{"kind", "group-rebalance"}, {"consumers", o->consumers},
                     {"partitions", partitions}, {"session_timeout_ms", o->session_timeout_ms},
                     {"after_kill_ms", killed_ms}, {"after_leave_ms", left_ms}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("  rebalance after a killed member (no LeaveGroup): %lld ms (session timeout %d ms)\n"
                "  rebalance after a clean leave (LeaveGroup): %lld ms\n",
                static_cast<long long>(killed_ms), o->session_timeout_ms,
                static_cast<long long>(left_ms));
  }
  for (auto& m : r->members) {
    m->client->close();
  }
  const bool ok = r->records > 0 && killed_ms != -1 && left_ms != -1;
  co_return ok ? kExitOk : kExitError;
}

}  // namespace meridian::cli
