#include "cluster/broker/replica_manager.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>

#include "cluster/log/partition_log.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr const char* kIncarnationsFile = "topic_incarnations";
constexpr std::string_view kDeleteSuffix = "-delete";

// Kafka's `<topic>-<partition>.<uuid>-delete`: 32 random hex digits stand in for the uuid.
std::string delete_name(const fs::path& dir) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return dir.filename().string() + "." + hex + std::string(kDeleteSuffix);
}

// "<topic>-<p>" -> the partition; nullopt for anything else in the log directory.
std::optional<TopicPartition> parse_partition_dir(const std::string& name) {
  auto dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == name.size()) {
    return std::nullopt;
  }
  int32_t p = -1;
  auto [ptr, ec] = std::from_chars(name.data() + dash + 1, name.data() + name.size(), p);
  if (ec != std::errc() || ptr != name.data() + name.size() || p < 0) {
    return std::nullopt;
  }
  return TopicPartition{name.substr(0, dash), PartitionId(p)};
}

void fsync_path(const fs::path& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

ReplicaManager::ReplicaManager(asio::any_io_executor executor, ReplicaManagerOptions options,
                               replication::IsrWriter& isr_writer,
                               std::function<void(replication::DataEvent)> on_data)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      isr_writer_(isr_writer),
      on_data_(std::move(on_data)) {
  load_incarnations();
}

ReplicaManager::~ReplicaManager() = default;

bool ReplicaManager::accept_controller_epoch(int32_t epoch) {
  std::lock_guard lock(mutex_);
  if (epoch < controller_epoch_) {
    return false;
  }
  controller_epoch_ = epoch;
  return true;
}

Result<std::shared_ptr<replication::Partition>> ReplicaManager::get_or_open(
    const TopicPartition& tp,
    const std::optional<std::pair<log::LogConfig, replication::PartitionConfig>>& config) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = partitions_.find(tp); it != partitions_.end()) {
      return it->second;
    }
  }
  // TODO(lead): open (and recover) on the broker's blocking thread pool, not the io thread.
  auto dir = log::partition_dir(options_.log_dir, tp.topic, tp.partition);
  auto opened = log::PartitionLog::open(dir, config ? config->first : options_.log_config);
  if (!opened) {
    logger("broker")->error("[tp={}-{}] cannot open log {}: {}", tp.topic, tp.partition.value,
                            dir.string(), opened.error().message());
    return opened.error();
  }
  auto partition = std::make_shared<replication::Partition>(
      executor_, tp.topic, tp.partition, options_.self, std::move(*opened),
      config ? config->second : options_.partition_config, isr_writer_, on_data_);
  std::lock_guard lock(mutex_);
  auto [it, inserted] = partitions_.emplace(tp, partition);
  return it->second;
}

asio::awaitable<Result<void>> ReplicaManager::apply(TopicPartition tp,
                                                    replication::PartitionState state) {
  // A partition new here: its topic's incarnation and config, in one trip to the blocking pool.
  struct Lookup {
    std::optional<int64_t> incarnation;
    std::optional<std::pair<log::LogConfig, replication::PartitionConfig>> config;
  };
  Lookup found;
  if (options_.blocking && (options_.incarnation_of || options_.config_of) && !get(tp)) {
    auto lookup = [this, topic = tp.topic]() -> asio::awaitable<Lookup> {
      Lookup out;
      if (options_.incarnation_of) {
        out.incarnation = options_.incarnation_of(topic);
      }
      if (options_.config_of) {
        out.config = options_.config_of(topic);
      }
      co_return out;
    };
    found = co_await asio::co_spawn(*options_.blocking, std::move(lookup), asio::use_awaitable);
    if (found.incarnation) {
      if (auto checked = check_incarnation(tp, *found.incarnation); !checked) {
        co_return checked.error();
      }
    }
  }
  auto opened = get_or_open(tp, found.config);
  if (!opened) {
    co_return opened.error();
  }
  std::shared_ptr<replication::Partition> partition = *opened;
  // Awaited into a named result: g++ 12 mishandles temporaries in `co_return co_await`.
  replication::PartitionState applied_state = state;
  Result<void> applied = co_await partition->apply_state(std::move(state));
  if (applied && listener_) {
    listener_(tp, applied_state);
  }
  for (const auto& more : more_listeners_) {
    if (applied) {
      more(tp, applied_state);
    }
  }
  co_return applied;
}

asio::awaitable<Result<void>> ReplicaManager::stop_replica(TopicPartition tp, bool delete_log) {
  std::shared_ptr<replication::Partition> partition;
  {
    std::lock_guard lock(mutex_);
    auto it = partitions_.find(tp);
    if (it != partitions_.end()) {
      partition = it->second;
      partitions_.erase(it);
    }
  }
  if (listener_) {
    listener_(tp, std::nullopt);
  }
  for (const auto& more : more_listeners_) {
    more(tp, std::nullopt);
  }
  if (partition) {
    co_await partition->stop();
  }
  if (delete_log) {
    Result<void> discarded = discard_dir(log::partition_dir(options_.log_dir, tp.topic, tp.partition));
    if (!discarded) {
      co_return discarded.error();
    }
  }
  co_return Result<void>();
}

Result<void> ReplicaManager::discard_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return {};
  }
  // The rename is the deletion as far as anyone can see: a partition of the same name created
  // next starts from an empty directory even while the old files are still being removed.
  fs::path doomed = dir.parent_path() / delete_name(dir);
  fs::rename(dir, doomed, ec);
  if (ec) {
    logger("broker")->error("cannot rename {} for deletion: {}", dir.string(), ec.message());
    return ec;
  }
  fsync_path(dir.parent_path(), O_RDONLY | O_DIRECTORY);
  logger("broker")->info("deleting log {} (renamed to {})", dir.string(), doomed.filename().string());
  auto remove = [doomed] {
    std::error_code rec;
    fs::remove_all(doomed, rec);
    if (rec) {
      logger("broker")->warn("cannot remove {}: {}", doomed.string(), rec.message());
    }
  };
  if (options_.blocking) {
    asio::post(*options_.blocking, std::move(remove));
  } else {
    remove();
  }
  return {};
}

Result<void> ReplicaManager::check_incarnation(const TopicPartition& tp, int64_t incarnation) {
  std::optional<int64_t> recorded;
  {
    std::lock_guard lock(incarnation_mutex_);
    if (auto it = incarnations_.find(tp.topic); it != incarnations_.end()) {
      recorded = it->second;
    }
  }
  if (recorded && *recorded != incarnation) {
    logger("broker")->warn("[tp={}-{}] log belongs to an older topic of that name (incarnation "
                           "{}, now {}): discarded",
                           tp.topic, tp.partition.value, *recorded, incarnation);
    // Every partition of the old topic goes: the others' logs are as stale as this one's.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(options_.log_dir, ec)) {
      auto parsed = parse_partition_dir(entry.path().filename().string());
      if (parsed && parsed->topic == tp.topic && entry.is_directory() && !get(*parsed)) {
        if (auto d = discard_dir(entry.path()); !d) {
          return d.error();
        }
      }
    }
  }
  if (recorded == incarnation) {
    return {};
  }
  std::lock_guard lock(incarnation_mutex_);
  incarnations_[tp.topic] = incarnation;
  return save_incarnations_locked();
}

size_t ReplicaManager::remove_stale_logs(const FateFn& fate) {
  std::error_code ec;
  std::vector<std::pair<TopicPartition, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(options_.log_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory()) {
      continue;
    }
    if (name.ends_with(kDeleteSuffix)) {
      std::error_code rec;
      fs::remove_all(entry.path(), rec);  // a deletion interrupted by the last shutdown
      continue;
    }
    if (auto tp = parse_partition_dir(name)) {
      found.emplace_back(std::move(*tp), entry.path());
    }
  }
  size_t removed = 0;
  std::set<std::string> kept_topics;
  for (const auto& [tp, dir] : found) {
    std::optional<int64_t> recorded;
    {
      std::lock_guard lock(incarnation_mutex_);
      if (auto it = incarnations_.find(tp.topic); it != incarnations_.end()) {
        recorded = it->second;
      }
    }
    if (fate(tp, recorded) == LogFate::kDelete) {
      if (discard_dir(dir)) {
        ++removed;
      }
    } else {
      kept_topics.insert(tp.topic);
    }
  }
  std::lock_guard lock(incarnation_mutex_);
  std::erase_if(incarnations_, [&](const auto& kv) { return !kept_topics.contains(kv.first); });
  (void)save_incarnations_locked();
  return removed;
}

void ReplicaManager::load_incarnations() {
  std::ifstream in(options_.log_dir / kIncarnationsFile);
  std::string topic;
  int64_t incarnation = 0;
  while (in >> topic >> incarnation) {
    incarnations_[topic] = incarnation;
  }
}

// One "<topic> <incarnation>" line per topic, written to a temporary file, fsynced and renamed
// over the old one: a crash leaves either version, never a torn file.
Result<void> ReplicaManager::save_incarnations_locked() {
  std::error_code ec;
  fs::create_directories(options_.log_dir, ec);
  const fs::path path = options_.log_dir / kIncarnationsFile;
  const fs::path tmp = options_.log_dir / (std::string(kIncarnationsFile) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& [topic, incarnation] : incarnations_) {
      out << topic << ' ' << incarnation << '\n';
    }
    out.flush();
    if (!out) {
      return std::make_error_code(std::errc::io_error);
    }
  }
  fsync_path(tmp, O_RDONLY);
  fs::rename(tmp, path, ec);
  if (ec) {
    return ec;
  }
  fsync_path(options_.log_dir, O_RDONLY | O_DIRECTORY);
  return {};
}

asio::awaitable<void> ReplicaManager::stop_all() {
  for (auto& [tp, partition] : all()) {
    co_await partition->stop();
  }
}

std::shared_ptr<replication::Partition> ReplicaManager::get(const TopicPartition& tp) const {
  std::lock_guard lock(mutex_);
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? nullptr : it->second;
}

std::vector<std::pair<TopicPartition, std::shared_ptr<replication::Partition>>>
ReplicaManager::all() const {
  std::lock_guard lock(mutex_);
  return {partitions_.begin(), partitions_.end()};
}

}  // namespace meridian::broker
