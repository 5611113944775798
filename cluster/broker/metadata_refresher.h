#pragma once
// MetadataRefresher: rebuilds the broker's MetadataCache from the coordination store
// (/brokers/ids, /brokers/topics/<t>, partition states, /controller) on its own thread, every
// `interval` and at once after trigger(). Polling keeps the watch bookkeeping simple; clients
// that meet a stale leader get NOT_LEADER_OR_FOLLOWER and ask again.
// TODO(lead): replace polling by one-shot watches re-armed per path.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/broker/metadata_cache.h"
#include "cluster/coord/coordination_store.h"

namespace meridian::broker {

class MetadataRefresher {
 public:
  // `store` and `cache` must outlive the refresher.
  MetadataRefresher(coord::CoordinationStore& store, MetadataCache& cache, std::string cluster_id,
                    std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~MetadataRefresher();

  void start();
  void trigger();
  void stop();
  // One synchronous refresh (blocking store calls). Errors from the store.
  Result<void> refresh_now();

 private:
  void run();

  coord::CoordinationStore& store_;
  MetadataCache& cache_;
  std::string cluster_id_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool triggered_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace meridian::broker
