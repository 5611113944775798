#include "cluster/broker/broker_metrics.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/broker/broker.h"
#include "cluster/broker/broker_metrics_groups.h"
#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/replica_manager.h"
#include "cluster/log/partition_log.h"
#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "common/admin/metrics.h"
#include "common/byte_order.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// RecordBatch v2 header: baseOffset(8) batchLength(4) ... recordsCount at byte 57, 61 bytes.
constexpr size_t kBatchLengthOffset = 8;
constexpr size_t kBatchOverhead = 12;  // baseOffset + batchLength precede the counted length
constexpr size_t kRecordCountOffset = 57;
constexpr size_t kBatchHeaderSize = 61;

struct Tally {
  uint64_t records = 0;
  uint64_t bytes = 0;
};

// Records in the complete batches of `data` (a fetch may end with a truncated batch).
Tally count_batches(std::span<const uint8_t> data) {
  Tally t;
  size_t pos = 0;
  while (data.size() - pos >= kBatchHeaderSize) {
    auto length = static_cast<size_t>(
        static_cast<uint32_t>(load_be<int32_t>(data.data() + pos + kBatchLengthOffset)));
    size_t total = kBatchOverhead + length;
    if (length < kBatchHeaderSize - kBatchOverhead || total > data.size() - pos) {
      break;
    }
    auto count = load_be<int32_t>(data.data() + pos + kRecordCountOffset);
    t.records += static_cast<uint64_t>(std::max(0, count));
    t.bytes += total;
    pos += total;
  }
  return t;
}

// "ListOffsets" -> "list_offsets": Prometheus label values in the style of the request kinds
// the catalogue names (produce, fetch).
std::string request_label(protocol::ApiKey key) {
  std::string_view name = protocol::api_key_name(key);
  std::string out;
  for (char ch : name) {
    if (ch >= 'A' && ch <= 'Z') {
      if (!out.empty()) {
        out.push_back('_');
      }
      out.push_back(static_cast<char>(ch - 'A' + 'a'));
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::atomic<uint64_t> g_next_owner{1};

}  // namespace

// --- MeteredRequestHandler ---------------------------------------------------------------

struct MeteredRequestHandler::Impl {
  Impl(RequestHandler& h, MetricLabels l)
      : inner(h), metrics(admin::broker_metrics(l)), owner(g_next_owner++) {}

  // A per-thread cache of series handles, so the request path never takes the family mutex
  // after the first request of a (kind, topic) on a thread. Handles stay valid: these series
  // are never removed.
  template <class T, class Family>
  T& series(const Family& family, char kind, const std::string& key,
            const prometheus::Labels& labels) {
    thread_local std::unordered_map<std::string, void*> cache;
    std::string k = std::to_string(owner);
    k.push_back(kind);
    k += key;
    auto it = cache.find(k);
    if (it == cache.end()) {
      it = cache.emplace(std::move(k), &family.add(labels)).first;
    }
    return *static_cast<T*>(it->second);
  }

  void count(const std::string& topic, const Tally& t, bool produce) {
    const char* request = produce ? "produce" : "fetch";
    auto& records = produce ? metrics.records_produced : metrics.records_fetched;
    series<prometheus::Counter>(records, produce ? 'p' : 'f', topic, {{"topic", topic}})
        .Increment(static_cast<double>(t.records));
    series<prometheus::Counter>(metrics.request_bytes, produce ? 'P' : 'F', topic,
                                {{"topic", topic}, {"request", request}})
        .Increment(static_cast<double>(t.bytes));
  }

  RequestHandler& inner;
  admin::BrokerMetrics metrics;
  uint64_t owner;
};

MeteredRequestHandler::MeteredRequestHandler(RequestHandler& inner, MetricLabels labels)
    : impl_(std::make_unique<Impl>(inner, std::move(labels))) {}

MeteredRequestHandler::~MeteredRequestHandler() = default;

namespace {

using TopicTallies = std::map<std::string, std::map<int32_t, Tally>>;

TopicTallies produce_tallies(std::span<const uint8_t> body, int16_t version) {
  TopicTallies out;
  auto request = protocol::decode<protocol::ProduceRequestView>(body, version);
  if (!request) {
    return out;
  }
  for (const auto& topic : request->topics) {
    for (const auto& p : topic.partitions) {
      if (p.records) {
        out[topic.name][p.index] = count_batches(*p.records);
      }
    }
  }
  return out;
}

// Keeps only the partitions the produce response acknowledged without error.
void keep_acknowledged(TopicTallies& tallies, const std::vector<uint8_t>& response,
                       int16_t version) {
  auto parsed = response.size() > 4
                    ? protocol::parse_response(std::span(response).subspan(4))
                    : Result<protocol::ParsedResponse>(std::make_error_code(std::errc::io_error));
  auto decoded = parsed ? protocol::decode<protocol::ProduceResponse>(parsed->body, version)
                        : Result<protocol::ProduceResponse>(parsed.error());
  if (!decoded) {
    tallies.clear();
    return;
  }
  for (const auto& topic : decoded->responses) {
    for (const auto& p : topic.partitions) {
      if (p.error_code != protocol::ErrorCode::kNone) {
        tallies[topic.name].erase(p.index);
      }
    }
  }
}

TopicTallies fetch_tallies(const std::vector<uint8_t>& response, int16_t version) {
  TopicTallies out;
  if (response.size() <= 4) {
    return out;
  }
  auto parsed = protocol::parse_response(std::span(response).subspan(4));
  if (!parsed) {
    return out;
  }
  auto decoded = protocol::decode<protocol::FetchResponseView>(parsed->body, version);
  if (!decoded) {
    return out;
  }
  for (const auto& topic : decoded->responses) {
    for (const auto& p : topic.partitions) {
      if (p.records && !p.records->empty()) {
        out[topic.topic][p.partition_index] = count_batches(*p.records);
      }
    }
  }
  return out;
}

bool is_consumer_fetch(std::span<const uint8_t> body, int16_t version) {
  auto request = protocol::decode<protocol::FetchRequest>(body, version);
  return request && request->replica_id < 0;
}

}  // namespace

asio::awaitable<std::optional<std::vector<uint8_t>>> MeteredRequestHandler::handle(
    const ConnectionInfo& connection, std::span<uint8_t> frame) {
  auto start = Clock::now();
  auto parsed = protocol::parse_request(frame);
  protocol::ApiKey key = parsed ? parsed->header.api_key : protocol::ApiKey(-1);
  int16_t version = parsed ? parsed->header.api_version : 0;
  TopicTallies produced;
  bool consumer_fetch = false;
  if (parsed && key == protocol::ApiKey::kProduce) {
    produced = produce_tallies(parsed->body, version);
  } else if (parsed && key == protocol::ApiKey::kFetch) {
    consumer_fetch = is_consumer_fetch(parsed->body, version);
  }
  auto response = co_await impl_->inner.handle(connection, frame);
  if (!parsed) {
    co_return response;
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  auto label = request_label(key);
  impl_->series<prometheus::Histogram>(impl_->metrics.request_latency, 'l', label,
                                       {{"request", label}})
      .Observe(seconds);
  if (key == protocol::ApiKey::kProduce) {
    if (response) {  // acks=0 has no response: every batch counts
      keep_acknowledged(produced, *response, version);
    }
  } else if (consumer_fetch && response) {
    produced = fetch_tallies(*response, version);
  }
  for (const auto& [topic, partitions] : produced) {
    Tally sum;
    for (const auto& [_, t] : partitions) {
      sum.records += t.records;
      sum.bytes += t.bytes;
    }
    impl_->count(topic, sum, key == protocol::ApiKey::kProduce);
  }
  co_return response;
}

// --- BrokerMetricsCollector ---------------------------------------------------------------

namespace {

// Gauge series set during one sample; the ones set last time but not now are removed, so a
// partition that moved away or a deleted topic leaves no stale series.
class SeriesSet {
 public:
  void set(const admin::GaugeFamily& family, const prometheus::Labels& labels, double value) {
    family.add(labels).Set(value);
    current_[&family].insert(labels);
  }
  void sweep() {
    for (const auto& [family, labels] : previous_) {
      for (const auto& l : labels) {
        auto it = current_.find(family);
        if (it == current_.end() || !it->second.contains(l)) {
          family->remove(l);
        }
      }
    }
    previous_ = std::move(current_);
    current_.clear();
  }

 private:
  using Map = std::map<const admin::GaugeFamily*, std::set<prometheus::Labels>>;
  Map previous_;
  Map current_;
};

struct PartitionMemory {
  replication::Role role = replication::Role::kNone;
  LeaderEpoch epoch{-1};
  std::vector<BrokerId> isr;
};

size_t missing_from(const std::vector<BrokerId>& a, const std::vector<BrokerId>& b) {
  return static_cast<size_t>(std::count_if(a.begin(), a.end(), [&](BrokerId id) {
    return std::find(b.begin(), b.end(), id) == b.end();
  }));
}

uint64_t directory_bytes(const std::filesystem::path& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      auto size = it->file_size(size_ec);
      total += size_ec ? 0 : size;
    }
  }
  return total;
}

std::string label_or_empty(const MetricLabels& labels, const std::string& name) {
  auto it = labels.find(name);
  return it == labels.end() ? std::string() : it->second;
}

// Collectors of the brokers of this process: a leader reads its followers' log end offsets
// from here when they share the process (meridian dev); guarded by g_siblings_mutex.
std::mutex g_siblings_mutex;
std::vector<BrokerMetricsCollector::Impl*> g_siblings;

}  // namespace

struct BrokerMetricsCollector::Impl {
  Impl(const Broker& b, BrokerMetricsOptions o)
      : broker(b),
        options(std::move(o)),
        metrics(admin::broker_metrics(options.labels)),
        cluster(admin::cluster_metrics(options.labels)),
        groups(b, options.labels) {}

  void sample();
  void sample_partitions(const std::vector<std::pair<TopicPartition,
                                                     replication::PartitionSnapshot>>& snaps);
  void sample_cluster();
  std::optional<Offset> sibling_leo(BrokerId id, const TopicPartition& tp) const;
  std::optional<int64_t> known_high_watermark(const TopicPartition& tp) const;

  const Broker& broker;
  BrokerMetricsOptions options;
  admin::BrokerMetrics metrics;
  admin::ClusterMetrics cluster;
  GroupMetricsSampler groups;
  SeriesSet gauges;
  std::map<TopicPartition, PartitionMemory> memory;

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;
};

std::optional<Offset> BrokerMetricsCollector::Impl::sibling_leo(BrokerId id,
                                                                const TopicPartition& tp) const {
  std::lock_guard lock(g_siblings_mutex);
  auto dc = label_or_empty(options.labels, "datacenter");
  for (const Impl* s : g_siblings) {
    if (s->broker.id() != id || label_or_empty(s->options.labels, "datacenter") != dc) {
      continue;
    }
    const ReplicaManager* rm = s->broker.replica_manager();
    auto partition = rm ? rm->get(tp) : nullptr;
    if (partition) {
      return partition->snapshot().log_end_offset;
    }
  }
  return std::nullopt;
}

// For group lag: the highest HW of the replicas this process holds (the leader's when it is
// here; brokers of other processes are not asked).
std::optional<int64_t> BrokerMetricsCollector::Impl::known_high_watermark(
    const TopicPartition& tp) const {
  std::optional<int64_t> best;
  auto consider = [&](const Broker& b) {
    const ReplicaManager* rm = b.replica_manager();
    auto partition = rm ? rm->get(tp) : nullptr;
    if (partition) {
      best = std::max(best.value_or(-1), partition->snapshot().high_watermark.value);
    }
  };
  consider(broker);
  std::lock_guard lock(g_siblings_mutex);
  auto dc = label_or_empty(options.labels, "datacenter");
  for (const Impl* s : g_siblings) {
    if (s != this && label_or_empty(s->options.labels, "datacenter") == dc) {
      consider(s->broker);
    }
  }
  return best;
}

void BrokerMetricsCollector::Impl::sample_partitions(
    const std::vector<std::pair<TopicPartition, replication::PartitionSnapshot>>& snaps) {
  const auto& config = broker.config();
  const BrokerId self = broker.id();
  std::map<std::string, double> under_replicated, under_min_isr;
  std::map<std::string, uint64_t> log_bytes;
  std::map<TopicPartition, PartitionMemory> next;
  for (const auto& [tp, s] : snaps) {
    log_bytes[tp.topic] +=
        directory_bytes(log::partition_dir(config.log_dirs.front(), tp.topic, tp.partition));
    next[tp] = {s.role, s.state.leader_epoch, s.state.isr};
    const prometheus::Labels part{{"topic", tp.topic},
                                  {"partition", std::to_string(tp.partition.value)}};
    if (s.role != replication::Role::kLeader) {
      // Follower side (leader in another process): behind the HW it last heard of.
      if (s.role == replication::Role::kFollower && !sibling_leo(s.state.leader, tp)) {
        auto lag = std::max<int64_t>(0, s.high_watermark.value - s.log_end_offset.value);
        auto labels = part;
        labels["follower"] = std::to_string(self.value);
        gauges.set(metrics.replication_fetch_lag, labels, static_cast<double>(lag));
      }
      continue;
    }
    auto& previous = memory[tp];
    // Became leader since the last sample. An epoch bump while staying leader (the controller
    // re-sending our ISR) is not an election, and ISR changes across it still count.
    bool new_term = previous.role != replication::Role::kLeader;
    const prometheus::Labels topic{{"topic", tp.topic}};
    metrics.leadership_changes.add(topic).Increment(new_term ? 1 : 0);
    auto shrinks = new_term ? 0 : missing_from(previous.isr, s.state.isr);
    auto expands = new_term ? 0 : missing_from(s.state.isr, previous.isr);
    metrics.isr_shrinks.add(topic).Increment(static_cast<double>(shrinks));
    metrics.isr_expands.add(topic).Increment(static_cast<double>(expands));
    under_replicated[tp.topic] += s.state.isr.size() < s.state.replicas.size() ? 1 : 0;
    under_min_isr[tp.topic] +=
        s.state.isr.size() < static_cast<size_t>(config.min_insync_replicas) ? 1 : 0;
    gauges.set(metrics.in_sync_replicas, part, static_cast<double>(s.state.isr.size()));
    gauges.set(metrics.high_watermark, part, static_cast<double>(s.high_watermark.value));
    gauges.set(metrics.log_start_offset, part, static_cast<double>(s.log_start_offset.value));
    for (BrokerId r : s.state.replicas) {
      auto leo = r == self ? std::nullopt : sibling_leo(r, tp);
      if (leo) {
        auto labels = part;
        labels["follower"] = std::to_string(r.value);
        auto lag = std::max<int64_t>(0, s.log_end_offset.value - leo->value);
        gauges.set(metrics.replication_fetch_lag, labels, static_cast<double>(lag));
      }
    }
  }
  memory = std::move(next);
  for (const auto& [topic, n] : under_replicated) {
    gauges.set(metrics.under_replicated, {{"topic", topic}}, n);
    gauges.set(metrics.under_min_isr, {{"topic", topic}}, under_min_isr[topic]);
  }
  for (const auto& [topic, bytes] : log_bytes) {
    gauges.set(metrics.log_size, {{"topic", topic}}, static_cast<double>(bytes));
  }
}

void BrokerMetricsCollector::Impl::sample_cluster() {
  bool active = broker.is_controller();
  gauges.set(cluster.controller_active, {}, active ? 1 : 0);
  if (!active) {
    return;  // cluster gauges come from the active controller only: sum() over brokers works
  }
  auto md = broker.metadata();
  if (!md) {
    return;
  }
  size_t partitions = 0, unavailable = 0;
  for (const auto& [name, topic] : md->topics) {
    partitions += topic.partitions.size();
    size_t replicas = topic.partitions.empty() ? 0 : topic.partitions.front().replicas.size();
    for (const auto& p : topic.partitions) {
      unavailable += p.leader.value < 0 || md->broker(p.leader) == nullptr ? 1 : 0;
    }
    gauges.set(cluster.topic_partitions, {{"topic", name}},
               static_cast<double>(topic.partitions.size()));
    gauges.set(cluster.topic_replicas, {{"topic", name}}, static_cast<double>(replicas));
  }
  gauges.set(cluster.brokers, {}, static_cast<double>(md->brokers.size()));
  gauges.set(cluster.topics, {}, static_cast<double>(md->topics.size()));
  gauges.set(cluster.partitions, {}, static_cast<double>(partitions));
  gauges.set(cluster.unavailable_partitions, {}, static_cast<double>(unavailable));
}

void BrokerMetricsCollector::Impl::sample() {
  const ReplicaManager* rm = broker.replica_manager();
  if (rm == nullptr) {
    return;
  }
  std::vector<std::pair<TopicPartition, replication::PartitionSnapshot>> snaps;
  for (const auto& [tp, partition] : rm->all()) {
    snaps.emplace_back(tp, partition->snapshot());
  }
  sample_partitions(snaps);
  sample_cluster();
  groups.sample([this](const TopicPartition& tp) { return known_high_watermark(tp); });
  // The log directory appears with the first partition: until then ask its nearest parent.
  std::filesystem::path dir = broker.config().log_dirs.front();
  struct statvfs fs {};
  while (::statvfs(dir.c_str(), &fs) != 0 && dir.has_relative_path()) {
    dir = dir.parent_path();
  }
  if (::statvfs(dir.c_str(), &fs) == 0) {
    gauges.set(metrics.disk_free, {}, static_cast<double>(fs.f_bavail) * fs.f_frsize);
    gauges.set(metrics.disk_total, {}, static_cast<double>(fs.f_blocks) * fs.f_frsize);
  }
  gauges.sweep();
}

BrokerMetricsCollector::BrokerMetricsCollector(const Broker& broker, BrokerMetricsOptions options)
    : impl_(std::make_unique<Impl>(broker, std::move(options))) {
  std::lock_guard lock(g_siblings_mutex);
  g_siblings.push_back(impl_.get());
}

BrokerMetricsCollector::~BrokerMetricsCollector() {
  stop();
  std::lock_guard lock(g_siblings_mutex);
  std::erase(g_siblings, impl_.get());
}

void BrokerMetricsCollector::collect_once() {
  try {
    impl_->sample();
  } catch (const std::exception& e) {  // prometheus-cpp throws only on programming errors
    logger("broker")->error("metrics sample failed: {}", e.what());
  }
}

void BrokerMetricsCollector::start() {
  if (impl_->thread.joinable()) {
    return;
  }
  impl_->thread = std::thread([this] {
    std::unique_lock lock(impl_->mutex);
    while (!impl_->stopping) {
      lock.unlock();
      collect_once();
      lock.lock();
      impl_->wake.wait_for(lock, impl_->options.interval, [this] { return impl_->stopping; });
    }
  });
}

void BrokerMetricsCollector::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
  // Unregister now: a sibling must not read this broker's partitions while it tears down.
  std::lock_guard lock(g_siblings_mutex);
  std::erase(g_siblings, impl_.get());
}

}  // namespace meridian::broker
