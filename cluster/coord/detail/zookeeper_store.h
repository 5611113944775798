#pragma once
// CoordinationStore over Apache ZooKeeper's C client (libzookeeper-mt, THREADED). One store is
// one zhandle, i.e. one ZooKeeper session. The client reconnects by itself after connection
// loss (kDisconnected, then kConnected) as long as the session lives; once the server declares
// it expired the handle is dead and every call fails with session_expired.
//
// Threads: the C client runs an I/O thread and a completion thread; watcher functions run on
// the latter and only move events into this store's CallbackDispatcher, so user code never runs
// on the client's threads (and may close the store from a callback).

#include <zookeeper/zookeeper.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "cluster/coord/coordination_store.h"
#include "cluster/coord/detail/callback_dispatcher.h"

namespace meridian::coord::detail {

class ZooKeeperStore final : public CoordinationStore {
 public:
  // Creates config.connect's chroot if missing, then connects and waits for the session.
  static Result<std::unique_ptr<ZooKeeperStore>> connect(const CoordConfig& config,
                                                         SessionCallback on_session);
  ~ZooKeeperStore() override;

  Result<std::string> create(const std::string& path, std::string_view data,
                             CreateMode mode) override;
  Result<NodeData> get(const std::string& path, WatchCallback watch) override;
  Result<std::optional<NodeStat>> exists(const std::string& path, WatchCallback watch) override;
  Result<NodeStat> set(const std::string& path, std::string_view data,
                       NodeVersion expected) override;
  Result<void> remove(const std::string& path, NodeVersion expected) override;
  Result<std::vector<std::string>> children(const std::string& path, WatchCallback watch) override;
  Result<std::vector<std::string>> multi(const std::vector<Op>& ops,
                                         std::size_t* failed_op) override;
  SessionId session_id() const override { return SessionId(session_id_.load()); }
  SessionState state() const override;
  void close() override;
  // Opens a second handle on our session id and password and closes it: the server ends the
  // session, and this handle learns it is expired when it reconnects (Curator's KillSession).
  // Retried while this handle wins the session back first (a race the C client gives no way
  // to prevent).
  Result<void> expire_session_for_test() override;

 private:
  ZooKeeperStore(std::string connect, std::chrono::milliseconds session_timeout,
                 SessionCallback on_session);
  Result<void> open(std::chrono::milliseconds connect_timeout);
  static void session_watcher(zhandle_t* zh, int type, int state, const char* path, void* ctx);
  static void node_watcher(zhandle_t* zh, int type, int state, const char* path, void* ctx);
  void on_session_state(zhandle_t* zh, int zk_state);
  void on_node_event(int type, const char* path, std::uintptr_t watch_id);
  // Registers a callback and returns the id passed to the C client as watcherCtx.
  std::uintptr_t add_watch(WatchCallback watch);
  void drop_watch(std::uintptr_t id);
  std::error_code precheck(const std::string& path) const;
  std::error_code map_error(int rc, const char* op, const std::string& path) const;
  bool wait_for_state(SessionState wanted, std::chrono::milliseconds timeout);

  const std::string connect_;
  const std::chrono::milliseconds session_timeout_;
  SessionCallback on_session_;
  CallbackDispatcher dispatcher_;
  // Shared by calls, exclusive for zookeeper_close: a call never uses a freed handle.
  mutable std::shared_mutex handle_mu_;
  zhandle_t* zh_ = nullptr;
  std::atomic<bool> closed_{false};
  std::atomic<int64_t> session_id_{0};

  mutable std::mutex mu_;  // guards the fields below; never held while calling the C client
  std::condition_variable state_cv_;
  SessionState state_ = SessionState::kConnecting;
  std::map<std::uintptr_t, WatchCallback> watches_;
  std::uintptr_t next_watch_ = 1;
  uint64_t connects_ = 0;  // kConnected transitions, so a test hook sees a reconnect
};

}  // namespace meridian::coord::detail
