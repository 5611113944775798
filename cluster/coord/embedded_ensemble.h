#pragma once
// EmbeddedEnsemble: the in-process coordination service for a whole DC inside one process
// (`meridian dev`, unit and deterministic integration tests). Many stores (sessions, one per
// broker) share its single node tree; it gives them ZooKeeper's semantics: versions,
// ephemerals tied to the session, one-shot watches, sequential names, session expiry.
//
// Sessions never time out on their own (an in-process owner cannot lose its connection). To
// model a hung broker, suspend_heartbeats_for_test() starts the session's timeout clock: when
// it runs out, the session expires exactly as a ZooKeeper session would.
//
// Lifetime: shared by its stores (each holds a shared_ptr); all methods are thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/coord/coordination_store.h"
#include "cluster/coord/detail/embedded_journal.h"

namespace meridian::coord {

namespace detail {
class EmbeddedStore;
class CallbackDispatcher;
class EmbeddedJournal;
}  // namespace detail

class EmbeddedEnsemble : public std::enable_shared_from_this<EmbeddedEnsemble> {
 public:
  static std::shared_ptr<EmbeddedEnsemble> create();
  // A persistent ensemble: the persistent nodes (topics, configs, partition states, ...) are
  // journaled under `dir` (detail/embedded_journal.h), fsynced before each change is answered,
  // and reloaded here, so `meridian dev --data-dir` keeps its cluster across restarts.
  // Errors: file I/O on `dir`.
  static Result<std::shared_ptr<EmbeddedEnsemble>> open(const std::filesystem::path& dir);
  ~EmbeddedEnsemble();
  EmbeddedEnsemble(const EmbeddedEnsemble&) = delete;
  EmbeddedEnsemble& operator=(const EmbeddedEnsemble&) = delete;

  // Opens a session; the callback gets kConnected at once (on the store's callback thread).
  std::unique_ptr<CoordinationStore> connect(std::chrono::milliseconds session_timeout,
                                             SessionCallback on_session = {});

  // The session expires session_timeout from now unless resumed first. Unknown ids are ignored.
  void suspend_heartbeats_for_test(SessionId session);
  void resume_heartbeats_for_test(SessionId session);
  std::size_t live_session_count() const;

 private:
  friend class detail::EmbeddedStore;
  using Clock = std::chrono::steady_clock;

  struct Node {
    std::string data;
    NodeStat stat;
    std::set<std::string> children;
  };
  struct Session {
    std::chrono::milliseconds timeout;
    SessionCallback on_session;
    std::shared_ptr<detail::CallbackDispatcher> dispatcher;
    std::optional<Clock::time_point> expires_at;  // set while heartbeats are suspended
  };
  struct Watch {
    SessionId session;
    WatchCallback callback;
  };
  enum class EndReason { kClosed, kExpired };

  EmbeddedEnsemble();

  // The operations of EmbeddedStore, for one session; each takes mu_.
  Result<std::string> create(SessionId s, const std::string& path, std::string_view data,
                             CreateMode mode);
  Result<NodeData> get(SessionId s, const std::string& path, WatchCallback watch);
  Result<std::optional<NodeStat>> exists(SessionId s, const std::string& path, WatchCallback watch);
  Result<NodeStat> set(SessionId s, const std::string& path, std::string_view data,
                       NodeVersion expected);
  Result<void> remove(SessionId s, const std::string& path, NodeVersion expected);
  Result<std::vector<std::string>> children(SessionId s, const std::string& path,
                                            WatchCallback watch);
  Result<std::vector<std::string>> multi(SessionId s, const std::vector<Op>& ops,
                                         std::size_t* failed_op);
  bool is_live(SessionId s) const;
  void end_session(SessionId s, EndReason reason);

  // The same without locking or session checks; callers hold mu_. Watch events they trigger
  // wait in pending_ until flush_events(), so a failed multi() can drop them.
  Result<std::string> create_locked(SessionId s, const std::string& path, std::string_view data,
                                    CreateMode mode);
  Result<NodeStat> set_locked(const std::string& path, std::string_view data, NodeVersion expected);
  Result<void> remove_locked(const std::string& path, NodeVersion expected);
  Result<void> check_locked(const std::string& path, NodeVersion expected) const;
  Result<std::string> apply_locked(SessionId s, const Op& op);
  std::error_code check_session(SessionId s, const std::string& path) const;
  void remove_node(const std::string& path);
  void fire(std::multimap<std::string, Watch>& table, const std::string& path, WatchEventType type);
  void flush_events();
  // Journals the paths changed since the last call (under mu_, before their events go out).
  void persist_locked();
  std::vector<detail::JournalEntry> live_entries_locked() const;
  void end_session_locked(SessionId s, EndReason reason);
  void reaper_loop();

  mutable std::mutex mu_;
  std::condition_variable reaper_cv_;
  bool stopping_ = false;
  std::map<std::string, Node> tree_;
  std::map<SessionId, Session> sessions_;
  std::multimap<std::string, Watch> data_watches_;   // get() and exists()
  std::multimap<std::string, Watch> child_watches_;  // children()
  std::vector<std::pair<std::shared_ptr<detail::CallbackDispatcher>, std::function<void()>>>
      pending_;
  int64_t next_session_ = 1;
  int64_t last_txid_ = 0;
  std::unique_ptr<detail::EmbeddedJournal> journal_;  // null: in memory only
  std::set<std::string> dirty_;                        // paths changed, not yet journaled
  std::thread reaper_;
};

}  // namespace meridian::coord
