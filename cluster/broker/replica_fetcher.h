#pragma once
// ReplicaFetcherManager: the follower side of replication (Kafka's ReplicaFetcherThread, as
// coroutines). One fetcher per leader broker pulls every partition this broker follows from
// that leader with Fetch(replica_id = self): the fetch offset is the follower's LEO, which is
// how the leader learns it. A partition that became follower at a new leader epoch is first
// truncated by OffsetsForLeaderEpoch (KIP-101/279), never by HW alone.
//
// Threading: add()/remove() from any thread; fetchers run on the broker's io_context.

#include <boost/asio/io_context.hpp>

#include <map>
#include <memory>
#include <mutex>

#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/replica_manager.h"
#include "common/ids.h"

namespace meridian::broker {

struct FetcherOptions {
  std::chrono::milliseconds max_wait{500};
  int32_t partition_max_bytes = 1024 * 1024;
  int32_t max_bytes = 16 * 1024 * 1024;
  std::chrono::milliseconds backoff{100};
};

class ReplicaFetcherManager {
 public:
  ReplicaFetcherManager(boost::asio::io_context& io, BrokerId self, ReplicaManager& replicas,
                        MetadataCache& metadata, FetcherOptions options = {});
  ~ReplicaFetcherManager();

  // The partition follows `leader` at `epoch` from now on (re-adding at a new epoch truncates).
  void add(const TopicPartition& tp, BrokerId leader, LeaderEpoch epoch);
  void remove(const TopicPartition& tp);
  // Stops every fetcher; they end at their next step.
  void stop();

  // One leader's fetch loop state (replica_fetcher.cc); public only for its free functions.
  struct Fetcher;

 private:
  boost::asio::io_context& io_;
  BrokerId self_;
  ReplicaManager& replicas_;
  MetadataCache& metadata_;
  FetcherOptions options_;
  std::mutex mutex_;
  std::map<int32_t, std::shared_ptr<Fetcher>> fetchers_;  // by leader id
  bool stopped_ = false;
};

}  // namespace meridian::broker
