#include "cluster/coord/detail/zookeeper_store.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

#include "common/log.h"

namespace meridian::coord::detail {
namespace {

constexpr int kExpireAttempts = 20;

// With its level at WARN, what the C client says is connection churn, repeated on every retry
// (several per second during an outage). The store logs each state change once instead.
void log_from_client(const char* message) {
  logger("coord")->debug("zookeeper client: {}", message);
}

void configure_client_logging() {
  static std::once_flag once;
  std::call_once(once, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_WARN); });
}

// "h1:2181,h2:2181/meridian/dc1" -> {"h1:2181,h2:2181", "/meridian/dc1"}.
std::pair<std::string, std::string> split_chroot(const std::string& connect) {
  const auto slash = connect.find('/');
  if (slash == std::string::npos) {
    return {connect, ""};
  }
  return {connect.substr(0, slash), connect.substr(slash)};
}

}  // namespace

Result<std::unique_ptr<ZooKeeperStore>> ZooKeeperStore::connect(const CoordConfig& config,
                                                                SessionCallback on_session) {
  auto [hosts, chroot] = split_chroot(config.connect);
  if (hosts.empty() || (!chroot.empty() && !is_valid_path(chroot))) {
    return errc::bad_config;
  }
  const auto connect_timeout = config.connect_timeout > std::chrono::milliseconds(0)
                                   ? config.connect_timeout
                                   : config.session_timeout;
  if (!chroot.empty() && chroot != "/") {
    // The C client cannot see above its chroot, so a short session without one creates it.
    std::unique_ptr<ZooKeeperStore> root(new ZooKeeperStore(hosts, config.session_timeout, {}));
    if (auto opened = root->open(connect_timeout); !opened) {
      return opened.error();
    }
    if (auto made = ensure_path(*root, chroot); !made) {
      return made.error();
    }
  }
  std::unique_ptr<ZooKeeperStore> store(
      new ZooKeeperStore(config.connect, config.session_timeout, std::move(on_session)));
  if (auto opened = store->open(connect_timeout); !opened) {
    return opened.error();
  }
  return store;
}

ZooKeeperStore::ZooKeeperStore(std::string connect, std::chrono::milliseconds session_timeout,
                               SessionCallback on_session)
    : connect_(std::move(connect)),
      session_timeout_(session_timeout),
      on_session_(std::move(on_session)) {}

ZooKeeperStore::~ZooKeeperStore() { close(); }

Result<void> ZooKeeperStore::open(std::chrono::milliseconds connect_timeout) {
  configure_client_logging();
  {
    std::unique_lock lock(handle_mu_);
    zh_ = zookeeper_init2(connect_.c_str(), &ZooKeeperStore::session_watcher,
                          static_cast<int>(session_timeout_.count()), nullptr, this, 0,
                          &log_from_client);
  }
  if (zh_ == nullptr) {
    logger("coord")->error("zookeeper_init({}) failed: {}", connect_, std::strerror(errno));
    return errc::bad_config;
  }
  if (!wait_for_state(SessionState::kConnected, connect_timeout)) {
    logger("coord")->warn("no ZooKeeper session from {} within {} ms", connect_,
                          connect_timeout.count());
    close();
    return errc::connection_loss;
  }
  return {};
}

bool ZooKeeperStore::wait_for_state(SessionState wanted, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return state_cv_.wait_for(lock, timeout, [&] {
    return state_ == wanted || state_ == SessionState::kExpired;
  }) && state_ == wanted;
}

void ZooKeeperStore::session_watcher(zhandle_t* zh, int type, int state, const char*, void* ctx) {
  if (type == ZOO_SESSION_EVENT) {
    static_cast<ZooKeeperStore*>(ctx)->on_session_state(zh, state);
  }
}

void ZooKeeperStore::on_session_state(zhandle_t* zh, int zk_state) {
  SessionState next;
  if (zk_state == ZOO_CONNECTED_STATE || zk_state == ZOO_READONLY_STATE) {
    next = SessionState::kConnected;
  } else if (zk_state == ZOO_EXPIRED_SESSION_STATE || zk_state == ZOO_AUTH_FAILED_STATE) {
    next = SessionState::kExpired;
  } else if (zk_state == ZOO_CONNECTING_STATE || zk_state == ZOO_ASSOCIATING_STATE) {
    next = SessionState::kDisconnected;
  } else {
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (state_ == next || state_ == SessionState::kExpired || closed_) {
      return;
    }
    if (next == SessionState::kDisconnected && state_ == SessionState::kConnecting) {
      return;  // still trying for the first time: nothing was lost
    }
    state_ = next;
    if (next == SessionState::kConnected) {
      session_id_ = zoo_client_id(zh)->client_id;
      ++connects_;
    }
    if (next == SessionState::kExpired) {
      watches_.clear();  // the server forgot them; they will never fire
    }
  }
  state_cv_.notify_all();
  if (next == SessionState::kExpired) {
    logger("coord")->warn("ZooKeeper session 0x{:x} expired", session_id_.load());
  } else if (next == SessionState::kDisconnected) {
    logger("coord")->warn("ZooKeeper session 0x{:x} lost its connection; reconnecting",
                          session_id_.load());
  } else {
    logger("coord")->info("ZooKeeper session 0x{:x} connected to {}", session_id_.load(), connect_);
  }
  if (on_session_) {
    // A copy: the callback may destroy this store, and with it on_session_.
    dispatcher_.post([cb = on_session_, next] { cb(next); });
  }
}

void ZooKeeperStore::node_watcher(zhandle_t* zh, int type, int, const char* path, void* ctx) {
  // Session events reach every watcher too; the session watcher already handles them.
  if (type == ZOO_SESSION_EVENT) {
    return;
  }
  auto* self = static_cast<ZooKeeperStore*>(const_cast<void*>(zoo_get_context(zh)));
  self->on_node_event(type, path, reinterpret_cast<std::uintptr_t>(ctx));
}

void ZooKeeperStore::on_node_event(int type, const char* path, std::uintptr_t watch_id) {
  WatchCallback callback;
  {
    std::lock_guard lock(mu_);
    auto it = watches_.find(watch_id);
    if (it == watches_.end()) {
      return;
    }
    callback = std::move(it->second);
    watches_.erase(it);
  }
  WatchEventType mapped;
  if (type == ZOO_CREATED_EVENT) {
    mapped = WatchEventType::kCreated;
  } else if (type == ZOO_DELETED_EVENT) {
    mapped = WatchEventType::kDeleted;
  } else if (type == ZOO_CHANGED_EVENT) {
    mapped = WatchEventType::kDataChanged;
  } else if (type == ZOO_CHILD_EVENT) {
    mapped = WatchEventType::kChildrenChanged;
  } else {
    return;  // ZOO_NOTWATCHING_EVENT: the watch was removed, nothing happened to the node
  }
  dispatcher_.post(
      [cb = std::move(callback), event = WatchEvent{mapped, path ? path : ""}] { cb(event); });
}

std::uintptr_t ZooKeeperStore::add_watch(WatchCallback watch) {
  std::lock_guard lock(mu_);
  const std::uintptr_t id = next_watch_++;
  watches_.emplace(id, std::move(watch));
  return id;
}

void ZooKeeperStore::drop_watch(std::uintptr_t id) {
  std::lock_guard lock(mu_);
  watches_.erase(id);
}

std::error_code ZooKeeperStore::map_error(int rc, const char* op, const std::string& path) const {
  switch (rc) {
    case ZNONODE:
      return errc::no_node;
    case ZNODEEXISTS:
      return errc::node_exists;
    case ZBADVERSION:
      return errc::bad_version;
    case ZNOTEMPTY:
      return errc::not_empty;
    case ZNOCHILDRENFOREPHEMERALS:
      return errc::no_children_for_ephemerals;
    case ZBADARGUMENTS:
      return errc::invalid_path;
    case ZCONNECTIONLOSS:
      return errc::connection_loss;
    case ZSESSIONMOVED:
      return errc::connection_loss;  // another handle took the session
    case ZOPERATIONTIMEOUT:
      return errc::operation_timeout;
    case ZSESSIONEXPIRED:
      return errc::session_expired;
    case ZINVALIDSTATE:
      return errc::session_expired;  // the handle is expired (or auth failed)
    case ZCLOSING:
      return errc::closed;
    default:
      break;
  }
  logger("coord")->warn("zookeeper {} {} failed: {} ({})", op, path, zerror(rc), rc);
  return errc::backend_error;
}

SessionState ZooKeeperStore::state() const {
  std::lock_guard lock(mu_);
  return closed_ ? SessionState::kClosed : state_;
}

void ZooKeeperStore::close() {
  if (closed_.exchange(true)) {
    return;
  }
  dispatcher_.stop();  // first: no callback may start once close() returns
  std::unique_lock lock(handle_mu_);
  if (zh_ != nullptr) {
    // Sends closeSession (ephemerals go now, not after the timeout) and joins the client's
    // threads, so no watcher touches this object afterwards.
    zookeeper_close(zh_);
    zh_ = nullptr;
  }
  std::lock_guard state_lock(mu_);
  watches_.clear();
}

}  // namespace meridian::coord::detail

namespace meridian::coord::detail {

namespace {

struct ProbeState {
  std::mutex mu;
  std::condition_variable cv;
  bool connected = false;
  bool expired = false;  // an earlier attempt did kill the session after all
};

void probe_watcher(zhandle_t*, int type, int state, const char*, void* ctx) {
  if (type != ZOO_SESSION_EVENT) {
    return;
  }
  auto* probe = static_cast<ProbeState*>(ctx);
  std::lock_guard lock(probe->mu);
  probe->connected = probe->connected || state == ZOO_CONNECTED_STATE;
  probe->expired = probe->expired || state == ZOO_EXPIRED_SESSION_STATE;
  probe->cv.notify_all();
}

}  // namespace

Result<void> ZooKeeperStore::expire_session_for_test() {
  clientid_t id;
  {
    std::shared_lock handle_lock(handle_mu_);
    if (closed_ || zh_ == nullptr) {
      return errc::closed;
    }
    id = *zoo_client_id(zh_);
  }
  // The probe's connection takes the session over and our handle reconnects at once; if it wins
  // the session back before the probe's close is sent, the probe closes nothing. So: retry until
  // our handle learns it expired (usually the first or second attempt).
  for (int attempt = 0; attempt < kExpireAttempts; ++attempt) {
    uint64_t connects_before;
    {
      std::lock_guard lock(mu_);
      connects_before = connects_;
    }
    ProbeState probe;
    zhandle_t* other = zookeeper_init2(connect_.c_str(), &probe_watcher,
                                       static_cast<int>(session_timeout_.count()), &id, &probe,
                                       ZOO_NO_LOG_CLIENTENV, &log_from_client);
    if (other == nullptr) {
      return errc::backend_error;
    }
    {
      std::unique_lock lock(probe.mu);
      probe.cv.wait_for(lock, session_timeout_, [&] { return probe.connected || probe.expired; });
    }
    const bool probe_connected = probe.connected;
    zookeeper_close(other);  // if still connected: closeSession, the server drops the session
    std::unique_lock lock(mu_);
    state_cv_.wait_for(lock, session_timeout_, [&] {
      return state_ == SessionState::kExpired || connects_ > connects_before;
    });
    logger("coord")->debug("expire attempt {}: probe connected {}, state {}, reconnects {}",
                           attempt, probe_connected, to_string(state_),
                           connects_ - connects_before);
    if (state_ == SessionState::kExpired) {
      return {};
    }
  }
  return errc::operation_timeout;
}

}  // namespace meridian::coord::detail
