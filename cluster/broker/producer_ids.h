#pragma once
// Producer ids for idempotent producers (KIP-98), allocated as Kafka's ZooKeeper-mode
// ProducerIdManager does: each broker claims blocks of kProducerIdBlockSize ids from the
// coordination store node /latest_producer_id_block by compare-and-set on its version, and
// hands them out one by one. Ids are unique across brokers and restarts (a restarted broker
// claims a fresh block; the unused rest of its old block is skipped, like Kafka).
//
//   /latest_producer_id_block  {"version":1,"broker":<id>,"block_start":"<n>","block_end":"<m>"}
//   (block_end inclusive, both as decimal strings, as Kafka writes them)
//
// ProducerIdExtension serves InitProducerId (API key 22, v0-1) for idempotent producers only:
// a transactional id is answered with INVALID_REQUEST (transactions are not supported), with a
// log line saying so. Every new producer gets epoch 0.

#include <cstdint>
#include <mutex>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "cluster/broker/request_dispatcher.h"
#include "cluster/coord/coordination_store.h"
#include "common/result.h"

namespace meridian::broker {

inline constexpr const char* kProducerIdBlockPath = "/latest_producer_id_block";
inline constexpr int64_t kProducerIdBlockSize = 1000;

struct ProducerIdBlock {
  BrokerId broker{-1};
  int64_t start = 0;
  int64_t end = -1;  // inclusive
};

std::string encode_producer_id_block(const ProducerIdBlock& block);
// Errors: controller bad_state_data.
Result<ProducerIdBlock> decode_producer_id_block(std::string_view json);

// Thread-safe. next() BLOCKS on the store when its block is used up: call it from the broker's
// blocking pool. `store` must outlive the allocator.
class ProducerIdAllocator {
 public:
  ProducerIdAllocator(coord::CoordinationStore& store, BrokerId self,
                      int64_t block_size = kProducerIdBlockSize);

  // Errors: coord errors (connection loss), bad_state_data, or exhausted ids.
  Result<int64_t> next();

 private:
  Result<void> claim_block();

  coord::CoordinationStore& store_;
  BrokerId self_;
  int64_t block_size_;
  std::mutex mutex_;
  int64_t next_ = 0;
  int64_t end_ = -1;  // inclusive; next_ > end_ means no block
};

// The RequestExtension for InitProducerId; `allocator` must outlive it, `blocking` is the pool
// its store calls run on.
class ProducerIdExtension final : public RequestExtension {
 public:
  ProducerIdExtension(ProducerIdAllocator& allocator, boost::asio::any_io_executor blocking);

  bool serves(protocol::ApiKey key) const noexcept override;
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, const protocol::RequestHeader& header,
      std::span<const uint8_t> body) override;

 private:
  ProducerIdAllocator& allocator_;
  boost::asio::any_io_executor blocking_;
};

}  // namespace meridian::broker
