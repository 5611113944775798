#pragma once
// Consumer groups, client side. GroupClient wraps the coordinator-routed admin and offset APIs
// (FindCoordinator, OffsetCommit, OffsetFetch, ListGroups, DescribeGroups, DeleteGroups) as
// simple async calls; GroupMember runs one member of a group (JoinGroup, SyncGroup, periodic
// Heartbeat, LeaveGroup) and, when it is elected leader, assigns partitions with Kafka's range
// assignor. The "consumer" protocol bytes (subscription and assignment, ConsumerProtocol v0) are
// the ones Java/librdkafka/kafka-python use, so a Meridian member and a Kafka client can share a
// group.
//
// Strand model: everything runs on the Client's executor (one thread or a strand). The Client
// must outlive the GroupClient, every GroupMember, and every coroutine they return; a
// GroupMember's heartbeat loop holds only shared state and ends at leave(), at the next tick
// after destruction, or when the Client is closed.
// Errors: those of Client/Connection; broker errors come back as kafka_error(code). Calls that
// go to the coordinator retry on NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
// COORDINATOR_LOAD_IN_PROGRESS and lost connections (rediscovering the coordinator), at most
// ClientOptions::max_retries times.

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/client/client.h"
#include "cluster/client/connection.h"
#include "cluster/client/consumer.h"
#include "common/result.h"

namespace meridian::client {

struct OffsetToCommit {
  TopicPartition tp;
  Offset offset;  // the next offset to consume, as in Kafka
  std::string metadata;
};

struct CommittedOffset {
  Offset offset{-1};  // -1: nothing committed
  std::string metadata;
  std::error_code error;  // per-partition error (none on success)
};

// Who commits: a generation-less commit (generation -1, empty member) is what a standalone
// consumer or an admin tool sends; a group member passes its generation so a commit from a
// fenced (stale) member is refused with ILLEGAL_GENERATION.
struct GroupGeneration {
  int32_t generation_id = -1;
  std::string member_id;
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
  BrokerId coordinator{-1};
};

struct GroupMemberDescription {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::vector<std::string> subscription;   // decoded when protocol_type is "consumer"
  std::vector<TopicPartition> assignment;  // decoded when protocol_type is "consumer"
};

struct GroupDescription {
  std::string group_id;
  std::error_code error;
  std::string state;  // "Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"
  std::string protocol_type;
  std::string protocol;  // the chosen assignor ("range")
  BrokerId coordinator{-1};
  std::vector<GroupMemberDescription> members;
};

struct GroupDeletion {
  std::string group_id;
  std::error_code error;
};

// A connection of its own to the coordinator. A JoinGroup waits in the coordinator until the
// whole group has rejoined, and a broker may serve one connection's requests in order, so every
// GroupMember talks to the coordinator on its own connection (as each Kafka consumer does);
// members sharing the Client's connection could block each other for a rebalance timeout.
struct CoordinatorLink {
  std::shared_ptr<Connection> connection;
  BrokerId broker{-1};
};

class GroupClient {
 public:
  explicit GroupClient(Client& client);
  ~GroupClient();
  GroupClient(const GroupClient&) = delete;
  GroupClient& operator=(const GroupClient&) = delete;

  // The coordinator of `group` (cached until a call reports it moved).
  boost::asio::awaitable<Result<BrokerId>> find_coordinator(std::string group);
  // Forgets the cached coordinator (after NOT_COORDINATOR or a lost connection).
  void invalidate_coordinator(const std::string& group);

  // Commits `offsets`. The result is the first per-partition error, if any.
  boost::asio::awaitable<Result<void>> commit_offsets(std::string group,
                                                      std::vector<OffsetToCommit> offsets,
                                                      GroupGeneration generation);
  // A generation-less commit (not a coroutine itself: a defaulted class argument to a
  // coroutine is a prvalue, which g++ 12 frees twice, see docs/coroutines.md).
  boost::asio::awaitable<Result<void>> commit_offsets(std::string group,
                                                      std::vector<OffsetToCommit> offsets) {
    GroupGeneration none;
    return commit_offsets(std::move(group), std::move(offsets), none);
  }
  // Committed offsets of `partitions`, or of every partition the group committed when empty.
  boost::asio::awaitable<Result<std::map<TopicPartition, CommittedOffset>>> fetch_offsets(
      std::string group, std::vector<TopicPartition> partitions);
  // Groups on every broker (each broker lists the groups it coordinates).
  boost::asio::awaitable<Result<std::vector<GroupListing>>> list_groups();
  // One entry per requested group; an unknown group comes back with state "Dead" (Kafka's
  // answer) and no error.
  boost::asio::awaitable<Result<std::vector<GroupDescription>>> describe_groups(
      std::vector<std::string> groups);
  // Errors per group: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, ...
  boost::asio::awaitable<Result<std::vector<GroupDeletion>>> delete_groups(
      std::vector<std::string> groups);

  // Sends `request` to the group's coordinator with rediscovery and retries; `error_of` maps a
  // response to its top-level Kafka error (kNone when it succeeded). Used by GroupMember.
  // With `link`, the request goes over that dedicated connection (opened or replaced as needed).
  template <class Request, class ErrorOf>
  boost::asio::awaitable<Result<typename Request::Response>> to_coordinator(
      std::string group, Request request, ErrorOf error_of, CoordinatorLink* link = nullptr);

  Client& client() const noexcept { return client_; }

 private:
  boost::asio::awaitable<Result<std::shared_ptr<Connection>>> coordinator_connection(
      const std::string& group, CoordinatorLink* link);
  boost::asio::awaitable<void> backoff();
  static bool is_coordinator_retriable(const std::error_code& ec) noexcept;
  static constexpr int kCoordinatorAttempts = 50;  // x retry_backoff (>= 100 ms): ~5 s or more

  Client& client_;
  std::map<std::string, BrokerId> coordinators_;
};

// ---- ConsumerProtocol v0 (the "consumer" protocol type's opaque bytes) ----
std::vector<uint8_t> encode_subscription(const std::vector<std::string>& topics);
Result<std::vector<std::string>> decode_subscription(const std::vector<uint8_t>& bytes);
std::vector<uint8_t> encode_assignment(const std::vector<TopicPartition>& partitions);
Result<std::vector<TopicPartition>> decode_assignment(const std::vector<uint8_t>& bytes);

// Kafka's RangeAssignor: per topic, members subscribed to it sorted by member id, each gets a
// contiguous range; the first (partitions % members) get one extra. Worked example: 5
// partitions, members a,b → a: 0,1,2  b: 3,4. Topics missing from `partition_counts` are skipped.
std::map<std::string, std::vector<TopicPartition>> range_assign(
    const std::map<std::string, std::vector<std::string>>& subscriptions,
    const std::map<std::string, int32_t>& partition_counts);
// Kafka's RoundRobinAssignor: every subscribed topic-partition, sorted by topic then partition,
// dealt in turn to the members (sorted by id), skipping members not subscribed to its topic.
// Example: topics t (3) and u (2), members a,b both subscribed → a: t0,t2,u1  b: t1,u0.
std::map<std::string, std::vector<TopicPartition>> roundrobin_assign(
    const std::map<std::string, std::vector<std::string>>& subscriptions,
    const std::map<std::string, int32_t>& partition_counts);
// The assignor called `name` ("range", "roundrobin"; anything else falls back to range, which
// every Kafka client also offers), in assignors.cc.
std::map<std::string, std::vector<TopicPartition>> assign_by_protocol(
    const std::string& name, const std::map<std::string, std::vector<std::string>>& subscriptions,
    const std::map<std::string, int32_t>& partition_counts);

struct GroupMemberOptions {
  std::string group_id;
  std::chrono::milliseconds session_timeout{10000};
  std::chrono::milliseconds rebalance_timeout{30000};
  std::chrono::milliseconds heartbeat_interval{3000};
  std::optional<std::string> group_instance_id;  // KIP-345 static membership
  // kInBackground: the heartbeat loop rejoins by itself when the coordinator announces a
  // rebalance (an idle HTTP consumer must not hold up the group for a whole rebalance timeout);
  // the owner notices a new generation in assignment(). kOnDemand: only ensure_active() joins.
  enum class Rejoin { kOnDemand, kInBackground } rejoin = Rejoin::kInBackground;
  // Assignors offered in JoinGroup, most preferred first; the coordinator picks one every member
  // supports and the leader runs it ("range", "roundrobin").
  std::vector<std::string> assignors{"range"};
};

// What a member owns after a completed rebalance.
struct GroupAssignment {
  int32_t generation_id = -1;
  std::string member_id;
  bool leader = false;
  std::vector<TopicPartition> partitions;
  // Leader only: the partition count of every topic it assigned, so it can notice a topic that
  // grew and start a rebalance (Kafka's leader does the same from its metadata).
  std::map<std::string, int32_t> partition_counts;
};

class GroupMember {
 public:
  struct State;
  // `groups` must outlive this object (and its Client, everything).
  GroupMember(GroupClient& groups, GroupMemberOptions options);
  ~GroupMember();  // stops the heartbeat loop; does not send LeaveGroup (call leave() first)
  GroupMember(const GroupMember&) = delete;
  GroupMember& operator=(const GroupMember&) = delete;

  // Replaces the subscription; the next ensure_active() rejoins when it changed.
  void subscribe(std::vector<std::string> topics);
  const std::vector<std::string>& subscription() const noexcept;

  // Joins or rejoins when needed (first call, subscription change, the coordinator announced a
  // rebalance, the member was fenced) and returns the current assignment. Cheap when stable:
  // call it before each poll. Errors: those of JoinGroup/SyncGroup after retries.
  boost::asio::awaitable<Result<GroupAssignment>> ensure_active();
  // True when the heartbeat loop learned that a rebalance is under way or the member is gone;
  // the owner should stop fetching, commit and call ensure_active().
  bool needs_rejoin() const noexcept;
  // Makes the next ensure_active() rejoin (JoinGroup with our member id starts a rebalance of
  // the whole group): after the leader saw a partition count change.
  void request_rejoin() noexcept;
  // Keeps `owner` (typically the shared GroupClient) alive as long as this member's background
  // coroutines, so an owner destroyed while a heartbeat is in flight stays valid for it.
  void keep_alive(std::shared_ptr<void> owner);
  // The last completed assignment (generation -1 before the first).
  const GroupAssignment& assignment() const noexcept;

  // Commits with this member's generation (fenced members get ILLEGAL_GENERATION or
  // UNKNOWN_MEMBER_ID, and needs_rejoin() becomes true).
  boost::asio::awaitable<Result<void>> commit(std::vector<OffsetToCommit> offsets);
  // Leaves the group (LeaveGroup) and stops heartbeats. Idempotent.
  boost::asio::awaitable<Result<void>> leave();

 private:
  GroupClient& groups_;
  std::shared_ptr<State> state_;
};


// ---- implementation of the coordinator-routed template ----

// Kafka errors after which the coordinator must be looked up again (it moved or is starting).
bool is_coordinator_error(protocol::ErrorCode code) noexcept;

template <class Request, class ErrorOf>
boost::asio::awaitable<Result<typename Request::Response>> GroupClient::to_coordinator(
    std::string group, Request request, ErrorOf error_of, CoordinatorLink* link) {
  std::error_code last = make_error_code(errc::no_broker_reachable);
  // A coordinator that is still electing or loading its offsets partition answers
  // NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS for a while after a cluster starts or a
  // broker fails: those get a longer budget than ordinary retries.
  int attempts = client_.options().max_retries + 1;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      co_await backoff();
    }
    if (is_coordinator_retriable(last)) {
      attempts = std::max(attempts, kCoordinatorAttempts);
    }
    auto conn = co_await coordinator_connection(group, link);
    if (!conn) {
      last = conn.error();
      invalidate_coordinator(group);
      if (!is_retriable(last) && !is_coordinator_retriable(last)) {
        co_return last;
      }
      continue;
    }
    auto response = co_await (*conn)->request(request);
    if (!response) {
      last = response.error();
      if (last != errc::disconnected) {
        co_return last;  // a timed-out request may have been applied: never retried
      }
      invalidate_coordinator(group);
      continue;
    }
    const protocol::ErrorCode code = error_of(*response);
    if (is_coordinator_error(code)) {
      last = kafka_error(code);
      invalidate_coordinator(group);
      continue;
    }
    co_return std::move(*response);
  }
  co_return last;
}

}  // namespace meridian::client
