// `meridian produce`: a reader thread splits stdin into records (record_format.h) and posts
// each to the io_context thread, which sends it through a Producer. The reader blocks on a
// semaphore when kWindow records are unanswered (backpressure), so the io_context keeps
// serving acknowledgements while stdin is slow or interactive. Results print in input order.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <semaphore>
#include <thread>

#include "cli/client_common.h"
#include "cli/produce_consume.h"
#include "cli/record_format.h"
#include "cluster/client/producer.h"

namespace meridian::cli {
namespace {

namespace asio = boost::asio;

constexpr std::ptrdiff_t kWindow = 4096;

struct ProduceOptions {
  ClientFlags flags;
  std::string topic;
  std::optional<std::string> key;
  std::vector<std::string> headers;  // k=v
  int partition = -1;
  std::string acks = "all";
  std::string compression = "none";
  std::string format = "%v\\n";
  int linger_ms = 5;
  bool quiet = false;
};

// Shared by the reader thread (only `window`, `abort`) and the io thread (the rest).
struct Run {
  explicit Run(const asio::any_io_executor& ex) : finished(ex) {
    finished.expires_at(asio::steady_timer::time_point::max());
  }
  std::counting_semaphore<kWindow> window{kWindow};
  std::atomic<bool> abort{false};
  asio::steady_timer finished;
  std::map<uint64_t, Result<client::RecordMetadata>> done;  // completed, not yet printed
  uint64_t next_print = 0;
  uint64_t total = 0;  // known once input ended
  bool input_ended = false;
  uint64_t failed = 0;
  std::string input_error;
};

void print_done(Run& run, const ProduceOptions& o) {
  for (auto it = run.done.find(run.next_print); it != run.done.end();
       it = run.done.find(run.next_print)) {
    const auto& r = it->second;
    if (!r) {
      if (run.failed++ == 0) {
        std::string what = "produce to '" + o.topic + "'";
        if (r.error() == client::errc::unknown_topic) {
          std::cerr << "meridian: " << what << ": topic does not exist (create it with "
                    << "`meridian topic create " << o.topic << "`)\n";
        } else {
          report_error(what, r.error(), o.flags);
        }
      }
    } else if (!o.quiet) {
      std::cout << "Produced to partition " << r->partition.value;
      if (r->offset.value >= 0) {
        std::cout << " at offset " << r->offset.value;
      }
      std::cout << " with timestamp " << r->timestamp << ".\n";
    }
    run.done.erase(it);
    ++run.next_print;
  }
  if (run.input_ended && run.next_print == run.total) {
    run.finished.cancel();
  }
}

asio::awaitable<void> send_one(client::Producer& producer, std::shared_ptr<Run> run,
                               std::shared_ptr<ProduceOptions> o, client::ProducerRecord record,
                               uint64_t seq) {
  auto result = co_await producer.send(std::move(record));
  if (!result) {
    run->abort = true;  // stop reading: the rest would fail the same way
  }
  run->done.emplace(seq, std::move(result));
  run->window.release();
  print_done(*run, *o);
}

std::optional<std::vector<record::Header>> parse_headers(const std::vector<std::string>& in) {
  std::vector<record::Header> out;
  for (const auto& h : in) {
    std::string key;
    std::string value;
    if (!split_assignment(h, key, value)) {
      std::cerr << "meridian: -H/--header wants key=value, got '" << h << "'\n";
      return std::nullopt;
    }
    out.push_back({key, value});
  }
  return out;
}

// The reader thread's loop. Runs until EOF, a format mismatch, or abort.
void read_input(asio::any_io_executor ex, client::Producer& producer, std::shared_ptr<Run> run,
                std::shared_ptr<ProduceOptions> o, std::vector<FormatToken> tokens,
                std::vector<record::Header> headers) {
  RecordReader reader(std::cin, std::move(tokens));
  uint64_t seq = 0;
  while (!run->abort) {
    auto input = reader.next();
    if (!input) {
      break;
    }
    client::ProducerRecord record;
    record.topic = o->topic;
    record.key = input->key ? input->key : o->key;
    record.value = std::move(input->value);
    record.headers = headers;
    if (o->partition >= 0) {
      record.partition = PartitionId(o->partition);
    }
    run->window.acquire();
    asio::post(ex, [ex, &producer, run, o, record = std::move(record), seq]() mutable {
      asio::co_spawn(ex, send_one(producer, run, o, std::move(record), seq), asio::detached);
    });
    ++seq;
  }
  asio::post(ex, [run, o, seq, error = reader.error()] {
    run->input_ended = true;
    run->total = seq;
    run->input_error = error;
    print_done(*run, *o);
  });
}

asio::awaitable<int> run_produce(client::Client& client, std::shared_ptr<ProduceOptions> o) {
  std::string error;
  auto tokens = parse_format(o->format, true, error);
  if (!tokens) {
    std::cerr << "meridian: bad --format '" << o->format << "': " << error << "\n";
    co_return kExitUsage;
  }
  auto headers = parse_headers(o->headers);
  if (!headers) {
    co_return kExitUsage;
  }
  client::ProducerOptions options;
  options.acks = *parse_acks(o->acks);
  options.compression = *parse_compression(o->compression);
  options.linger = std::chrono::milliseconds(o->linger_ms);
  options.produce_timeout = std::chrono::milliseconds(o->flags.timeout_ms);
  client::Producer producer(client, options);
  auto run = std::make_shared<Run>(client.executor());
  std::thread reader(read_input, client.executor(), std::ref(producer), run, o, std::move(*tokens),
                     std::move(*headers));
  while (!(run->input_ended && run->next_print == run->total)) {
    [[maybe_unused]] auto [ec] =
        co_await run->finished.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  reader.join();
  if (!run->input_error.empty()) {
    std::cerr << "meridian: input does not match --format '" << o->format
              << "': " << run->input_error << "\n";
    co_return kExitUsage;
  }
  if (run->failed > 0) {
    std::cerr << "meridian: " << run->failed << " of " << run->total
              << " records were not produced\n";
    co_return kExitError;
  }
  co_return kExitOk;
}

}  // namespace

void register_produce_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("produce", "Produce records read from stdin (one per line)");
  auto o = std::make_shared<ProduceOptions>();
  cmd->add_option("topic", o->topic, "Topic")->required();
  cmd->add_option("-k,--key", o->key, "Key of every record (unless the format has %k)");
  cmd->add_option("-H,--header", o->headers, "Header key=value (repeatable)");
  cmd->add_option("-p,--partition", o->partition, "Partition (default: by key, else sticky)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--acks", o->acks, "all, 1 or 0")
      ->check(CLI::IsMember({"all", "-1", "1", "0"}))
      ->capture_default_str();
  cmd->add_option("-z,--compression", o->compression, "none, gzip, snappy, lz4, zstd")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  cmd->add_option("-f,--format", o->format,
                  "How stdin splits into records: %k key, %v value, literal separators, \\n")
      ->capture_default_str();
  cmd->add_option("--linger-ms", o->linger_ms, "Wait this long to fill a batch")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "Print nothing per record");
  add_client_flags(*cmd, o->flags);
  on_run(cmd, o, exit_code, run_produce);
}

}  // namespace meridian::cli
