#pragma once
// A broker's Prometheus metrics (CONVENTIONS.md §1, names in common/admin/metric_names.h),
// gathered two ways so the request path takes no lock:
//
// - MeteredRequestHandler wraps the RequestDispatcher: it times every request
//   (meridian_request_latency_seconds{request}) and counts produced / fetched records and bytes
//   per topic from the frames it already holds. Series handles are cached per thread, so after
//   the first request of a topic on a thread an update is a few atomic adds.
// - BrokerMetricsCollector runs on its own thread every `interval` and reads snapshots only
//   (PartitionSnapshot, the MetadataCache's shared_ptr, statvfs, the log directory): HW, log
//   start, ISR size, under-replicated, under-min-ISR, follower lag, leadership changes, ISR
//   shrinks/expands, disk and log sizes, and — on the active controller — the cluster gauges.
//   Transitions (leadership, ISR) are seen by comparing two samples, so a change that comes and
//   goes within one interval is not counted.
//
// Lifetime: the Broker owns both (BrokerOptions::metrics); the collector is stopped before the
// broker tears its parts down. Labels of every series: the broker's `metric_labels`
// (`broker`, and `datacenter` in `meridian dev`) plus the family's own.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "cluster/broker/kafka_server.h"

namespace meridian::broker {

class Broker;

using MetricLabels = std::map<std::string, std::string>;

class MeteredRequestHandler final : public RequestHandler {
 public:
  // `inner` must outlive this handler.
  MeteredRequestHandler(RequestHandler& inner, MetricLabels labels);
  ~MeteredRequestHandler() override;

  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, std::span<uint8_t> frame) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct BrokerMetricsOptions {
  MetricLabels labels;
  std::chrono::milliseconds interval{2000};
};

class BrokerMetricsCollector {
 public:
  // `broker` must outlive the collector (or stop() must be called first).
  BrokerMetricsCollector(const Broker& broker, BrokerMetricsOptions options);
  ~BrokerMetricsCollector();
  BrokerMetricsCollector(const BrokerMetricsCollector&) = delete;
  BrokerMetricsCollector& operator=(const BrokerMetricsCollector&) = delete;

  // Starts the sampling thread (first sample immediately). Idempotent.
  void start();
  // Stops and joins the thread; series stay as last set. Idempotent.
  void stop();
  // One sample, on the caller's thread (tests). Not concurrent with the sampling thread.
  void collect_once();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::broker
