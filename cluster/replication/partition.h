#pragma once
// Partition: the replication state machine of one partition replica on one broker (DESIGN.md §3,
// docs/design/cluster.md). It owns the replica's PartitionLog and, as leader, the follower
// states, the high watermark (HW) and the in-sync replica set (ISR).
//
//   LEO = the log end offset (next offset to write).
//   HW  = min LEO over the ISR; consumers read below it; acks=all completes when HW passes a
//         batch's last offset.
//   Worked example: ISR {1,2,3}, LEOs 10, 8, 9 -> HW 8. Broker 2 fetches from 10 (its LEO is now
//   10) -> HW 9. Broker 3 falls out of the ISR -> HW = min(10, 10) = 10.
//
// Strand model: every public method runs its body on the partition's own strand (co_spawn onto
// it) and may be called from any thread. Nothing else touches the log, LEO, HW or ISR.
// The Partition must outlive every awaitable it returned; stop() fails pending waiters.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cluster/log/partition_log.h"
#include "cluster/replication/errc.h"
#include "cluster/replication/producer_state.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::replication {

enum class Acks : int16_t { kNone = 0, kLeader = 1, kAll = -1 };

// The controller's decision for a partition, as carried by LeaderAndIsr and stored in the
// partition state node. partition_epoch is the state node's version: the CAS token of ISR writes.
struct PartitionState {
  BrokerId leader{-1};
  LeaderEpoch leader_epoch{0};
  std::vector<BrokerId> isr;
  std::vector<BrokerId> replicas;
  int32_t partition_epoch = 0;
  bool operator==(const PartitionState&) const = default;
};

struct PartitionConfig {
  int16_t min_insync_replicas = 1;
  std::chrono::milliseconds replica_lag_time_max{30000};
};

// Persists an ISR change proposed by the leader: a compare-and-set on partition_epoch in the
// coordination store. Returns the new partition_epoch, or an error (a CAS conflict means the
// controller moved on; the leader keeps its ISR and waits for the controller's state).
// Called off the partition strand; implementations may block only on their own thread pool.
class IsrWriter {
 public:
  virtual ~IsrWriter() = default;
  virtual boost::asio::awaitable<Result<int32_t>> write_isr(const std::string& topic,
                                                            PartitionId partition,
                                                            PartitionState proposed) = 0;
  // Same leader, leader_epoch + 1, isr = proposed.isr, CAS-fenced like write_isr (a mirror
  // failback cut, partition_mirror.cc). The default refuses (stores without a controller).
  virtual boost::asio::awaitable<Result<int32_t>> bump_leader_epoch(const std::string& topic,
                                                                    PartitionId partition,
                                                                    PartitionState proposed);
};

enum class Role : uint8_t { kNone, kLeader, kFollower };

struct AppendResult {
  Offset base_offset{-1};
  Offset last_offset{-1};
  Offset log_start_offset{0};
};

// Readable bound: consumers stop at the HW, followers (and the mirror of our own DC) at the LEO.
enum class ReadBound : uint8_t { kHighWatermark, kLogEnd };

struct PartitionRead {
  log::ReadResult data;
  Offset high_watermark{0};
  Offset log_start_offset{0};
  Offset log_end_offset{0};
};

// Cross-DC mirror append (partition_mirror.cc, DESIGN.md §6).
struct MirrorAppendOptions {
  Offset reset_log_start{-1};  // >= 0: an empty log first restarts here
  Offset truncate_to{-1};      // >= 0: drop the suffix from here first (failback)
  std::chrono::milliseconds timeout{30000};
};

// What an on_data call announces (bit flags). kAppended: the leader's log end moved, so a
// follower's long-polling fetch has bytes to take. kHighWatermark: the HW moved (or a follower
// appended), so a consumer may read more. Followers wait only for appends: waking them on every
// HW move (each follower fetch moves it) re-read every partition for nothing (bench/RESULTS.md,
// session 5).
enum class DataEvent : uint8_t { kAppended = 1, kHighWatermark = 2, kBoth = 3 };
inline bool has(DataEvent set, DataEvent flag) {
  return (static_cast<uint8_t>(set) & static_cast<uint8_t>(flag)) != 0;
}

// A consistent view for metadata, metrics and tests; readable from any thread.
struct PartitionSnapshot {
  Role role = Role::kNone;
  PartitionState state;
  Offset high_watermark{0};
  Offset log_end_offset{0};
  Offset log_start_offset{0};
  // Replicas in the assignment but out of the ISR (OSR).
  std::vector<BrokerId> out_of_sync;
};

class Partition {
 public:
  // `isr_writer` must outlive the partition. `on_data` is called (on the strand) whenever new
  // data may be readable (DataEvent says which); the broker wakes long-polling fetches.
  Partition(boost::asio::any_io_executor executor, std::string topic, PartitionId id,
            BrokerId self, std::unique_ptr<log::PartitionLog> log, PartitionConfig config,
            IsrWriter& isr_writer, std::function<void(DataEvent)> on_data = {});
  ~Partition();
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  const std::string& topic() const noexcept { return topic_; }
  PartitionId id() const noexcept { return id_; }

  // LeaderAndIsr: become leader or follower under `state`. Errors: stale_state (older epoch).
  boost::asio::awaitable<Result<void>> apply_state(PartitionState state);

  // Leader: appends client batches (offsets and epoch assigned by the log); with acks=all waits
  // until the HW passes them or `timeout` ends. `batches` must stay alive until this completes.
  // Errors: not_leader, fenced/unknown_leader_epoch, not_enough_replicas(_after_append),
  // request_timed_out, log errors (invalid batch, CRC).
  boost::asio::awaitable<Result<AppendResult>> append_as_leader(std::span<uint8_t> batches,
                                                                Acks acks,
                                                                std::chrono::milliseconds timeout);

  // append_as_leader in two halves, for a connection that pipelines requests: append_only()
  // appends (after the NOT_ENOUGH_REPLICAS check for acks=all) and completes without waiting
  // for replication; any append started after it completed is ordered after it, so the caller
  // may start its connection's next request. wait_replicated() is the acks=all wait, with the
  // same errors. `batches` must stay alive until append_only completes.
  struct PendingAppend {
    AppendResult result;
    uint64_t leader_term = 0;
  };
  boost::asio::awaitable<Result<PendingAppend>> append_only(std::span<uint8_t> batches, Acks acks);
  boost::asio::awaitable<Result<AppendResult>> wait_replicated(PendingAppend pending,
                                                               std::chrono::milliseconds timeout);

  // Leader of a mirror topic: appends the source DC's batches at their own offsets (stamped
  // with our leader epoch) and waits until the HW passes them (acks=all). The first batch must
  // start exactly at our LEO: a gap or an overlap is offset_out_of_range, never papered over
  // (the caller reads our LEO from snapshot() and resumes there). `batches` must stay alive
  // until this completes. Errors: as append_as_leader plus offset_out_of_range;
  // options.truncate_to on a partition with other replicas also bumps the leader epoch (same
  // leader, ISR = {self}) so that followers cut the dropped suffix by KIP-101.
  boost::asio::awaitable<Result<AppendResult>> append_mirror_as_leader(
      std::span<uint8_t> batches, MirrorAppendOptions options);

  // Leader: consumer read (bound = HW) or follower fetch (bound = LEO; `follower` set): the
  // follower's fetch offset is its LEO, which moves the HW and may expand the ISR.
  // Errors: not_leader, fenced/unknown_leader_epoch, offset_out_of_range.
  boost::asio::awaitable<Result<PartitionRead>> read(Offset from, uint64_t max_bytes,
                                                     std::optional<LeaderEpoch> current_epoch,
                                                     std::optional<BrokerId> follower = {});

  // Follower: appends batches fetched from the leader at their offsets; the HW follows the
  // leader's. Errors: not_follower, fenced_leader_epoch, log errors.
  boost::asio::awaitable<Result<Offset>> append_as_follower(std::span<const uint8_t> batches,
                                                            Offset leader_high_watermark,
                                                            LeaderEpoch epoch);
  // Follower: truncation decided by OffsetsForLeaderEpoch (KIP-101/279), or a reset when the
  // leader's log starts after ours ends.
  boost::asio::awaitable<Result<void>> truncate_to(Offset end);
  boost::asio::awaitable<Result<void>> reset_to(Offset start);

  // OffsetsForLeaderEpoch, answered from the local leader-epoch cache.
  boost::asio::awaitable<Result<log::EpochEndOffset>> end_offset_for_epoch(
      LeaderEpoch requested, std::optional<LeaderEpoch> current_epoch);
  // Follower truncation (KIP-279) asks its own epoch cache, whatever its role.
  boost::asio::awaitable<std::optional<LeaderEpoch>> latest_local_epoch();
  boost::asio::awaitable<log::EpochEndOffset> local_end_offset_for_epoch(LeaderEpoch requested);

  // ListOffsets. Errors: not_leader, fenced/unknown_leader_epoch.
  boost::asio::awaitable<Result<std::optional<log::TimestampOffset>>> offset_for_timestamp(
      int64_t timestamp, std::optional<LeaderEpoch> current_epoch);

  // Leader: drops followers that have not caught up for replica.lag.time.max.ms (ISR shrink).
  // Returns the number of replicas removed.
  boost::asio::awaitable<size_t> maybe_shrink_isr();
  // Periodic log maintenance: retention, time-based roll, flush.ms.
  boost::asio::awaitable<void> maintain();

  // Fails pending acks=all waiters with shutting_down and closes the log cleanly.
  boost::asio::awaitable<void> stop();

  PartitionSnapshot snapshot() const;

  // Idempotent producers (partition_producers.cc): the state of one producer id, loaded from
  // the log first if needed (tests, tools).
  boost::asio::awaitable<std::optional<ProducerEntry>> producer_entry(ProducerId id);
  // Topic config changes (AlterConfigs): min.insync.replicas and the log's retention/roll keys
  // take effect from the next append or maintenance pass. Errors: log invalid_config.
  boost::asio::awaitable<Result<void>> update_config(PartitionConfig config,
                                                     log::LogConfig log_config);

  // Test hook: a clock other than steady_clock for lag decisions.
  void set_clock_for_test(std::function<std::chrono::steady_clock::time_point()> clock);

 private:
  struct FollowerState;
  struct AckWaiter;

  boost::asio::awaitable<Result<void>> do_apply_state(PartitionState state);
  boost::asio::awaitable<Result<AppendResult>> do_append(std::span<uint8_t> batches, Acks acks,
                                                         std::chrono::milliseconds timeout);
  Result<PendingAppend> do_append_only(std::span<uint8_t> batches, Acks acks);
  boost::asio::awaitable<Result<AppendResult>> do_wait_replicated(PendingAppend pending,
                                                                  std::chrono::milliseconds timeout);
  Result<void> check_leader(std::optional<LeaderEpoch> current_epoch) const;
  Result<PartitionRead> do_read(Offset from, uint64_t max_bytes,
                                std::optional<LeaderEpoch> current_epoch,
                                std::optional<BrokerId> follower);
  void update_follower(BrokerId follower, Offset fetch_offset);
  bool maybe_advance_hw();
  void maybe_expand_isr(BrokerId follower, Offset follower_leo);
  void propose_isr(std::vector<BrokerId> isr);
  void publish_snapshot();
  void notify_data(DataEvent event);
  // After an append as leader: kAppended, plus kHighWatermark when the append moved the HW.
  void notify_appended(bool hw_moved);
  Offset leo() const { return log_->log_end_offset(); }
  // partition_mirror.cc: the epoch bump after a mirror cut; the leader's OffsetsForLeaderEpoch.
  boost::asio::awaitable<Result<void>> bump_epoch_after_mirror_cut();
  log::EpochEndOffset leader_end_offset_for_epoch(LeaderEpoch requested) const;
  // partition_producers.cc: a duplicate's original offsets, nullopt to append, or an error.
  Result<std::optional<AppendResult>> check_producers(std::span<const uint8_t> batches);
  void record_producers(std::span<const uint8_t> batches);
  void load_producers();
  void truncate_producers(Offset end);
  void maintain_producers();
  std::chrono::steady_clock::time_point now() const;

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::string topic_;
  PartitionId id_;
  BrokerId self_;
  std::unique_ptr<log::PartitionLog> log_;
  PartitionConfig config_;
  IsrWriter& isr_writer_;
  std::function<void(DataEvent)> on_data_;
  std::function<std::chrono::steady_clock::time_point()> clock_;

  Role role_ = Role::kNone;
  PartitionState state_;
  Offset hw_{0};
  std::map<BrokerId, FollowerState> followers_;
  std::vector<std::shared_ptr<AckWaiter>> ack_waiters_;
  uint64_t leader_term_ = 0;  // +1 each time this replica becomes leader
  bool isr_write_in_flight_ = false;
  LeaderEpoch mirror_cut_epoch_{-1};  // a mirror cut under this epoch awaits its epoch bump
  bool stopped_ = false;
  ProducerStateTable producers_;
  bool producers_loaded_ = false;  // rebuilt lazily from the log (open, unclean truncation)

  mutable std::mutex snapshot_mutex_;  // guards only snapshot_, never held across work
  PartitionSnapshot snapshot_;
};

}  // namespace meridian::replication
