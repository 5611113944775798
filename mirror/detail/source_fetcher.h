#pragma once
// SourceFetcher: the copy loops' fetches from one source cluster, combined into ONE
// multi-partition Fetch per source broker (client::Client::fetch_partitions), the shape of
// Kafka's replica fetcher and of MirrorMaker/Cluster Linking. Each partition's copy loop still
// asks for its own offset and gets its own result; the fetcher only batches them.
//
// Why: one request per partition moved one partition's bytes per round trip, and the
// per-partition requests of one broker queued behind each other on the shared connection
// (answers come back in order). One request per broker carries every partition's bytes per
// round trip and may long-poll at the source (the broker answers as soon as any partition has
// data), so caught-up partitions cost nothing while busy ones flow.
//
// At most one request per broker is in flight: a second one would wait behind the first's
// answer anyway. The copy loop asks for its next offset as soon as it has a result (before its
// MirrorAppend), so a round's partitions come back within a few executor hops; the request
// leaves once they all did (or the queue stops growing), not after a timer.
//
// Strand model: the link's single-threaded executor only. The fetcher and its Client must
// outlive every fetch() awaitable (both live in LinkState, which each copy loop holds).

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cluster/client/client.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::mirror::detail {

struct SourceFetcherOptions {
  int32_t request_max_bytes = 64 * 1024 * 1024;  // the whole answer of one broker
  std::chrono::milliseconds max_wait{100};       // long poll at the source when all are idle
};

class SourceFetcher {
 public:
  // `source` must outlive the fetcher.
  SourceFetcher(client::Client& source, SourceFetcherOptions options);
  SourceFetcher(const SourceFetcher&) = delete;
  SourceFetcher& operator=(const SourceFetcher&) = delete;

  // Up to `max_bytes` of `topic`-`partition` from `offset`, sent in the next request to the
  // partition's leader (cached metadata, refreshed once if unknown). Errors: the partition's own
  // (kafka_error(NOT_LEADER_OR_FOLLOWER), kafka_error(OFFSET_OUT_OF_RANGE), ...) or the
  // request's (disconnected, request_timeout); after a retriable one the topic's metadata has
  // been refreshed, so the caller's next attempt goes to the new leader.
  boost::asio::awaitable<Result<client::FetchResult>> fetch(std::string topic,
                                                             PartitionId partition, Offset offset,
                                                             int32_t max_bytes);

  // Multi-partition requests sent and partition fetches they carried (tests, debug log).
  int64_t requests() const noexcept { return requests_; }
  int64_t partitions_fetched() const noexcept { return partitions_fetched_; }

 private:
  struct Waiter;
  boost::asio::awaitable<void> send(BrokerId broker);
  boost::asio::awaitable<void> gather(BrokerId broker);
  boost::asio::awaitable<void> refresh(const std::string& topic);
  size_t pending_for(BrokerId broker) const;
  void log_stats();

  client::Client& source_;
  SourceFetcherOptions options_;
  std::vector<std::shared_ptr<Waiter>> pending_;  // asked, not yet in a request
  std::set<BrokerId> busy_;                       // brokers with a request in flight
  std::map<BrokerId, size_t> last_batch_;         // partitions in a broker's last request
  std::map<BrokerId, size_t> rotation_;           // first partition of the next request
  std::set<std::string> refreshing_;              // topics whose metadata is being refreshed
  int64_t requests_ = 0;
  int64_t partitions_fetched_ = 0;
  // Debug statistics since the last log line.
  std::chrono::steady_clock::time_point stats_since_ = std::chrono::steady_clock::now();
  int64_t stats_requests_ = 0;
  int64_t stats_partitions_ = 0;
  int64_t stats_bytes_ = 0;
};

}  // namespace meridian::mirror::detail
