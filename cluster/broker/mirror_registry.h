#pragma once
// MirrorRegistry: which topics of this DC are cross-DC mirrors, and in what state (DESIGN.md §6,
// docs/mirror.md). The truth is /mirrors/<topic> in the coordination store (JSON, one node per
// topic); the registry keeps an immutable snapshot refreshed by its own thread every `interval`
// and at once after a write through it. The produce path asks read_only() per request; the
// mirror-append path asks for the link epoch.
//
// States: "active" and "paused" (a mirror: read-only, appends by the link), "fenced" (an old
// primary after a failover: read-only, no appends until failback), "promoted" and "failed-over"
// (writable again; the link is stopped). Write fencing: a write whose link epoch or DC epoch is
// older than the stored one is refused, so a zombie link or an old primary cannot undo a
// failover.
//
// Threading: snapshot reads are lock-free and safe from any thread; write() and refresh_now()
// BLOCK on the store (call from a thread pool). The store must outlive the registry.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cluster/coord/coordination_store.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/messages/mirror.h"
#include "common/result.h"

namespace meridian::broker {

class ReplicaManager;

inline constexpr const char* kMirrorsPath = "/mirrors";

struct MirrorEntry {
  protocol::MirrorStateRecord record;
  int32_t version = 0;
};

// True for the states in which clients may not produce to the topic.
bool mirror_state_is_read_only(const std::string& state);

// The outcome of a write: the Kafka error code and a message for the operator.
struct MirrorWriteResult {
  protocol::ErrorCode error = protocol::ErrorCode::kNone;
  std::string message;
  int32_t version = -1;
};

class MirrorRegistry {
 public:
  MirrorRegistry(coord::CoordinationStore& store,
                 std::chrono::milliseconds interval = std::chrono::milliseconds(200));
  ~MirrorRegistry();
  MirrorRegistry(const MirrorRegistry&) = delete;
  MirrorRegistry& operator=(const MirrorRegistry&) = delete;

  void start();
  void stop();

  std::optional<MirrorEntry> find(const std::string& topic) const;
  bool read_only(const std::string& topic) const;

  // Blocking. Compare-and-set on the node version (-1 any, -2 must not exist) plus the epoch
  // fencing above. Errors come back as Kafka codes: FENCED_LEADER_EPOCH, INVALID_REQUEST.
  MirrorWriteResult write(const std::string& topic, const protocol::MirrorStateRecord& record,
                          int32_t expected_version);
  Result<void> refresh_now();

  // The produce path finds the registry of its broker through the broker's ReplicaManager (one
  // process may run several brokers and DCs). register_for/unregister_for bracket the broker's
  // lifetime.
  void register_for(const ReplicaManager& replicas);
  void unregister_for(const ReplicaManager& replicas);
  static std::shared_ptr<const std::map<std::string, MirrorEntry>> snapshot_for(
      const ReplicaManager& replicas);

 private:
  void run();

  coord::CoordinationStore& store_;
  std::chrono::milliseconds interval_;
  std::atomic<std::shared_ptr<const std::map<std::string, MirrorEntry>>> entries_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::mutex write_mutex_;  // serializes this broker's read-check-write sequences
};

}  // namespace meridian::broker
