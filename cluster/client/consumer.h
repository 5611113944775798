#pragma once
// Consumer: reads manually assigned partitions (assign) or, after subscribe(), the partitions a
// consumer group gives it (consumer_group.cc: JoinGroup/SyncGroup through GroupMember, the
// leader runs the range or roundrobin assignor, heartbeats, rebalances, committed offsets,
// auto-commit, LeaveGroup on close). It keeps one
// position per partition (the next offset to return), fetches with ONE Fetch per leader broker
// for all its partitions (Client::fetch_partitions, the leaders concurrently), decodes the batches and skips records below the position (a fetch
// from the middle of a batch returns the whole batch, as in Kafka).
//
// Strand model: runs on the Client's executor; the Client must outlive the Consumer. Not for
// concurrent poll() calls.
// Errors: those of Client::fetch_partitions / list_offsets; corrupt_records for undecodable batches.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <compare>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cluster/client/client.h"
#include "cluster/record/record.h"

namespace meridian::client {

struct TopicPartition {
  std::string topic;
  PartitionId partition;
  auto operator<=>(const TopicPartition&) const = default;
};

enum class OffsetReset { kEarliest, kLatest };

struct ConsumerOptions {
  int32_t max_partition_bytes = 1024 * 1024;  // max.partition.fetch.bytes
  std::chrono::milliseconds fetch_max_wait{100};  // fetch.max.wait.ms of the long poll
  OffsetReset auto_offset_reset = OffsetReset::kEarliest;  // where a partition without a position starts
};

// Group mode (Kafka's group.id and friends).
struct ConsumerGroupOptions {
  std::string group_id;
  std::vector<std::string> assignors{"range"};  // partition.assignment.strategy, preferred first
  std::chrono::milliseconds session_timeout{10000};
  std::chrono::milliseconds rebalance_timeout{30000};  // max.poll.interval.ms
  std::chrono::milliseconds heartbeat_interval{3000};
  bool enable_auto_commit = true;
  std::chrono::milliseconds auto_commit_interval{5000};
  // How often the leader re-reads the subscribed topics' partition counts (metadata.max.age.ms).
  std::chrono::milliseconds metadata_max_age{5000};
};

class GroupClient;
class GroupMember;

struct ConsumerRecord {
  TopicPartition tp;
  record::Record record;  // offset, timestamp, key, value, headers
};

class Consumer {
 public:
  Consumer(Client& client, ConsumerOptions options);
  ~Consumer();  // stops heartbeats without LeaveGroup: call close() first to leave cleanly
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Group mode: joins `group.group_id` on the next poll() with this subscription; from then on
  // the assignment is the group's (assign() must not be used). Positions start at the group's
  // committed offsets, else at auto_offset_reset.
  void subscribe(std::vector<std::string> topics, ConsumerGroupOptions group);
  bool in_group() const noexcept { return member_ != nullptr; }
  // The generation of the current assignment (-1 before the first join or outside a group).
  int32_t generation() const noexcept { return generation_; }
  // Commits the current position of every assigned partition (what the records returned so far
  // imply). Errors: those of OffsetCommit (ILLEGAL_GENERATION after being fenced, ...).
  boost::asio::awaitable<Result<void>> commit();
  // Commits explicit offsets (the next offset to read per partition).
  boost::asio::awaitable<Result<void>> commit(std::map<TopicPartition, Offset> offsets);
  // Group mode: commits (when auto-commit is on) and sends LeaveGroup, so the group rebalances
  // at once instead of after a session timeout. Idempotent.
  boost::asio::awaitable<Result<void>> close();
  // Stops heartbeating and drops the coordinator connection without LeaveGroup or commit: what
  // a SIGKILLed consumer looks like to the coordinator (benchmarks and tests).
  void abandon();

  // Replaces the assignment; positions of partitions kept stay, new ones start unset.
  void assign(std::vector<TopicPartition> partitions);
  std::vector<TopicPartition> assignment() const;
  // The next offset poll() returns for `tp` (unset until resolved or sought).
  std::optional<Offset> position(const TopicPartition& tp) const;
  void seek(const TopicPartition& tp, Offset offset);
  // Seeks to the log start or the end (high watermark) as the leader reports it now.
  boost::asio::awaitable<Result<void>> seek_to(TopicPartition tp, OffsetReset where);

  // Returns the records available, waiting up to `timeout` for at least one. An empty vector
  // means none arrived in time.
  boost::asio::awaitable<Result<std::vector<ConsumerRecord>>> poll(
      std::chrono::milliseconds timeout);

 private:
  // One multi-partition Fetch to one leader (Client::fetch_partitions) and its answer.
  struct LeaderFetch {
    BrokerId broker{-1};
    std::vector<FetchPartition> partitions;
    Result<std::vector<PartitionFetchResult>> answer{std::vector<PartitionFetchResult>{}};
  };
  boost::asio::awaitable<std::vector<LeaderFetch>> plan_fetches(std::error_code& last_error);
  boost::asio::awaitable<void> send_fetches(std::vector<LeaderFetch>& fetches,
                                            std::chrono::milliseconds max_wait);
  boost::asio::awaitable<std::error_code> fetch_round(std::chrono::milliseconds max_wait,
                                                      std::vector<ConsumerRecord>& out);
  Result<size_t> take_records(const TopicPartition& tp, std::span<const uint8_t> records,
                              std::vector<ConsumerRecord>& out);

  // consumer_group.cc
  boost::asio::awaitable<Result<void>> rebalance_if_needed();
  boost::asio::awaitable<Result<void>> adopt_assignment();
  boost::asio::awaitable<void> check_partition_counts();
  boost::asio::awaitable<void> auto_commit_if_due(bool force);
  bool rejoin_pending() const noexcept;

  Client& client_;
  ConsumerOptions options_;
  ConsumerGroupOptions group_;
  std::shared_ptr<GroupClient> groups_;  // shared with member_'s heartbeat loop
  std::unique_ptr<GroupMember> member_;
  int32_t generation_ = -1;
  std::chrono::steady_clock::time_point last_commit_{};
  std::chrono::steady_clock::time_point last_metadata_check_{};
  std::map<TopicPartition, Offset> committed_;  // last committed here, to skip idle re-commits
  std::vector<TopicPartition> assignment_;
  std::map<TopicPartition, Offset> positions_;
  size_t next_ = 0;  // round-robin start, so one busy partition does not starve the others
};

}  // namespace meridian::client
