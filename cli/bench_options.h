#pragma once
// Internal to `meridian bench` (bench_command.cc, bench_group.cc): the options both share, the
// report printer and the consumer-group bench.

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "cli/bench_histogram.h"
#include "cli/client_common.h"

namespace meridian::client {
class Client;
}

namespace meridian::cli {

struct BenchOptions {
  ClientFlags flags;
  std::string topic = "meridian-bench";
  int64_t records = 0;  // 0: bounded by duration only
  double duration_s = 10;
  int record_size = 1024;
  std::string acks = "all";
  int partitions = 6;
  int replication_factor = 3;
  int batch_size = 256 * 1024;
  int linger_ms = 2;
  std::string compression = "none";
  double rate = 0;  // records/s; 0: as fast as possible
  int in_flight = 2048;
  bool coroutine_senders = false;  // produce: a coroutine per record in flight (before session 7)
  bool idempotent = false;  // enable.idempotence on the Producer
  int max_in_flight = 5;    // batches in flight per partition
  int compare_rounds = 0;   // >0: alternate plain acks=all and idempotent phases
  int min_insync_replicas = 0;  // of the created topic; 0: broker default
  std::string from = "end";
  int idle_timeout_ms = 5000;
  std::string group;             // bench consume --group: members of this consumer group
  int consumers = 3;             // group members in this process
  int session_timeout_ms = 6000;  // the members' session.timeout.ms
  std::string format = "text";
};

// Prints one run's figures (text, or one JSON line with --format json).
void print_report(const BenchOptions& o, const std::string& kind, double seconds, int64_t records,
                  int64_t bytes, const LatencyHistogram& latency, int64_t errors);

// `bench consume --group`: o.consumers members of o.group read the topic's `partitions`, then one
// member is killed and one leaves, each rebalance timed (bench_group.cc).
boost::asio::awaitable<int> run_bench_consume_group(client::Client& client,
                                                    std::shared_ptr<BenchOptions> o,
                                                    size_t partitions);

}  // namespace meridian::cli
