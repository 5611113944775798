#include "cluster/controller/topic_admin.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <random>
#include <set>

namespace meridian::controller {
namespace {

constexpr size_t kMaxTopicNameLength = 249;

// AdminUtils.replicaIndex: the j-th follower of a partition sits `shift` brokers after the
// first replica; the shift never wraps onto the first replica itself.
size_t replica_index(size_t first, size_t shift, size_t j, size_t n) {
  size_t step = 1 + (shift + j) % (n - 1);
  return (first + step) % n;
}

// AdminUtils.getRackAlternatedBrokerList: racks sorted, brokers sorted within a rack, then one
// broker from each rack in turn: racks a:{1,2}, b:{3}, c:{4,5} -> 1,3,4,2,5.
std::vector<BrokerRack> rack_alternated(const std::vector<BrokerRack>& brokers) {
  std::map<std::string, std::vector<BrokerRack>> by_rack;
  for (const auto& b : brokers) {
    by_rack[*b.rack].push_back(b);
  }
  std::vector<BrokerRack> out;
  for (size_t round = 0; out.size() < brokers.size(); ++round) {
    for (auto& [rack, members] : by_rack) {
      if (round < members.size()) {
        out.push_back(members[round]);
      }
    }
  }
  return out;
}

ReplicaAssignment assign(const std::vector<BrokerRack>& list, int32_t partitions, int16_t rf,
                         size_t start_index, size_t shift, int32_t start_partition,
                         bool rack_aware) {
  const size_t n = list.size();
  const size_t num_racks = [&] {
    std::set<std::string> racks;
    for (const auto& b : list) {
      racks.insert(b.rack.value_or(""));
    }
    return racks.size();
  }();
  ReplicaAssignment out;
  auto current = static_cast<size_t>(std::max(0, start_partition));
  for (int32_t i = 0; i < partitions; ++i, ++current) {
    if (current > 0 && current % n == 0) {
      ++shift;
    }
    const size_t first = (current + start_index) % n;
    std::vector<BrokerId> replicas{list[first].id};
    std::set<std::string> racks_used{list[first].rack.value_or("")};
    std::set<BrokerId> brokers_used{list[first].id};
    for (size_t k = 0; replicas.size() < static_cast<size_t>(rf); ++k) {
      size_t j = rack_aware ? k : replicas.size() - 1;
      const auto& b = list[replica_index(first, rack_aware ? shift * num_racks : shift, j, n)];
      if (!rack_aware) {
        replicas.push_back(b.id);
        continue;
      }
      // Skip a broker whose rack already has a replica while some rack has none, and a broker
      // that already has one while some broker has none (both bounded: the walk covers all).
      const std::string rack = b.rack.value_or("");
      if ((!racks_used.contains(rack) || racks_used.size() == num_racks) &&
          (!brokers_used.contains(b.id) || brokers_used.size() == n)) {
        replicas.push_back(b.id);
        racks_used.insert(rack);
        brokers_used.insert(b.id);
      }
    }
    out.push_back(std::move(replicas));
  }
  return out;
}

std::string collision_key(const std::string& name) {
  std::string out = name;
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

Result<void> check_new_topic(coord::CoordinationStore& store, const std::string& name) {
  auto existing = store.children(kTopicsPath);
  if (!existing && existing.error() != coord::errc::no_node) {
    return existing.error();
  }
  if (existing) {
    for (const auto& t : *existing) {
      if (t == name) {
        return make_error_code(errc::topic_already_exists);
      }
      // Kafka refuses names that differ only by '.' vs '_': their metric names collide.
      if (collision_key(t) == collision_key(name)) {
        return make_error_code(errc::invalid_topic);
      }
    }
  }
  auto marked = store.exists(delete_topic_path(name));
  if (!marked) {
    return marked.error();
  }
  if (marked->has_value()) {
    return make_error_code(errc::topic_already_exists);  // still being deleted
  }
  return {};
}

}  // namespace

bool is_valid_topic_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxTopicNameLength || name == "." || name == "..") {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

Result<ReplicaAssignment> assign_replicas(std::vector<BrokerRack> brokers, int32_t partitions,
                                          int16_t replication_factor, std::optional<uint64_t> seed,
                                          int32_t fixed_start_index, int32_t start_partition) {
  if (partitions <= 0) {
    return make_error_code(errc::invalid_partitions);
  }
  if (replication_factor <= 0 || static_cast<size_t>(replication_factor) > brokers.size()) {
    return make_error_code(errc::invalid_replication_factor);
  }
  std::sort(brokers.begin(), brokers.end(),
            [](const BrokerRack& a, const BrokerRack& b) { return a.id < b.id; });
  auto with_rack = std::count_if(brokers.begin(), brokers.end(),
                                 [](const BrokerRack& b) { return b.rack.has_value(); });
  const bool rack_aware = with_rack == static_cast<long>(brokers.size());
  if (with_rack != 0 && !rack_aware) {
    return make_error_code(
        errc::invalid_replica_assignment);  // Kafka: "Not all brokers have rack information"
  }
  auto list = rack_aware ? rack_alternated(brokers) : brokers;
  std::mt19937_64 rng(seed ? *seed : std::random_device{}());
  std::uniform_int_distribution<size_t> pick(0, list.size() - 1);
  size_t start = fixed_start_index >= 0 ? static_cast<size_t>(fixed_start_index) : pick(rng);
  size_t shift = fixed_start_index >= 0 ? static_cast<size_t>(fixed_start_index) : pick(rng);
  if (list.size() == 1) {
    shift = 0;  // replica_index divides by n - 1; with one broker rf is 1 and it is unused
  }
  return assign(list, partitions, replication_factor, start, shift, start_partition, rack_aware);
}

Result<std::vector<BrokerRegistration>> read_live_brokers(coord::CoordinationStore& store) {
  auto ids = store.children(kBrokerIdsPath);
  if (!ids) {
    if (ids.error() == coord::errc::no_node) {
      return std::vector<BrokerRegistration>{};
    }
    return ids.error();
  }
  std::vector<BrokerRegistration> out;
  for (const auto& name : *ids) {
    auto node = store.get(std::string(kBrokerIdsPath) + "/" + name);
    if (!node) {
      continue;  // went away between children() and get()
    }
    int32_t id = -1;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc() || ptr != name.data() + name.size()) {
      continue;  // not a broker id: not ours to interpret
    }
    auto broker = decode_broker(BrokerId(id), node->data);
    if (broker) {
      out.push_back(std::move(*broker));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::vector<BrokerRack> racks_of(const std::vector<BrokerRegistration>& brokers) {
  std::vector<BrokerRack> out;
  for (const auto& b : brokers) {
    out.push_back({b.id, b.rack});
  }
  return out;
}

Result<ReplicaAssignment> create_topic(coord::CoordinationStore& store, const std::string& name,
                                       int32_t partitions, int16_t replication_factor,
                                       const TopicConfig& configs,
                                       const std::vector<BrokerRack>& live_brokers,
                                       const CreateTopicOptions& options) {
  if (!is_valid_topic_name(name)) {
    return make_error_code(errc::invalid_topic);
  }
  // Existence first, as Kafka does: re-creating a topic while a broker is down must answer
  // TOPIC_ALREADY_EXISTS, not INVALID_REPLICATION_FACTOR.
  if (auto ok = check_new_topic(store, name); !ok) {
    return ok.error();
  }
  auto assignment = assign_replicas(live_brokers, partitions, replication_factor, options.seed);
  if (!assignment) {
    return assignment.error();
  }
  if (options.validate_only) {
    return assignment;
  }
  for (const char* parent : {kTopicsPath, kTopicConfigsPath}) {
    if (auto ok = coord::ensure_path(store, parent); !ok) {
      return ok.error();
    }
  }
  // A config node left over from an old topic of the same name is overwritten, like Kafka.
  auto config_exists = store.exists(topic_config_path(name));
  if (!config_exists) {
    return config_exists.error();
  }
  std::vector<coord::Op> ops;
  ops.push_back(config_exists->has_value()
                    ? coord::Op::set(topic_config_path(name), encode_topic_config(configs))
                    : coord::Op::create(topic_config_path(name), encode_topic_config(configs),
                                        coord::CreateMode::kPersistent));
  ops.push_back(coord::Op::create(topic_path(name), encode_assignment(*assignment),
                                  coord::CreateMode::kPersistent));
  if (auto done = store.multi(ops); !done) {
    if (done.error() == coord::errc::node_exists) {
      return make_error_code(errc::topic_already_exists);
    }
    return done.error();
  }
  return assignment;
}

Result<void> delete_topic(coord::CoordinationStore& store, const std::string& name) {
  if (!is_valid_topic_name(name)) {
    return make_error_code(errc::invalid_topic);
  }
  auto topic = store.exists(topic_path(name));
  if (!topic) {
    return topic.error();
  }
  if (!topic->has_value()) {
    return make_error_code(errc::unknown_topic);
  }
  if (auto ok = coord::ensure_path(store, kDeleteTopicsPath); !ok) {
    return ok.error();
  }
  auto created = store.create(delete_topic_path(name), "", coord::CreateMode::kPersistent);
  if (!created && created.error() != coord::errc::node_exists) {
    return created.error();
  }
  return {};
}

Result<BrokerId> read_controller_id(coord::CoordinationStore& store) {
  auto node = store.get(kControllerPath);
  if (!node) {
    return node.error() == coord::errc::no_node ? make_error_code(errc::not_controller)
                                                : node.error();
  }
  auto controller = decode_controller(node->data);
  if (!controller) {
    return controller.error();
  }
  return controller->broker_id;
}

Result<ReplicaAssignment> read_assignment(coord::CoordinationStore& store,
                                          const std::string& name) {
  auto node = store.get(topic_path(name));
  if (!node) {
    if (node.error() == coord::errc::no_node) {
      return make_error_code(errc::unknown_topic);
    }
    return node.error();
  }
  return decode_assignment(node->data);
}

Result<ReplicaAssignment> create_partitions(coord::CoordinationStore& store,
                                            const std::string& name, int32_t total_partitions,
                                            const std::vector<BrokerRack>& live_brokers,
                                            std::optional<uint64_t> seed, bool validate_only,
                                            int32_t* current_count) {
  if (!is_valid_topic_name(name)) {
    return make_error_code(errc::invalid_topic);
  }
  auto marked = store.exists(delete_topic_path(name));
  if (!marked) {
    return marked.error();
  }
  if (marked->has_value()) {
    return make_error_code(errc::invalid_topic);  // Kafka: "The topic is queued for deletion"
  }
  auto node = store.get(topic_path(name));
  if (!node) {
    return node.error() == coord::errc::no_node ? make_error_code(errc::unknown_topic)
                                                : node.error();
  }
  auto current = decode_assignment(node->data);
  if (!current) {
    return current.error();
  }
  const auto existing = static_cast<int32_t>(current->size());
  if (current_count != nullptr) {
    *current_count = existing;
  }
  if (existing == 0 || total_partitions <= existing) {
    return make_error_code(errc::invalid_partitions);
  }
  // AdminZkClient.addPartitions: start where partition 0's first replica sits in the sorted
  // broker list, and keep partition 0's replication factor.
  auto sorted = live_brokers;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  BrokerId first = current->front().empty() ? BrokerId(0) : current->front().front();
  auto it =
      std::find_if(sorted.begin(), sorted.end(), [&](const auto& b) { return b.id >= first; });
  auto start = static_cast<int32_t>(it == sorted.end() ? 0 : it - sorted.begin());
  auto rf = static_cast<int16_t>(current->front().size());
  auto added = assign_replicas(sorted, total_partitions - existing, rf, seed, start, existing);
  if (!added) {
    return added.error();
  }
  current->insert(current->end(), added->begin(), added->end());
  if (validate_only) {
    return current;
  }
  auto written = store.set(topic_path(name), encode_assignment(*current), node->stat.version);
  if (!written) {
    return written.error();
  }
  return current;
}

}  // namespace meridian::controller
