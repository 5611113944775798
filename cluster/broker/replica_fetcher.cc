#include "cluster/broker/replica_fetcher.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>

#include "cluster/broker/detail/rpc.h"
#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using asio::ip::tcp;
using protocol::ErrorCode;

namespace {
constexpr int16_t kFetchVersion = 11;
constexpr int16_t kEpochVersion = 3;
constexpr auto kRequestTimeout = std::chrono::milliseconds(10000);
}  // namespace

struct ReplicaFetcherManager::Fetcher {
  struct Entry {
    LeaderEpoch epoch;
    bool needs_truncation = true;
  };
  BrokerId leader;
  std::mutex mutex;
  std::map<TopicPartition, Entry> partitions;
  std::atomic<bool> stopped{false};
  int32_t next_correlation = 1;
};

ReplicaFetcherManager::ReplicaFetcherManager(asio::io_context& io, BrokerId self,
                                             ReplicaManager& replicas, MetadataCache& metadata,
                                             FetcherOptions options)
    : io_(io), self_(self), replicas_(replicas), metadata_(metadata), options_(options) {}

ReplicaFetcherManager::~ReplicaFetcherManager() { stop(); }

namespace {

template <class T>
std::vector<uint8_t> frame_of(const T& request, int16_t version, int32_t correlation, BrokerId self) {
  protocol::RequestHeader header;
  header.api_version = version;
  header.correlation_id = correlation;
  header.client_id = "replica-fetcher-" + std::to_string(self.value);
  auto frame = protocol::encode_request_frame(header, request);
  return frame ? std::move(*frame) : std::vector<uint8_t>{};
}

}  // namespace

// The fetch loop of one leader: connect, truncate what needs it, fetch, append; repeat.
static asio::awaitable<void> run_fetcher(std::shared_ptr<ReplicaFetcherManager::Fetcher> f,
                                         BrokerId self, ReplicaManager& replicas,
                                         MetadataCache& metadata, FetcherOptions options);

void ReplicaFetcherManager::add(const TopicPartition& tp, BrokerId leader, LeaderEpoch epoch) {
  std::lock_guard lock(mutex_);
  if (stopped_) {
    return;
  }
  // A partition follows one leader at a time.
  for (auto& [id, fetcher] : fetchers_) {
    if (id != leader.value) {
      std::lock_guard flock(fetcher->mutex);
      fetcher->partitions.erase(tp);
    }
  }
  auto& fetcher = fetchers_[leader.value];
  if (!fetcher || fetcher->stopped) {
    fetcher = std::make_shared<Fetcher>();
    fetcher->leader = leader;
    asio::co_spawn(io_, run_fetcher(fetcher, self_, replicas_, metadata_, options_), asio::detached);
  }
  std::lock_guard flock(fetcher->mutex);
  auto& entry = fetcher->partitions[tp];
  if (entry.epoch != epoch || entry.needs_truncation) {
    entry = Fetcher::Entry{epoch, true};
  }
}

void ReplicaFetcherManager::remove(const TopicPartition& tp) {
  std::lock_guard lock(mutex_);
  for (auto& [id, fetcher] : fetchers_) {
    std::lock_guard flock(fetcher->mutex);
    fetcher->partitions.erase(tp);
  }
}

void ReplicaFetcherManager::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  for (auto& [id, fetcher] : fetchers_) {
    fetcher->stopped = true;
  }
}

namespace {

// KIP-101/279: ask the leader where our latest epoch ends, cut our log there.
asio::awaitable<bool> truncate_by_epoch(tcp::socket& socket, ReplicaFetcherManager::Fetcher& f,
                                        const TopicPartition& tp, LeaderEpoch epoch,
                                        replication::Partition& partition, BrokerId self) {
  std::optional<LeaderEpoch> local = co_await partition.latest_local_epoch();
  if (!local) {
    co_return true;  // empty log: nothing to truncate
  }
  protocol::OffsetForLeaderEpochRequest request;
  request.replica_id = self.value;
  request.topics.push_back({tp.topic, {{tp.partition.value, epoch.value, local->value}}});
  int32_t correlation = f.next_correlation++;
  auto payload = co_await detail::round_trip(socket, frame_of(request, kEpochVersion, correlation, self),
                                             correlation, kRequestTimeout);
  if (!payload) {
    co_return false;
  }
  auto response = protocol::decode<protocol::OffsetForLeaderEpochResponse>(*payload, kEpochVersion);
  if (!response || response->topics.empty() || response->topics[0].partitions.empty()) {
    co_return false;
  }
  const auto& answer = response->topics[0].partitions[0];
  if (answer.error_code != ErrorCode::kNone || answer.end_offset < 0) {
    co_return false;
  }
  Offset end(answer.end_offset);
  if (answer.leader_epoch < local->value) {
    // The leader never saw our latest epoch: also cut at our own end of the epoch it did see.
    log::EpochEndOffset ours = co_await partition.local_end_offset_for_epoch(LeaderEpoch(answer.leader_epoch));
    if (ours.end_offset.value >= 0) {
      end = std::min(end, ours.end_offset);
    }
  }
  auto leo = partition.snapshot().log_end_offset;
  if (end < leo) {
    logger("replication")->info("[tp={}-{} epoch={}] truncating from {} to {} (leader epoch {} ends at {})",
                                tp.topic, tp.partition.value, epoch.value, leo.value, end.value,
                                answer.leader_epoch, answer.end_offset);
    Result<void> cut = co_await partition.truncate_to(end);
    co_return static_cast<bool>(cut);
  }
  co_return true;
}

}  // namespace

static asio::awaitable<void> run_fetcher(std::shared_ptr<ReplicaFetcherManager::Fetcher> f,
                                         BrokerId self, ReplicaManager& replicas,
                                         MetadataCache& metadata, FetcherOptions options) {
  auto executor = co_await asio::this_coro::executor;
  std::optional<tcp::socket> socket;
  std::vector<uint8_t> fetch_buffer;  // reused by every fetch (detail::round_trip_into)
  auto backoff = [&]() -> asio::awaitable<void> {
    socket.reset();
    asio::steady_timer t(executor, options.backoff);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  };
  while (!f->stopped) {
    std::map<TopicPartition, ReplicaFetcherManager::Fetcher::Entry> work;
    {
      std::lock_guard lock(f->mutex);
      work = f->partitions;
    }
    if (work.empty()) {
      co_await backoff();
      continue;
    }
    if (!socket) {
      auto snapshot = metadata.get();
      const BrokerInfo* leader = snapshot->broker(f->leader);
      if (leader == nullptr) {
        co_await backoff();
        continue;
      }
      auto connected = co_await detail::connect_to(leader->host, leader->port, kRequestTimeout);
      if (!connected) {
        co_await backoff();
        continue;
      }
      socket.emplace(std::move(*connected));
    }
    bool healthy = true;
    protocol::FetchRequest request;
    request.replica_id = self.value;
    request.max_wait_ms = static_cast<int32_t>(options.max_wait.count());
    request.min_bytes = 1;
    request.max_bytes = options.max_bytes;
    std::map<std::string, size_t> topic_index;
    std::map<TopicPartition, std::shared_ptr<replication::Partition>> partitions;
    for (auto& [tp, entry] : work) {
      auto partition = replicas.get(tp);
      if (!partition) {
        continue;
      }
      if (entry.needs_truncation) {
        bool truncated = co_await truncate_by_epoch(*socket, *f, tp, entry.epoch, *partition, self);
        if (!truncated) {
          healthy = false;
          break;
        }
        std::lock_guard lock(f->mutex);
        if (auto it = f->partitions.find(tp); it != f->partitions.end() && it->second.epoch == entry.epoch) {
          it->second.needs_truncation = false;
        }
      }
      auto [it, inserted] = topic_index.emplace(tp.topic, request.topics.size());
      if (inserted) {
        request.topics.push_back({tp.topic, {}});
      }
      protocol::FetchRequest::Partition p;
      p.partition = tp.partition.value;
      p.current_leader_epoch = entry.epoch.value;
      p.fetch_offset = partition->snapshot().log_end_offset.value;
      p.partition_max_bytes = options.partition_max_bytes;
      request.topics[it->second].partitions.push_back(p);
      partitions[tp] = partition;
    }
    if (!healthy) {
      co_await backoff();
      continue;
    }
    if (request.topics.empty()) {
      co_await backoff();
      continue;
    }
    int32_t correlation = f->next_correlation++;
    std::vector<uint8_t> frame = frame_of(request, kFetchVersion, correlation, self);
    auto length = co_await detail::round_trip_into(
        *socket, frame, correlation, kRequestTimeout + options.max_wait, fetch_buffer);
    if (!length) {
      co_await backoff();
      continue;
    }
    // The views below point into fetch_buffer: every use is awaited before the next fetch.
    auto response = protocol::decode<protocol::FetchResponseView>(
        std::span<const uint8_t>(fetch_buffer.data(), *length), kFetchVersion);
    if (!response) {
      co_await backoff();
      continue;
    }
    bool any_error = false;
    for (const auto& topic : response->responses) {
      for (const auto& p : topic.partitions) {
        TopicPartition tp{topic.topic, PartitionId(p.partition_index)};
        auto found = partitions.find(tp);
        if (found == partitions.end()) {
          continue;
        }
        auto entry = work[tp];
        if (p.error_code == ErrorCode::kNone) {
          std::span<const uint8_t> records = p.records ? *p.records : std::span<const uint8_t>{};
          Offset hw(p.high_watermark);
          auto appended = co_await found->second->append_as_follower(records, hw, entry.epoch);
          if (!appended) {
            any_error = true;
          }
        } else if (p.error_code == ErrorCode::kOffsetOutOfRange) {
          // Our LEO is beyond the leader's end (we need truncation) or below its log start.
          auto leo = found->second->snapshot().log_end_offset;
          if (p.log_start_offset > leo.value) {
            Offset start(p.log_start_offset);
            (void)co_await found->second->reset_to(start);
          } else {
            std::lock_guard lock(f->mutex);
            if (auto it = f->partitions.find(tp); it != f->partitions.end()) {
              it->second.needs_truncation = true;
            }
          }
        } else {
          any_error = true;  // NOT_LEADER, FENCED/UNKNOWN_LEADER_EPOCH: the controller will tell us
        }
      }
    }
    if (any_error) {
      co_await backoff();
    }
  }
}

}  // namespace meridian::broker
