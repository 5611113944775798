// `meridian bench produce|consume`: bounded load over the Kafka protocol through cluster/client.
// produce: one driver hands records to a shared Producer with completion callbacks, at most
// `in_flight` unacknowledged (so batches fill as in a real application), and times each record
// from send to acknowledgement; --coroutine-senders uses a coroutine per record in flight
// instead. An optional --rate paces the sends on one global schedule. Every value starts with a
// 16-byte stamp (magic + send time in µs since the epoch) so `bench consume` measures
// end-to-end latency across processes.
#include "cli/bench_command.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <cstring>
#include <iostream>
#include <limits>
#include <memory>

#include "cli/bench_histogram.h"
#include "cli/bench_options.h"
#include "cli/client_common.h"
#include "cluster/client/consumer.h"
#include "cluster/client/producer.h"

namespace meridian::cli {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr char kMagic[8] = {'M', 'R', 'D', 'N', 'B', 'N', 'C', 'H'};
constexpr size_t kStampBytes = 16;

int64_t wall_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}


struct ProduceRun {
  std::shared_ptr<BenchOptions> o;
  LatencyHistogram latency;
  int64_t sent = 0;  // claimed by a sender
  int64_t acked = 0;
  int64_t errors = 0;
  std::error_code first_error;
  Clock::time_point start;
  Clock::time_point deadline;
  int active = 0;
  std::unique_ptr<asio::steady_timer> done;
};

// The run ends at its record count, its deadline or its first error.
bool finished(const ProduceRun& r) {
  return (r.o->records > 0 && r.sent >= r.o->records) || Clock::now() >= r.deadline ||
         r.errors > 0;
}

bool claim(ProduceRun& r) {
  if (finished(r)) {
    return false;
  }
  ++r.sent;
  return true;
}

// Counts an acknowledgement (its latency since `t0`) or an error (the first one is kept).
void record_outcome(ProduceRun& r, Clock::time_point t0,
                    const Result<client::RecordMetadata>& meta) {
  if (!meta) {
    if (r.errors++ == 0) {
      r.first_error = meta.error();
    }
    return;
  }
  ++r.acked;
  r.latency.record(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
}

// Every value starts with a 16-byte stamp (magic + wall-clock send time), then filler.
void stamp_value(std::string& value) {
  const int64_t stamp = wall_micros();
  std::memcpy(value.data(), kMagic, sizeof(kMagic));
  std::memcpy(value.data() + sizeof(kMagic), &stamp, sizeof(stamp));
}

asio::awaitable<void> sender(client::Producer& producer, std::shared_ptr<ProduceRun> r) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pace(executor);
  std::string value(static_cast<size_t>(r->o->record_size), 'x');
  while (claim(*r)) {
    if (r->o->rate > 0) {
      // The n-th record is due at start + n / rate: a global schedule, not per sender.
      const auto due = r->start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>((r->sent - 1) / r->o->rate));
      pace.expires_at(due);
      co_await pace.async_wait(asio::use_awaitable);
    }
    stamp_value(value);
    client::ProducerRecord record;
    record.topic = r->o->topic;
    record.value = value;
    const auto t0 = Clock::now();
    auto meta = co_await producer.send(std::move(record));
    record_outcome(*r, t0, meta);
  }
  if (--r->active == 0) {
    r->done->cancel();
  }
}

// How many records are due by `now` on the run's schedule and not sent yet (rate 0: any).
int64_t due_now(const ProduceRun& r, Clock::time_point now) {
  if (r.o->rate <= 0) {
    return std::numeric_limits<int64_t>::max();
  }
  const double elapsed = std::chrono::duration<double>(now - r.start).count();
  return static_cast<int64_t>(elapsed * r.o->rate) + 1 - r.sent;
}

// The driver's counters; the send callbacks share them (they may outlive the driver's frame).
struct DriverState {
  explicit DriverState(const asio::any_io_executor& ex) : wake(ex) {}
  int64_t outstanding = 0;
  bool waiting_for_slot = false;
  asio::steady_timer wake;
};

void on_ack(ProduceRun& r, DriverState& d, Clock::time_point t0,
            const Result<client::RecordMetadata>& meta) {
  --d.outstanding;
  record_outcome(r, t0, meta);
  if (d.waiting_for_slot) {
    d.waiting_for_slot = false;
    d.wake.cancel();
  }
}

// The default sending loop, as a Kafka application (and kafka-producer-perf-test) sends: one
// coroutine hands records to Producer::try_send with a completion callback, keeping at most
// `in_flight` unacknowledged. A paced run wakes once per kPaceTick and sends every record due
// by then. The coroutine-per-record senders above cost the load tool ~10 us of CPU per record
// (a coroutine, a pacing timer and a waiter timer each): at half rate as much CPU as the three
// brokers together, on the same 2 cores (bench/RESULTS.md, issue 4 session 7).
asio::awaitable<void> driver(client::Producer& producer, std::shared_ptr<ProduceRun> r) {
  constexpr auto kPaceTick = std::chrono::milliseconds(1);
  auto d = std::make_shared<DriverState>(co_await asio::this_coro::executor);
  client::ProducerRecord record;
  record.topic = r->o->topic;
  record.value.emplace(static_cast<size_t>(r->o->record_size), 'x');
  while (true) {
    const auto now = Clock::now();
    int64_t due = due_now(*r, now);
    while (due > 0 && d->outstanding < r->o->in_flight && claim(*r)) {
      stamp_value(*record.value);
      const auto t0 = Clock::now();
      ++d->outstanding;
      --due;
      const bool appended = producer.try_send(
          record, [r, d, t0](Result<client::RecordMetadata> meta) { on_ack(*r, *d, t0, meta); });
      if (!appended) {
        // The topic's partition count is not cached yet: send() waits for the metadata.
        client::ProducerRecord copy = record;
        auto meta = co_await producer.send(std::move(copy));
        on_ack(*r, *d, t0, meta);
      }
    }
    if (finished(*r)) {
      break;
    }
    if (d->outstanding >= r->o->in_flight) {
      d->waiting_for_slot = true;  // an acknowledgement wakes the driver
      d->wake.expires_at(r->deadline);
    } else {
      d->wake.expires_at(now + kPaceTick);  // only paced runs get here with room left
    }
    [[maybe_unused]] auto [ec] = co_await d->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    d->waiting_for_slot = false;
  }
  // produce_phase's flush() waits for the acknowledgements still out.
  r->active = 0;
  r->done->cancel();
}

asio::awaitable<Result<void>> ensure_topic(client::Client& client, const BenchOptions& o) {
  client::NewTopic topic{o.topic, o.partitions, static_cast<int16_t>(o.replication_factor), {}};
  if (o.min_insync_replicas > 0) {
    topic.configs["min.insync.replicas"] = std::to_string(o.min_insync_replicas);
  }
  std::vector<client::NewTopic> topics{topic};
  auto created = co_await client.create_topics(std::move(topics), std::chrono::seconds(30));
  if (!created) {
    co_return created.error();
  }
  for (const auto& t : *created) {
    if (t.error &&
        client::as_kafka_error(t.error) != protocol::ErrorCode::kTopicAlreadyExists) {
      co_return t.error;
    }
  }
  // Wait until every partition has a leader, so the first sends do not measure an election.
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::vector<std::string> wanted{o.topic};
    auto metadata = co_await client.metadata(std::move(wanted));
    if (metadata) {
      auto it = (*metadata)->topics.find(o.topic);
      bool ready = it != (*metadata)->topics.end() && !it->second.partitions.empty();
      if (ready) {
        for (const auto& p : it->second.partitions) {
          ready = ready && p.leader.value >= 0;
        }
      }
      if (ready) {
        co_return Result<void>{};
      }
    }
    asio::steady_timer pause(client.executor());
    pause.expires_after(std::chrono::milliseconds(100));
    co_await pause.async_wait(asio::use_awaitable);
  }
  co_return make_error_code(client::errc::leader_not_available);
}


struct PhaseResult {
  double seconds = 0;
  std::shared_ptr<ProduceRun> run;
};

// One timed produce phase with a fresh Producer (so an idempotent phase pays InitProducerId).
asio::awaitable<PhaseResult> produce_phase(client::Client& client, std::shared_ptr<BenchOptions> o,
                                           bool idempotent) {
  client::ProducerOptions options;
  options.acks = *parse_acks(o->acks);
  options.compression = *parse_compression(o->compression);
  options.batch_size = static_cast<size_t>(o->batch_size);
  options.linger = std::chrono::milliseconds(o->linger_ms);
  options.max_in_flight = o->max_in_flight;
  options.enable_idempotence = idempotent;
  client::Producer producer(client, options);
  auto r = std::make_shared<ProduceRun>();
  r->o = o;
  r->done = std::make_unique<asio::steady_timer>(client.executor());
  r->done->expires_at(asio::steady_timer::time_point::max());
  r->start = Clock::now();
  r->deadline = r->start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(o->duration_s));
  if (o->coroutine_senders) {
    r->active = o->in_flight;
    for (int i = 0; i < o->in_flight; ++i) {
      asio::co_spawn(client.executor(), sender(producer, r), asio::detached);
    }
  } else {
    r->active = 1;
    asio::co_spawn(client.executor(), driver(producer, r), asio::detached);
  }
  while (r->active > 0) {
    [[maybe_unused]] auto [ec] = co_await r->done->async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_await producer.flush();
  PhaseResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - r->start).count();
  result.run = r;
  co_return result;
}

// Plain acks=all and idempotent phases alternate on one topic in one process, so both see the
// same cluster, load and topic settings; the summary compares their mean records/s.
asio::awaitable<int> compare_idempotence(client::Client& client, std::shared_ptr<BenchOptions> o) {
  double rate[2] = {0, 0};
  for (int round = 0; round < o->compare_rounds; ++round) {
    for (int mode = 0; mode < 2; ++mode) {
      auto phase = co_await produce_phase(client, o, mode == 1);
      const auto& r = *phase.run;
      print_report(*o, mode == 1 ? "produce-idempotent" : "produce-plain", phase.seconds, r.acked,
                   r.acked * o->record_size, r.latency, r.errors);
      if (r.errors > 0) {
        co_return report_error("bench produce", r.first_error, o->flags);
      }
      rate[mode] += static_cast<double>(r.acked) / phase.seconds / o->compare_rounds;
    }
  }
  const double overhead = rate[0] > 0 ? (rate[0] - rate[1]) / rate[0] * 100.0 : 0;
  if (o->format == "json") {
    nlohmann::json j{{"kind", "idempotence-summary"}, {"plain_records_per_s", rate[0]},
                     {"idempotent_records_per_s", rate[1]}, {"overhead_percent", overhead},
                     {"rounds", o->compare_rounds}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("idempotence: plain %.0f records/s, idempotent %.0f records/s, overhead %.1f%%"
                " (%d rounds)\n", rate[0], rate[1], overhead, o->compare_rounds);
  }
  co_return kExitOk;
}

asio::awaitable<int> run_bench_produce(client::Client& client, std::shared_ptr<BenchOptions> o) {
  auto ready = co_await ensure_topic(client, *o);
  if (!ready) {
    co_return report_error("bench topic '" + o->topic + "'", ready.error(), o->flags);
  }
  if (o->compare_rounds > 0) {
    auto code = co_await compare_idempotence(client, o);
    co_return code;
  }
  auto phase = co_await produce_phase(client, o, o->idempotent);
  const auto& r = *phase.run;
  print_report(*o, o->idempotent ? "produce-idempotent" : "produce", phase.seconds, r.acked,
               r.acked * o->record_size, r.latency, r.errors);
  if (r.errors > 0) {
    co_return report_error("bench produce", r.first_error, o->flags);
  }
  co_return kExitOk;
}

asio::awaitable<int> run_bench_consume(client::Client& client, std::shared_ptr<BenchOptions> o) {
  std::vector<std::string> wanted{o->topic};
  auto metadata = co_await client.metadata(std::move(wanted));
  if (!metadata) {
    co_return report_error("bench consume", metadata.error(), o->flags);
  }
  auto topic = (*metadata)->topics.find(o->topic);
  if (topic == (*metadata)->topics.end() || topic->second.partitions.empty()) {
    std::cerr << "meridian: topic '" << o->topic << "' not found\n";
    co_return kExitError;
  }
  if (!o->group.empty()) {
    auto code = co_await run_bench_consume_group(client, o, topic->second.partitions.size());
    co_return code;
  }
  client::ConsumerOptions options;
  options.auto_offset_reset =
      o->from == "end" ? client::OffsetReset::kLatest : client::OffsetReset::kEarliest;
  client::Consumer consumer(client, options);
  std::vector<client::TopicPartition> tps;
  for (const auto& p : topic->second.partitions) {
    tps.push_back({o->topic, p.id});
  }
  consumer.assign(tps);
  for (const auto& tp : tps) {
    auto sought = co_await consumer.seek_to(tp, options.auto_offset_reset);
    if (!sought) {
      co_return report_error("bench consume", sought.error(), o->flags);
    }
  }
  LatencyHistogram e2e;
  int64_t records = 0;
  int64_t bytes = 0;
  const auto begin = Clock::now();
  std::optional<Clock::time_point> first;
  auto last = begin;
  const auto deadline = begin + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o->duration_s));
  // The idle timeout starts with the first record: until then the producer may be starting.
  const auto idle = std::chrono::milliseconds(o->idle_timeout_ms);
  while ((o->records == 0 || records < o->records) && Clock::now() < deadline &&
         !(first && Clock::now() - last >= idle)) {
    auto polled = co_await consumer.poll(std::chrono::milliseconds(200));
    if (!polled) {
      co_return report_error("bench consume", polled.error(), o->flags);
    }
    const int64_t now = wall_micros();
    for (const auto& r : *polled) {
      ++records;
      bytes += r.record.value ? static_cast<int64_t>(r.record.value->size()) : 0;
      if (r.record.value && r.record.value->size() >= kStampBytes &&
          std::memcmp(r.record.value->data(), kMagic, sizeof(kMagic)) == 0) {
        int64_t stamp = 0;
        std::memcpy(&stamp, r.record.value->data() + sizeof(kMagic), sizeof(stamp));
        e2e.record(now - stamp);
      }
    }
    if (!polled->empty()) {
      last = Clock::now();
      first = first.value_or(last);
    }
  }
  // Throughput counts from the first record: waiting for the producer to start is not reading.
  const double seconds =
      std::chrono::duration<double>(last - first.value_or(begin)).count();
  print_report(*o, "consume", seconds > 0 ? seconds : 1e-9, records, bytes, e2e, 0);
  co_return records > 0 ? kExitOk : kExitError;
}

void add_common(CLI::App* cmd, BenchOptions& o) {
  cmd->add_option("-t,--topic", o.topic, "Topic")->capture_default_str();
  cmd->add_option("-n,--records", o.records, "Stop after this many records (0: no limit)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
      ->capture_default_str();
  cmd->add_option("-d,--duration", o.duration_s, "Stop after this many seconds")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  cmd->add_option("--format", o.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  add_client_flags(*cmd, o.flags);
}

}  // namespace

void print_report(const BenchOptions& o, const std::string& kind, double seconds, int64_t records,
                  int64_t bytes, const LatencyHistogram& latency, int64_t errors) {
  const double mb_s = static_cast<double>(bytes) / 1e6 / seconds;
  const double rec_s = static_cast<double>(records) / seconds;
  auto ms = [&](double q) { return latency.percentile(q) / 1000.0; };
  nlohmann::json j{{"kind", kind},         {"topic", o.topic},
                   {"records", records},   {"bytes", bytes},
                   {"seconds", seconds},   {"mb_per_s", mb_s},
                   {"records_per_s", rec_s}, {"p50_ms", ms(0.5)},
                   {"p99_ms", ms(0.99)},   {"p999_ms", ms(0.999)},
                   {"max_ms", static_cast<double>(latency.max()) / 1000.0},
                   {"errors", errors},     {"record_size", o.record_size},
                   {"acks", o.acks},       {"partitions", o.partitions},
                   {"replication_factor", o.replication_factor}, {"rate", o.rate}};
  if (o.format == "json") {
    std::cout << j.dump() << "\n";
    return;
  }
  std::printf("%s: %lld records, %lld bytes in %.2f s: %.1f MB/s, %.0f records/s\n", kind.c_str(),
              static_cast<long long>(records), static_cast<long long>(bytes), seconds, mb_s,
              rec_s);
  std::printf("  %s latency ms: p50 %.3f  p99 %.3f  p999 %.3f  max %.3f  (%llu samples)\n",
              kind.starts_with("produce") ? "produce" : "end-to-end", ms(0.5), ms(0.99), ms(0.999),
              static_cast<double>(latency.max()) / 1000.0,
              static_cast<unsigned long long>(latency.count()));
  if (errors > 0) {
    std::printf("  errors: %lld\n", static_cast<long long>(errors));
  }
}

void register_bench_commands(CLI::App& app, int& exit_code) {
  auto* bench = app.add_subcommand("bench", "Bounded load generator: produce or consume");
  bench->require_subcommand(1);

  auto* produce = bench->add_subcommand("produce", "Produce fixed-size records as fast as allowed");
  auto p = std::make_shared<BenchOptions>();
  add_common(produce, *p);
  produce->add_option("-s,--record-size", p->record_size, "Value bytes (>= 16)")
      ->check(CLI::Range(16, 16 * 1024 * 1024))
      ->capture_default_str();
  produce->add_option("--acks", p->acks, "all, 1 or 0")
      ->check(CLI::IsMember({"all", "-1", "1", "0"}))
      ->capture_default_str();
  produce->add_option("-p,--partitions", p->partitions, "Partitions of the created topic")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  produce->add_option("-r,--replication-factor", p->replication_factor,
                      "Replication factor of the created topic")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  produce->add_option("--batch-size", p->batch_size, "batch.size in bytes")
      ->check(CLI::Range(1024, 64 * 1024 * 1024))
      ->capture_default_str();
  produce->add_option("--linger-ms", p->linger_ms, "linger.ms")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  produce->add_option("-z,--compression", p->compression, "none, gzip, snappy, lz4, zstd")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  produce->add_option("--rate", p->rate, "Records per second (0: unlimited)")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  produce->add_option("--in-flight", p->in_flight, "Records awaiting acknowledgement at once")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  produce->add_option("--min-insync-replicas", p->min_insync_replicas,
                      "min.insync.replicas of the created topic (0: broker default)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  produce->add_flag("--idempotent", p->idempotent,
                    "enable.idempotence: producer id, sequence numbers, acks=all");
  produce->add_flag("--coroutine-senders", p->coroutine_senders,
                    "One sending coroutine per record in flight (the tool before session 7; A/B)");
  produce->add_option("--max-in-flight", p->max_in_flight,
                      "Batches in flight per partition (max.in.flight.requests.per.connection)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  produce->add_option("--compare-idempotence", p->compare_rounds,
                      "Alternate plain acks=all and idempotent phases (each --duration) for N "
                      "rounds and report the idempotence overhead")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  on_run(produce, p, exit_code, run_bench_produce);

  auto* consume = bench->add_subcommand(
      "consume", "Read records and report MB/s and end-to-end latency (from the value stamp)");
  auto c = std::make_shared<BenchOptions>();
  add_common(consume, *c);
  consume->add_option("--from", c->from, "end (wait for new records) or beginning")
      ->check(CLI::IsMember({"end", "beginning"}))
      ->capture_default_str();
  consume->add_option("--idle-timeout-ms", c->idle_timeout_ms,
                      "Stop when nothing arrives for this long")
      ->check(CLI::Range(100, 3600000))
      ->capture_default_str();
  consume->add_option("-g,--group", c->group,
                      "Read as a consumer group of --consumers members; then time the rebalance "
                      "after one is killed and after one leaves");
  consume->add_option("--consumers", c->consumers, "Group members (with --group)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  consume->add_option("--session-timeout-ms", c->session_timeout_ms,
                      "session.timeout.ms of the members (with --group)")
      ->check(CLI::Range(1000, 300000))
      ->capture_default_str();
  on_run(consume, c, exit_code, run_bench_consume);
}

}  // namespace meridian::cli
