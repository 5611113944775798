#include "cluster/coord/coordination_store.h"

#include "cluster/coord/detail/zookeeper_store.h"
#include "cluster/coord/embedded_ensemble.h"

namespace meridian::coord {

const char* to_string(SessionState state) noexcept {
  switch (state) {
    case SessionState::kConnecting:
      return "connecting";
    case SessionState::kConnected:
      return "connected";
    case SessionState::kDisconnected:
      return "disconnected";
    case SessionState::kExpired:
      return "expired";
    case SessionState::kClosed:
      return "closed";
  }
  return "unknown";
}

const char* to_string(WatchEventType type) noexcept {
  switch (type) {
    case WatchEventType::kCreated:
      return "created";
    case WatchEventType::kDeleted:
      return "deleted";
    case WatchEventType::kDataChanged:
      return "data_changed";
    case WatchEventType::kChildrenChanged:
      return "children_changed";
  }
  return "unknown";
}

Result<std::unique_ptr<CoordinationStore>> make_store(const CoordConfig& config,
                                                      SessionCallback on_session) {
  if (config.session_timeout <= std::chrono::milliseconds(0)) {
    return errc::bad_config;
  }
  if (config.backend == "embedded") {
    if (!config.ensemble) {
      return errc::bad_config;
    }
    return config.ensemble->connect(config.session_timeout, std::move(on_session));
  }
  if (config.backend == "zookeeper") {
    auto store = detail::ZooKeeperStore::connect(config, std::move(on_session));
    if (!store) {
      return store.error();
    }
    return std::unique_ptr<CoordinationStore>(std::move(*store));
  }
  return errc::bad_config;
}

bool is_valid_path(std::string_view path) noexcept {
  if (path.empty() || path.front() != '/') {
    return false;
  }
  if (path.size() == 1) {
    return true;
  }
  if (path.back() == '/') {
    return false;
  }
  char prev = '\0';
  for (char c : path) {
    if (c == '\0' || (c == '/' && prev == '/')) {
      return false;
    }
    prev = c;
  }
  // ZooKeeper rejects "." and ".." components; so do we, for both backends to agree.
  for (std::size_t start = 1; start <= path.size();) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    const std::string_view part = path.substr(start, end - start);
    if (part == "." || part == "..") {
      return false;
    }
    start = end + 1;
  }
  return true;
}

std::string parent_path(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == 0 ? std::string("/") : std::string(path.substr(0, slash));
}

Result<void> ensure_path(CoordinationStore& store, const std::string& path) {
  if (!is_valid_path(path)) {
    return errc::invalid_path;
  }
  if (path == "/") {
    return {};
  }
  auto created = store.create(path, "", CreateMode::kPersistent);
  if (created || created.error() == errc::node_exists) {
    return {};
  }
  if (created.error() != errc::no_node) {
    return created.error();
  }
  if (auto parent = ensure_path(store, parent_path(path)); !parent) {
    return parent.error();
  }
  created = store.create(path, "", CreateMode::kPersistent);
  if (created || created.error() == errc::node_exists) {
    return {};
  }
  return created.error();
}

}  // namespace meridian::coord
