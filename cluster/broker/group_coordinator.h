#pragma once
// GroupCoordinator: Kafka's group coordinator inside the broker (issue 5). A group belongs to
// partition abs(String.hashCode(group)) % N of __consumer_offsets; the leader of that partition
// coordinates it. Commits and group metadata are appended to that partition as leader with
// acks=all, so they replicate like any topic; when this broker becomes leader of an offsets
// partition it loads the partition (COORDINATOR_LOAD_IN_PROGRESS meanwhile), and when it stops
// being leader it drops those groups (NOT_COORDINATOR afterwards).
//
// Strand model: all state (groups, offsets, owned partitions, the deadline timer) lives on one
// strand of the broker's io_context. Public methods may be called from any thread; each hops
// onto the strand. Requests that wait (JoinGroup, SyncGroup) park a callback in the group's
// GroupMembership and suspend on a timer; no io thread ever blocks. Log appends and reads
// await the partition's own strand; file copies during a load run on the blocking pool.
//
// Lifetime: `replicas`, `metadata` and `admin` must outlive the coordinator; call stop() while
// the io_context still runs.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "cluster/broker/group_membership.h"
#include "cluster/broker/group_records.h"
#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/replica_manager.h"
#include "cluster/protocol/messages.h"

namespace meridian::broker {

class TopicAdmin;

struct GroupCoordinatorOptions {
  BrokerId self{0};
  int32_t offsets_topic_partitions = 50;           // offsets.topic.num.partitions
  int16_t offsets_topic_replication_factor = 3;    // offsets.topic.replication.factor (capped)
  std::chrono::milliseconds commit_timeout{5000};  // offsets.commit.timeout.ms
  int32_t max_metadata_bytes = 4096;               // offset.metadata.max.bytes
  // How long a load waits for the new leader's high watermark to reach its log end, so commits
  // acknowledged by the previous leader are seen; after that it loads up to the HW.
  std::chrono::milliseconds load_hw_wait{5000};
  GroupConfig group;
};

struct LeaveOutcome {
  protocol::ErrorCode error = protocol::ErrorCode::kNone;  // group-level
  std::vector<protocol::ErrorCode> members;                // one per member asked
};

class GroupCoordinator {
 public:
  // `blocking` runs file copies during loads; `admin` (optional) creates __consumer_offsets.
  GroupCoordinator(boost::asio::any_io_executor io, boost::asio::any_io_executor blocking,
                   GroupCoordinatorOptions options, ReplicaManager& replicas,
                   MetadataCache& metadata, TopicAdmin* admin);
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  void start();
  // Answers parked requests with NOT_COORDINATOR and ends the deadline timer.
  boost::asio::awaitable<void> stop();

  // ReplicaManager state listener: loads or unloads offsets partitions. Any thread; never blocks.
  void on_partition_state(const TopicPartition& tp,
                          const std::optional<replication::PartitionState>& state);

  boost::asio::awaitable<protocol::FindCoordinatorResponse> find_coordinator(std::string key,
                                                                             int8_t key_type);
  boost::asio::awaitable<JoinResult> join(std::string group, JoinParams params);
  boost::asio::awaitable<SyncResult> sync(std::string group, SyncParams params);
  boost::asio::awaitable<protocol::ErrorCode> heartbeat(std::string group, std::string member_id,
                                                        int32_t generation);
  boost::asio::awaitable<LeaveOutcome> leave(std::string group, std::vector<std::string> members);
  boost::asio::awaitable<protocol::OffsetCommitResponse> commit(protocol::OffsetCommitRequest req);
  // `all_errors_per_partition`: OffsetFetch v0-1 carry no group-level error code.
  boost::asio::awaitable<protocol::OffsetFetchResponse> fetch_offsets(
      protocol::OffsetFetchRequest req, bool group_level_error);
  boost::asio::awaitable<protocol::ListGroupsResponse> list_groups();
  boost::asio::awaitable<protocol::DescribeGroupsResponse> describe_groups(
      std::vector<std::string> groups);
  boost::asio::awaitable<protocol::DeleteGroupsResponse> delete_groups(
      std::vector<std::string> groups);

  // For metrics (broker_metrics.h): the groups of the loaded offsets partitions this broker
  // leads — so each group is reported by its coordinator only — copied on the strand.
  struct GroupView {
    std::string group;
    GroupState state = GroupState::kEmpty;
    size_t members = 0;
    std::map<std::pair<std::string, int32_t>, int64_t> offsets;  // (topic, partition) -> offset
  };
  // Any thread but an io thread of this broker (it blocks). Null when the strand did not run
  // the copy within `timeout` (e.g. the io_context is stopping).
  std::optional<std::vector<GroupView>> views(std::chrono::milliseconds timeout) const;

 private:
  using OffsetMap = std::map<std::pair<std::string, int32_t>, CommittedOffset>;
  struct Group {
    std::unique_ptr<GroupMembership> membership;
    OffsetMap offsets;
    int32_t partition = 0;
  };
  // An offsets partition this broker leads: loading until `loaded`.
  struct Owned {
    LeaderEpoch epoch{-1};
    uint64_t load_id = 0;
    bool loaded = false;
  };

  protocol::ErrorCode check_owner(const std::string& group, int32_t& partition) const;
  int32_t offsets_partition_count() const;
  Group* find_group(const std::string& group);
  Group& get_or_create(const std::string& group, int32_t partition);
  void after_change(const std::string& group);
  void wake_timer();
  boost::asio::awaitable<void> timer_loop();
  void tick_all();
  boost::asio::awaitable<void> store_group(std::string group, GroupMetadata metadata);
  boost::asio::awaitable<protocol::ErrorCode> append(
      int32_t partition, std::vector<std::pair<GroupBytes, std::optional<GroupBytes>>> records);
  boost::asio::awaitable<void> ensure_offsets_topic();
  void become_leader(int32_t partition, LeaderEpoch epoch);
  void resign(int32_t partition);
  boost::asio::awaitable<void> load(int32_t partition, uint64_t load_id);
  void install(int32_t partition, OffsetsReplay& replay);
  boost::asio::awaitable<protocol::OffsetCommitResponse> do_commit(
      protocol::OffsetCommitRequest req);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::any_io_executor blocking_;
  GroupCoordinatorOptions options_;
  ReplicaManager& replicas_;
  MetadataCache& metadata_;
  TopicAdmin* admin_;
  boost::asio::steady_timer timer_;
  std::map<std::string, std::unique_ptr<Group>> groups_;
  std::map<int32_t, Owned> owned_;
  uint64_t next_load_id_ = 1;
  bool stopped_ = false;
  bool timer_running_ = false;
  std::atomic<bool> creating_topic_{false};
};

}  // namespace meridian::broker
