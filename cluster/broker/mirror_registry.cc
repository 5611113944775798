#include "cluster/broker/mirror_registry.h"

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace meridian::broker {

using protocol::ErrorCode;
using json = nlohmann::json;

namespace {

using EntryMap = std::map<std::string, MirrorEntry>;

std::string encode(const protocol::MirrorStateRecord& r) {
  json j = {{"version", 1},
            {"link", r.link_name},
            {"state", r.state},
            {"link_epoch", r.link_epoch},
            {"dc_epoch", r.dc_epoch},
            {"source_cluster", r.source_cluster},
            {"source_topic", r.source_topic},
            {"partition_offsets", r.partition_offsets}};
  return j.dump();
}

std::optional<protocol::MirrorStateRecord> decode(const std::string& data) {
  auto j = json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return std::nullopt;
  }
  protocol::MirrorStateRecord r;
  r.link_name = j.value("link", "");
  r.state = j.value("state", "");
  r.link_epoch = j.value("link_epoch", 0);
  r.dc_epoch = j.value("dc_epoch", 0);
  r.source_cluster = j.value("source_cluster", "");
  r.source_topic = j.value("source_topic", "");
  if (auto it = j.find("partition_offsets"); it != j.end() && it->is_array()) {
    for (const auto& v : *it) {
      r.partition_offsets.push_back(v.is_number_integer() ? v.get<int64_t>() : -1);
    }
  }
  return r;
}

std::string node_path(const std::string& topic) { return std::string(kMirrorsPath) + "/" + topic; }

// Registries by the ReplicaManager of their broker: the produce path has only that at hand.
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<const ReplicaManager*, MirrorRegistry*>& registries() {
  static std::map<const ReplicaManager*, MirrorRegistry*> r;
  return r;
}

}  // namespace

bool mirror_state_is_read_only(const std::string& state) {
  return state == "active" || state == "paused" || state == "fenced";
}

MirrorRegistry::MirrorRegistry(coord::CoordinationStore& store, std::chrono::milliseconds interval)
    : store_(store), interval_(interval), entries_(std::make_shared<const EntryMap>()) {}

MirrorRegistry::~MirrorRegistry() { stop(); }

void MirrorRegistry::start() {
  (void)coord::ensure_path(store_, kMirrorsPath);
  (void)refresh_now();
  thread_ = std::thread([this] { run(); });
}

void MirrorRegistry::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void MirrorRegistry::run() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, interval_, [this] { return stopping_; });
      if (stopping_) {
        return;
      }
    }
    if (auto r = refresh_now(); !r) {
      logger("broker")->debug("mirror state refresh failed: {}", r.error().message());
    }
  }
}

Result<void> MirrorRegistry::refresh_now() {
  auto names = store_.children(kMirrorsPath);
  if (!names) {
    if (names.error() == coord::errc::no_node) {
      entries_.store(std::make_shared<const EntryMap>());
      return {};
    }
    return names.error();
  }
  EntryMap next;
  for (const auto& name : *names) {
    auto node = store_.get(node_path(name));
    if (!node) {
      continue;  // deleted meanwhile
    }
    auto record = decode(node->data);
    if (!record) {
      logger("broker")->warn("mirror state of topic {} is not valid JSON; ignored", name);
      continue;
    }
    next[name] = MirrorEntry{std::move(*record), node->stat.version.value};
  }
  entries_.store(std::make_shared<const EntryMap>(std::move(next)));
  return {};
}

std::optional<MirrorEntry> MirrorRegistry::find(const std::string& topic) const {
  auto entries = entries_.load();
  auto it = entries->find(topic);
  if (it == entries->end()) {
    return std::nullopt;
  }
  return it->second;
}

bool MirrorRegistry::read_only(const std::string& topic) const {
  auto entry = find(topic);
  return entry && mirror_state_is_read_only(entry->record.state);
}

MirrorWriteResult MirrorRegistry::write(const std::string& topic,
                                        const protocol::MirrorStateRecord& record,
                                        int32_t expected_version) {
  std::lock_guard lock(write_mutex_);
  (void)coord::ensure_path(store_, kMirrorsPath);
  auto current = store_.get(node_path(topic));
  if (!current && current.error() != coord::errc::no_node) {
    return {ErrorCode::kCoordinatorNotAvailable, current.error().message(), -1};
  }
  if (current) {
    if (expected_version == -2) {
      return {ErrorCode::kInvalidRequest, "topic " + topic + " already has a mirror state", -1};
    }
    auto old = decode(current->data);
    if (old && (record.dc_epoch < old->dc_epoch ||
                (record.link_name == old->link_name && record.link_epoch < old->link_epoch))) {
      return {ErrorCode::kFencedLeaderEpoch,
              "fenced: topic " + topic + " is at link epoch " + std::to_string(old->link_epoch) +
                  " and DC epoch " + std::to_string(old->dc_epoch),
              current->stat.version.value};
    }
  }
  Result<int32_t> written = make_error_code(coord::errc::bad_version);
  if (current) {
    auto expected = expected_version >= 0 ? coord::NodeVersion(expected_version)
                                          : coord::kAnyVersion;
    auto set = store_.set(node_path(topic), encode(record), expected);
    written = set ? Result<int32_t>(set->version.value) : Result<int32_t>(set.error());
  } else if (expected_version >= 0) {
    return {ErrorCode::kInvalidRequest, "topic " + topic + " has no mirror state", -1};
  } else {
    auto created = store_.create(node_path(topic), encode(record), coord::CreateMode::kPersistent);
    written = created ? Result<int32_t>(0) : Result<int32_t>(created.error());
  }
  if (!written) {
    return {ErrorCode::kInvalidRequest, "mirror state write failed: " + written.error().message(),
            -1};
  }
  logger("broker")->info("mirror state of topic {}: link {} state {} link epoch {} DC epoch {}",
                         topic, record.link_name, record.state, record.link_epoch,
                         record.dc_epoch);
  (void)refresh_now();
  return {ErrorCode::kNone, "", *written};
}

void MirrorRegistry::register_for(const ReplicaManager& replicas) {
  std::lock_guard lock(registry_mutex());
  registries()[&replicas] = this;
}

void MirrorRegistry::unregister_for(const ReplicaManager& replicas) {
  std::lock_guard lock(registry_mutex());
  registries().erase(&replicas);
}

std::shared_ptr<const std::map<std::string, MirrorEntry>> MirrorRegistry::snapshot_for(
    const ReplicaManager& replicas) {
  std::lock_guard lock(registry_mutex());
  auto it = registries().find(&replicas);
  if (it == registries().end()) {
    return nullptr;
  }
  return it->second->entries_.load();
}

}  // namespace meridian::broker
