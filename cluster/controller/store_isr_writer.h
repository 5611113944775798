#pragma once
// StoreIsrWriter: the partition leader's ISR write (replication::IsrWriter) against the
// coordination store, as Kafka's ZooKeeper-mode leader does it: a compare-and-set of the
// partition state node on its version (partition_epoch) that keeps leader, leader_epoch and
// controller_epoch, plus an /isr_change_notification/isr_change_<seq> node so the controller
// refreshes its view — both in one multi().
//
// Threading: the store calls block, so they run on `blocking` (a thread pool executor); the
// caller's coroutine only awaits. `store` must outlive the writer and every write in flight;
// when the owner rebuilds the store after a session expiry it rebuilds the writer too.
// Errors: controller::errc::isr_conflict (the state moved: the controller changed it, re-read and
// obey), bad_state_data, coord::errc (connection_loss, session_expired, ...).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "cluster/coord/coordination_store.h"
#include "cluster/replication/partition.h"

namespace meridian::controller {

class StoreIsrWriter final : public replication::IsrWriter {
 public:
  StoreIsrWriter(coord::CoordinationStore& store, boost::asio::any_io_executor blocking);

  boost::asio::awaitable<Result<int32_t>> write_isr(const std::string& topic, PartitionId partition,
                                                    replication::PartitionState proposed) override;
  // The same write with leader_epoch + 1 (a mirror failback cut, docs/mirror.md).
  boost::asio::awaitable<Result<int32_t>> bump_leader_epoch(
      const std::string& topic, PartitionId partition,
      replication::PartitionState proposed) override;

  // The same, synchronously (runs on the calling thread; it blocks).
  Result<int32_t> write_isr_blocking(const std::string& topic, PartitionId partition,
                                     const replication::PartitionState& proposed,
                                     bool bump_epoch = false);

 private:
  coord::CoordinationStore& store_;
  boost::asio::any_io_executor blocking_;
};

}  // namespace meridian::controller
