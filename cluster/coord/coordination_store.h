#pragma once
// CoordinationStore: the only way Meridian talks to its coordination service (DESIGN.md §4).
// A store is ONE session: ephemeral nodes live as long as it, watches belong to it.
//
// Model (ZooKeeper's, kept narrow enough for an etcd backend): a tree of nodes addressed by
// absolute paths ("/brokers/ids/1"), each with opaque bytes and a version bumped by every set.
// Compare-and-set is set()/remove() with an expected version (kAnyVersion skips the check).
//
// Threading: every method is synchronous and BLOCKING (a network round trip with the ZooKeeper
// backend, bounded by the session timeout: the client gives up with connection_loss or
// operation_timeout). Call them from a thread pool, never from an io_context thread. Methods are
// thread-safe. Callbacks (watches and session events) run on a thread owned by the store, one at
// a time and in order; they may call any method of the store, even close() or the destructor.
// After close() returns, no callback of this store starts.
//
// Watches are ONE-SHOT, like ZooKeeper's: a watch set by get()/exists()/children() fires at most
// once, then the caller re-reads (and re-arms) to learn the new state. Events name the path only.
//   get():      kDataChanged, kDeleted           (not set if the node does not exist)
//   exists():   kCreated, kDataChanged, kDeleted (set whether or not the node exists)
//   children(): kChildrenChanged, kDeleted       (not set if the node does not exist)
// When the session expires or the store closes, pending watches are dropped without firing; the
// session callback reports kExpired and the owner builds a new store and re-reads everything.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/coord/errc.h"
#include "common/ids.h"
#include "common/result.h"

namespace meridian::coord {

struct SessionIdTag {};
struct NodeVersionTag {};
using SessionId = StrongId<SessionIdTag, int64_t>;
using NodeVersion = StrongId<NodeVersionTag, int32_t>;

// Expected version that matches any version (ZooKeeper's -1).
inline constexpr NodeVersion kAnyVersion{-1};

enum class CreateMode {
  kPersistent,
  kEphemeral,             // deleted when the creating session closes or expires
  kPersistentSequential,  // the path gets a 10-digit, per-parent increasing suffix
  kEphemeralSequential,
};

struct NodeStat {
  NodeVersion version{0};       // data version: 0 after create, +1 per set
  int32_t children_version{0};  // +1 per child created or deleted
  int32_t num_children{0};
  SessionId ephemeral_owner{0};  // 0 for persistent nodes
  int64_t create_txid{0};        // ZooKeeper czxid: orders creations store-wide
  int64_t modify_txid{0};        // ZooKeeper mzxid
};

struct NodeData {
  std::string data;
  NodeStat stat;
};

enum class WatchEventType { kCreated, kDeleted, kDataChanged, kChildrenChanged };

struct WatchEvent {
  WatchEventType type;
  std::string path;
};

using WatchCallback = std::function<void(const WatchEvent&)>;

enum class SessionState {
  kConnecting,    // not yet connected (only seen through state())
  kConnected,     // connected, or reconnected within the session timeout: all is intact
  kDisconnected,  // connection lost; the client retries; ephemerals live until the timeout
  kExpired,       // terminal: ephemerals and watches are gone; make a new store
  kClosed,        // terminal: close() was called (never delivered as an event)
};

using SessionCallback = std::function<void(SessionState)>;

// One step of CoordinationStore::multi(); build it with the factories.
struct Op {
  enum class Kind { kCheck, kCreate, kSet, kRemove };
  Kind kind = Kind::kCheck;
  std::string path;
  std::string data;                           // kCreate, kSet
  CreateMode mode = CreateMode::kPersistent;  // kCreate
  NodeVersion version = kAnyVersion;          // kCheck, kSet, kRemove: the expected version

  // Succeeds iff the node exists with that version (kAnyVersion: iff it exists).
  static Op check(std::string path, NodeVersion version) {
    return {Kind::kCheck, std::move(path), {}, CreateMode::kPersistent, version};
  }
  static Op create(std::string path, std::string data, CreateMode mode) {
    return {Kind::kCreate, std::move(path), std::move(data), mode, kAnyVersion};
  }
  static Op set(std::string path, std::string data, NodeVersion expected = kAnyVersion) {
    return {Kind::kSet, std::move(path), std::move(data), CreateMode::kPersistent, expected};
  }
  static Op remove(std::string path, NodeVersion expected = kAnyVersion) {
    return {Kind::kRemove, std::move(path), {}, CreateMode::kPersistent, expected};
  }
};

const char* to_string(SessionState state) noexcept;
const char* to_string(WatchEventType type) noexcept;

class CoordinationStore {
 public:
  virtual ~CoordinationStore() = default;

  // Creates a node; returns its actual path (differs for sequential modes).
  // Errors: node_exists, no_node (parent missing), no_children_for_ephemerals, invalid_path.
  virtual Result<std::string> create(const std::string& path, std::string_view data,
                                     CreateMode mode) = 0;
  // Errors: no_node.
  virtual Result<NodeData> get(const std::string& path, WatchCallback watch = {}) = 0;
  // nullopt when the node does not exist (the watch is still set then).
  virtual Result<std::optional<NodeStat>> exists(const std::string& path,
                                                 WatchCallback watch = {}) = 0;
  // Compare-and-set. Errors: no_node, bad_version.
  virtual Result<NodeStat> set(const std::string& path, std::string_view data,
                               NodeVersion expected = kAnyVersion) = 0;
  // Errors: no_node, bad_version, not_empty.
  virtual Result<void> remove(const std::string& path, NodeVersion expected = kAnyVersion) = 0;
  // Child names (not full paths), sorted. Errors: no_node.
  virtual Result<std::vector<std::string>> children(const std::string& path,
                                                    WatchCallback watch = {}) = 0;

  // Applies ops atomically and in order: all of them or none (ZooKeeper multi, etcd Txn). Kafka's
  // controller puts a check of /controller_epoch's version first, so a deposed controller's
  // writes fail. Returns one path per op (the actual name for a sequential create). On failure
  // the error is the first failing op's, and *failed_op (if given) its index; connection-level
  // errors leave *failed_op untouched.
  virtual Result<std::vector<std::string>> multi(const std::vector<Op>& ops,
                                                 std::size_t* failed_op = nullptr) = 0;

  virtual SessionId session_id() const = 0;
  virtual SessionState state() const = 0;
  // Ends the session: its ephemeral nodes are deleted (others' watches fire). Idempotent.
  // Afterwards every call fails with errc::closed.
  virtual void close() = 0;
  // Makes the coordination service expire this session as if its owner had hung: ephemerals
  // go, the session callback gets kExpired. Returns once the expiry has been observed.
  virtual Result<void> expire_session_for_test() = 0;
};

class EmbeddedEnsemble;

struct CoordConfig {
  std::string backend = "embedded";  // "embedded" or "zookeeper"
  // zookeeper: host:port[,host:port][/chroot]; the chroot is created if missing.
  std::string connect;
  // Kafka's zookeeper.session.timeout.ms default. The server may clamp it (ZooKeeper: 2..20 ticks).
  std::chrono::milliseconds session_timeout{18000};
  // How long make_store waits for the first connection; zero means session_timeout.
  std::chrono::milliseconds connect_timeout{0};
  // embedded: the shared in-process tree; required for that backend.
  std::shared_ptr<EmbeddedEnsemble> ensemble;
};

// Opens a session. The callback gets kConnected/kDisconnected/kExpired (see threading above).
// Errors: bad_config, connection_loss (no connection within connect_timeout).
Result<std::unique_ptr<CoordinationStore>> make_store(const CoordConfig& config,
                                                      SessionCallback on_session = {});

// Path helpers shared by the backends.
bool is_valid_path(std::string_view path) noexcept;
// "/a/b" -> "/a", "/a" -> "/"; precondition: is_valid_path(path) and path != "/".
std::string parent_path(std::string_view path);
// Creates path and its missing ancestors as persistent nodes with empty data (node_exists is
// fine: another session may race us). Like Kafka's makeSurePersistentPathExists.
Result<void> ensure_path(CoordinationStore& store, const std::string& path);

}  // namespace meridian::coord
