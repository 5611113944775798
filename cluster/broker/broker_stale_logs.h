#pragma once
// The broker's startup check of its log dir against the coordination store (Kafka's LogManager
// plus the controller's deletion of replicas that were offline during a topic delete). The
// controller does not wait for dead brokers' StopReplica: this is how their logs go.

#include "cluster/coord/coordination_store.h"
#include "common/ids.h"

namespace meridian::broker {

class ReplicaManager;

// Drops a partition directory when its topic is gone or queued for deletion, when this broker
// no longer hosts the partition, or when it belongs to an older topic of the same name (the
// incarnation recorded by ReplicaManager differs from the creation id of /brokers/topics/<t>).
// Store errors keep the directory (never delete on a guess). BLOCKING; call before serving.
// Returns how many partition logs were removed.
size_t remove_stale_logs(coord::CoordinationStore& store, ReplicaManager& replicas, BrokerId self);

}  // namespace meridian::broker
