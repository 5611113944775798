#include "cluster/controller/store_isr_writer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/controller/state_codec.h"
#include "common/log.h"

namespace meridian::controller {

namespace asio = boost::asio;

StoreIsrWriter::StoreIsrWriter(coord::CoordinationStore& store, asio::any_io_executor blocking)
    : store_(store), blocking_(std::move(blocking)) {}

namespace {

// A plain coroutine function, not a lambda: g++ 12 miscompiles capturing coroutine lambdas.
asio::awaitable<Result<int32_t>> run_blocking(StoreIsrWriter* writer, std::string topic,
                                              PartitionId partition,
                                              replication::PartitionState proposed,
                                              bool bump_epoch) {
  co_return writer->write_isr_blocking(topic, partition, proposed, bump_epoch);
}

}  // namespace

asio::awaitable<Result<int32_t>> StoreIsrWriter::write_isr(const std::string& topic,
                                                           PartitionId partition,
                                                           replication::PartitionState proposed) {
  // co_spawn onto the pool: the blocking calls never touch the caller's io_context thread, and
  // the completion resumes the caller on its own executor.
  return asio::co_spawn(blocking_, run_blocking(this, topic, partition, std::move(proposed), false),
                        asio::use_awaitable);
}

asio::awaitable<Result<int32_t>> StoreIsrWriter::bump_leader_epoch(
    const std::string& topic, PartitionId partition, replication::PartitionState proposed) {
  return asio::co_spawn(blocking_, run_blocking(this, topic, partition, std::move(proposed), true),
                        asio::use_awaitable);
}

Result<int32_t> StoreIsrWriter::write_isr_blocking(const std::string& topic, PartitionId partition,
                                                   const replication::PartitionState& proposed,
                                                   bool bump_epoch) {
  const std::string path = partition_state_path(topic, partition);
  auto node = store_.get(path);
  if (!node) {
    return node.error();
  }
  // The version check here only saves a write; the multi's expected version is the real fence.
  if (node->stat.version.value != proposed.partition_epoch) {
    return make_error_code(errc::isr_conflict);
  }
  auto current = decode_partition_state(node->data);
  if (!current) {
    return current.error();
  }
  if (current->leader != proposed.leader || current->leader_epoch != proposed.leader_epoch) {
    return make_error_code(errc::isr_conflict);
  }
  PartitionStateData next = *current;
  next.isr = proposed.isr;
  if (bump_epoch) {
    next.leader_epoch = LeaderEpoch(current->leader_epoch.value + 1);
  }
  if (auto ok = coord::ensure_path(store_, kIsrChangePath); !ok) {
    return ok.error();
  }
  std::vector<coord::Op> ops{
      coord::Op::set(path, encode_partition_state(next),
                     coord::NodeVersion(proposed.partition_epoch)),
      coord::Op::create(kIsrChangePrefix, encode_isr_change({{topic, partition}}),
                        coord::CreateMode::kPersistentSequential)};
  auto done = store_.multi(ops);
  if (!done) {
    if (done.error() == coord::errc::bad_version || done.error() == coord::errc::no_node) {
      return make_error_code(errc::isr_conflict);
    }
    return done.error();
  }
  logger("controller")
      ->info("[tp={}-{}] ISR written: {} members, partition_epoch {}", topic, partition.value,
             next.isr.size(), proposed.partition_epoch + 1);
  return proposed.partition_epoch + 1;
}

}  // namespace meridian::controller
