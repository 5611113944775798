#include "cli/cluster_health.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace meridian::cli {
namespace {

template <class T>
std::string bracketed(const std::vector<T>& items) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out << (i ? " " : "") << items[i];
  }
  out << "]";
  return out.str();
}

}  // namespace

HealthReport evaluate_health(const protocol::MetadataResponse& metadata,
                             const std::set<int32_t>& responding) {
  HealthReport r;
  r.controller = metadata.controller_id;
  std::set<int32_t> live;
  std::set<int32_t> all;
  for (const auto& b : metadata.brokers) {
    all.insert(b.node_id);
    if (responding.contains(b.node_id)) {
      live.insert(b.node_id);
    }
  }
  std::set<int32_t> offline;
  for (const auto& t : metadata.topics) {
    for (const auto& p : t.partitions) {
      all.insert(p.replica_nodes.begin(), p.replica_nodes.end());
      offline.insert(p.offline_replicas.begin(), p.offline_replicas.end());
      const std::string name = t.name + "/" + std::to_string(p.partition_index);
      if (p.leader_id < 0) {
        r.leaderless.push_back(name);
      }
      if (p.isr_nodes.size() < p.replica_nodes.size()) {
        r.under_replicated.push_back(name);
      }
    }
  }
  all.insert(offline.begin(), offline.end());
  for (int32_t id : all) {
    r.all_nodes.push_back(id);
    if (!live.contains(id) || (offline.contains(id) && !responding.contains(id))) {
      r.nodes_down.push_back(id);
    }
  }
  if (r.controller < 0) {
    r.reasons.push_back("no_controller");
  }
  if (!r.nodes_down.empty()) {
    r.reasons.push_back("nodes_down");
  }
  if (!r.leaderless.empty()) {
    r.reasons.push_back("leaderless_partitions");
  }
  r.healthy = r.reasons.empty();
  return r;
}

std::string render_health_text(const HealthReport& r) {
  std::ostringstream out;
  out << "CLUSTER HEALTH OVERVIEW\n=======================\n";
  out << "Healthy:                          " << (r.healthy ? "true" : "false") << "\n";
  out << "Unhealthy reasons:                " << bracketed(r.reasons) << "\n";
  out << "Controller ID:                    " << r.controller << "\n";
  out << "All nodes:                        " << bracketed(r.all_nodes) << "\n";
  out << "Nodes down:                       " << bracketed(r.nodes_down) << "\n";
  std::string leaderless = "Leaderless partitions (" + std::to_string(r.leaderless.size()) + "):";
  std::string urp =
      "Under-replicated partitions (" + std::to_string(r.under_replicated.size()) + "):";
  leaderless.resize(std::max<size_t>(leaderless.size() + 1, 34), ' ');
  urp.resize(std::max<size_t>(urp.size() + 1, 34), ' ');
  out << leaderless << bracketed(r.leaderless) << "\n";
  out << urp << bracketed(r.under_replicated) << "\n";
  return out.str();
}

std::string render_health_json(const HealthReport& r) {
  nlohmann::json j{{"is_healthy", r.healthy},
                   {"unhealthy_reasons", r.reasons},
                   {"controller_id", r.controller},
                   {"all_nodes", r.all_nodes},
                   {"nodes_down", r.nodes_down},
                   {"leaderless_partitions", r.leaderless},
                   {"leaderless_count", r.leaderless.size()},
                   {"under_replicated_partitions", r.under_replicated},
                   {"under_replicated_count", r.under_replicated.size()}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace meridian::cli
