#pragma once
// Leader election rules (Kafka's PartitionLeaderElectionAlgorithms), pure functions of the
// assignment, the ISR and the live brokers, so they are tested without a store.
// Every rule picks in ASSIGNMENT order (the first replica is the preferred leader).

#include <optional>
#include <set>
#include <vector>

#include "common/ids.h"

namespace meridian::controller {

struct Election {
  BrokerId leader{-1};  // -1: offline
  std::vector<BrokerId> isr;
  bool unclean = false;  // the leader came from outside the ISR (possible data loss)
};

// A new partition: the first live replica leads; every live replica is in sync (all are empty).
// No live replica: offline, ISR = all replicas so the first to come back can lead.
Election elect_initial(const std::vector<BrokerId>& replicas, const std::set<BrokerId>& live);

// The leader is gone: the first live ISR member; ISR = its live members. With none: any live
// replica if `unclean_allowed` (ISR = {it}), else offline with the ISR kept as it was.
Election elect_offline(const std::vector<BrokerId>& replicas, const std::vector<BrokerId>& isr,
                       const std::set<BrokerId>& live, bool unclean_allowed);

// Controlled shutdown of `leaving` (and others already leaving): the first live ISR member that
// is not leaving; ISR without the leaving brokers. nullopt: nobody can take over.
std::optional<Election> elect_for_shutdown(const std::vector<BrokerId>& replicas,
                                           const std::vector<BrokerId>& isr,
                                           const std::set<BrokerId>& live,
                                           const std::set<BrokerId>& leaving);

// Preferred replica: replicas[0] if it is live, in the ISR, not leaving and not yet leader.
std::optional<Election> elect_preferred(const std::vector<BrokerId>& replicas,
                                        const std::vector<BrokerId>& isr, BrokerId leader,
                                        const std::set<BrokerId>& live,
                                        const std::set<BrokerId>& leaving);

}  // namespace meridian::controller
