#pragma once
// The verdict of `meridian cluster health`, computed from one Metadata response plus the set
// of brokers that answered a connection attempt. Pure, so it is tested without a cluster.
//
// rpk semantics (CONVENTIONS.md §4): healthy = a controller is present, no broker is down and
// every partition has a leader. Under-replicated partitions are reported but do not make the
// cluster unhealthy (a follower catching up is normal operation).
// A broker is down when a partition names it as a replica (or offline replica) but it is not
// in the live broker list, or when it is listed but did not accept a connection.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "cluster/protocol/messages/metadata.h"

namespace meridian::cli {

struct HealthReport {
  bool healthy = false;
  int32_t controller = -1;
  std::vector<int32_t> all_nodes;
  std::vector<int32_t> nodes_down;
  std::vector<std::string> leaderless;        // "topic/partition"
  std::vector<std::string> under_replicated;  // "topic/partition"
  std::vector<std::string> reasons;           // why unhealthy: "no_controller", "nodes_down", ...
};

// `responding`: ids of the listed brokers that accepted a connection.
HealthReport evaluate_health(const protocol::MetadataResponse& metadata,
                             const std::set<int32_t>& responding);

// The rpk-style text block ("CLUSTER HEALTH OVERVIEW ...").
std::string render_health_text(const HealthReport& report);
std::string render_health_json(const HealthReport& report);

}  // namespace meridian::cli
