#include "cluster/controller/leader_election.h"

#include <algorithm>

namespace meridian::controller {
namespace {

bool contains(const std::vector<BrokerId>& ids, BrokerId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<BrokerId> filter(const std::vector<BrokerId>& ids, const std::set<BrokerId>& keep) {
  std::vector<BrokerId> out;
  std::copy_if(ids.begin(), ids.end(), std::back_inserter(out),
               [&](BrokerId id) { return keep.contains(id); });
  return out;
}

}  // namespace

Election elect_initial(const std::vector<BrokerId>& replicas, const std::set<BrokerId>& live) {
  auto live_replicas = filter(replicas, live);
  if (live_replicas.empty()) {
    return {BrokerId(-1), replicas, false};
  }
  return {live_replicas.front(), live_replicas, false};
}

Election elect_offline(const std::vector<BrokerId>& replicas, const std::vector<BrokerId>& isr,
                       const std::set<BrokerId>& live, bool unclean_allowed) {
  for (BrokerId r : replicas) {
    if (live.contains(r) && contains(isr, r)) {
      return {r, filter(isr, live), false};
    }
  }
  if (unclean_allowed) {
    for (BrokerId r : replicas) {
      if (live.contains(r)) {
        return {r, {r}, true};
      }
    }
  }
  return {BrokerId(-1), isr, false};
}

std::optional<Election> elect_for_shutdown(const std::vector<BrokerId>& replicas,
                                           const std::vector<BrokerId>& isr,
                                           const std::set<BrokerId>& live,
                                           const std::set<BrokerId>& leaving) {
  std::vector<BrokerId> remaining;
  std::copy_if(isr.begin(), isr.end(), std::back_inserter(remaining),
               [&](BrokerId id) { return !leaving.contains(id); });
  for (BrokerId r : replicas) {
    if (live.contains(r) && !leaving.contains(r) && contains(remaining, r)) {
      return Election{r, remaining, false};
    }
  }
  return std::nullopt;
}

std::optional<Election> elect_preferred(const std::vector<BrokerId>& replicas,
                                        const std::vector<BrokerId>& isr, BrokerId leader,
                                        const std::set<BrokerId>& live,
                                        const std::set<BrokerId>& leaving) {
  if (replicas.empty()) {
    return std::nullopt;
  }
  BrokerId preferred = replicas.front();
  if (preferred == leader || !live.contains(preferred) || leaving.contains(preferred) ||
      !contains(isr, preferred)) {
    return std::nullopt;
  }
  return Election{preferred, isr, false};
}

}  // namespace meridian::controller
