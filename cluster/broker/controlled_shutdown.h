#pragma once
// Controlled shutdown, both halves (Kafka's KafkaServer.controlledShutdown and
// KafkaApis.handleControlledShutdownRequest):
// - ControlledShutdownHandler serves ControlledShutdown (key 7) on every broker; only the one
//   whose controller is active does the work, the others answer NOT_CONTROLLER.
// - run_controlled_shutdown() is what a stopping broker runs first: find the controller in the
//   store, ask it (over the network, or directly when it is this broker's own), retry with a
//   back-off while it still leads partitions that another live replica could take.
//
// Threads: the handler runs on the io_context and hops to the blocking pool for the controller
// call; run_controlled_shutdown() blocks and must run outside the io_context (Broker::stop()).

#include <chrono>
#include <functional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/request_dispatcher.h"
#include "cluster/controller/state_codec.h"
#include "cluster/coord/coordination_store.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::broker {

// Blocking: moves leadership away from `broker`; returns the partitions it still leads.
using ShutdownCall =
    std::function<Result<std::vector<controller::TopicPartition>>(BrokerId broker)>;

class ControlledShutdownHandler final : public RequestExtension {
 public:
  // `shutdown` runs on `blocking`; it must stay callable while the listener runs.
  ControlledShutdownHandler(boost::asio::any_io_executor blocking, ShutdownCall shutdown)
      : blocking_(std::move(blocking)), shutdown_(std::move(shutdown)) {}

  bool serves(protocol::ApiKey key) const noexcept override;
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, const protocol::RequestHeader& header,
      std::span<const uint8_t> body) override;

 private:
  boost::asio::any_io_executor blocking_;
  ShutdownCall shutdown_;
};

struct ControlledShutdownOptions {
  BrokerId self{-1};
  int32_t max_retries = 3;
  std::chrono::milliseconds retry_backoff{5000};
  std::chrono::milliseconds request_timeout{5000};
};

// Returns true when the broker leads nothing any more (or nothing could move anywhere).
// `local` asks this broker's own controller (used when it is the active one). `io` must be
// running. Bounded: (max_retries + 1) attempts of at most request_timeout, plus back-offs.
bool run_controlled_shutdown(boost::asio::io_context& io, coord::CoordinationStore& store,
                             const MetadataCache& metadata, const ShutdownCall& local,
                             const ControlledShutdownOptions& options);

}  // namespace meridian::broker
