// Test tool: the C++ client Producer writing the ids 0, 1, 2, ... (value = decimal id) to a
// topic until a stop file appears or `count` ids were sent. Every acknowledged id goes to the
// acks file as "partition offset id"; the progress file holds the number acknowledged so far.
// Prints "acked N failed M peak_in_flight P" (P: most produce requests ever in flight on one
// broker connection) and exits 1 if any record failed.
//   producer_tool BOOT TOPIC ACKS STOP PROGRESS MAX_IN_FLIGHT IDEMPOTENT(0|1) COUNT
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cluster/client/connection.h"
#include "cluster/client/producer.h"

namespace asio = boost::asio;
using namespace meridian;

namespace {

struct Run {
  std::string topic;
  std::string stop_file;
  std::string progress_file;
  int64_t count = 0;
  int64_t next = 0;
  int64_t acked = 0;
  int64_t failed = 0;
  int active = 0;
  std::string first_error;
  std::vector<std::string> acks;
};

bool stopping(const Run& r) {
  return r.next >= r.count || std::filesystem::exists(r.stop_file);
}

void write_progress(const Run& r) {  // atomically, the test script polls it
  const std::string tmp = r.progress_file + ".tmp";
  std::ofstream(tmp) << r.acked << "\n";
  std::filesystem::rename(tmp, r.progress_file);
}

asio::awaitable<void> sender(client::Producer& producer, Run& r) {
  while (!stopping(r)) {
    const int64_t id = r.next++;
    client::ProducerRecord record;
    record.topic = r.topic;
    record.value = std::to_string(id);
    auto meta = co_await producer.send(std::move(record));
    if (!meta) {
      if (r.failed++ == 0) {
        r.first_error = meta.error().message();
      }
      continue;
    }
    ++r.acked;
    r.acks.push_back(std::to_string(meta->partition.value) + " " +
                     std::to_string(meta->offset.value) + " " + std::to_string(id));
    if (r.acked % 200 == 0) {
      write_progress(r);
    }
  }
  --r.active;
}

asio::awaitable<void> run_all(client::Client& client, client::ProducerOptions options, Run& r,
                              size_t& peak) {
  // Metadata first: senders then call send() in id order without waiting for it.
  std::vector<std::string> wanted{r.topic};
  auto metadata = co_await client.metadata(std::move(wanted));
  if (!metadata) {
    std::fprintf(stderr, "metadata: %s\n", metadata.error().message().c_str());
  }
  client::Producer producer(client, options);
  constexpr int kSenders = 256;
  r.active = kSenders;
  for (int i = 0; i < kSenders; ++i) {
    asio::co_spawn(client.executor(), sender(producer, r), asio::detached);
  }
  asio::steady_timer tick(client.executor());
  while (r.active > 0) {
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(asio::use_awaitable);
  }
  co_await producer.flush();
  for (const auto& [id, broker] : client.cached_metadata()->brokers) {
    auto conn = co_await client.connection(id);
    if (conn) {
      peak = std::max(peak, (*conn)->peak_in_flight());
    }
  }
  client.close();  // ends the connections' reader coroutines, so io.run() returns
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr, "usage: producer_tool BOOT TOPIC ACKS STOP PROGRESS MAX_IN_FLIGHT "
                         "IDEMPOTENT COUNT\n");
    return 2;
  }
  asio::io_context io;
  client::ClientOptions client_options;
  client_options.bootstrap_servers = argv[1];
  client_options.request_timeout = std::chrono::milliseconds(5000);
  client_options.retry_backoff = std::chrono::milliseconds(100);
  client::Client client(io.get_executor(), client_options);
  Run r;
  r.topic = argv[2];
  r.stop_file = argv[4];
  r.progress_file = argv[5];
  r.count = std::stoll(argv[8]);
  client::ProducerOptions options;
  options.max_in_flight = std::stoi(argv[6]);
  options.enable_idempotence = std::string(argv[7]) == "1";
  options.linger = std::chrono::milliseconds(2);
  options.batch_size = 1024;  // small batches: many of them in flight
  options.retries = 300;      // outlast a leader election (ZooKeeper session expiry)
  size_t peak = 0;
  asio::co_spawn(io, run_all(client, options, r, peak), asio::detached);
  io.run();
  std::ofstream out(argv[3]);
  for (const auto& line : r.acks) {
    out << line << "\n";
  }
  write_progress(r);
  std::printf("acked %lld failed %lld peak_in_flight %zu%s%s\n", static_cast<long long>(r.acked),
              static_cast<long long>(r.failed), peak, r.failed ? " first error: " : "",
              r.first_error.c_str());
  return r.failed == 0 ? 0 : 1;
}
