// The data calls of ZooKeeperStore: thin wrappers of the C client's synchronous API.
#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "cluster/coord/detail/zookeeper_store.h"

namespace meridian::coord::detail {
namespace {

// Larger nodes are read twice (the first read tells the size); Meridian's nodes are small.
constexpr int kInitialReadBuffer = 64 * 1024;
constexpr int kPathSuffixRoom = 32;  // a sequential create appends 10 digits

int to_zk_mode(CreateMode mode) {
  switch (mode) {
    case CreateMode::kPersistent:
      return ZOO_PERSISTENT;
    case CreateMode::kEphemeral:
      return ZOO_EPHEMERAL;
    case CreateMode::kPersistentSequential:
      return ZOO_PERSISTENT_SEQUENTIAL;
    case CreateMode::kEphemeralSequential:
      return ZOO_EPHEMERAL_SEQUENTIAL;
  }
  return ZOO_PERSISTENT;
}

NodeStat to_stat(const Stat& s) {
  NodeStat out;
  out.version = NodeVersion(s.version);
  out.children_version = s.cversion;
  out.num_children = s.numChildren;
  out.ephemeral_owner = SessionId(s.ephemeralOwner);
  out.create_txid = s.czxid;
  out.modify_txid = s.mzxid;
  return out;
}

}  // namespace

// Every call holds handle_mu_ shared so close() cannot free the handle under it; callers
// hold it when calling this.
std::error_code ZooKeeperStore::precheck(const std::string& path) const {
  if (closed_ || zh_ == nullptr) {
    return errc::closed;
  }
  if (!is_valid_path(path)) {
    return errc::invalid_path;
  }
  return {};
}

Result<std::string> ZooKeeperStore::create(const std::string& path, std::string_view data,
                                           CreateMode mode) {
  std::shared_lock handle_lock(handle_mu_);
  if (auto ec = precheck(path)) {
    return ec;
  }
  std::vector<char> created(path.size() + kPathSuffixRoom);
  const int rc = zoo_create(zh_, path.c_str(), data.data(), static_cast<int>(data.size()),
                            &ZOO_OPEN_ACL_UNSAFE, to_zk_mode(mode), created.data(),
                            static_cast<int>(created.size()));
  if (rc != ZOK) {
    return map_error(rc, "create", path);
  }
  return std::string(created.data());
}

Result<NodeData> ZooKeeperStore::get(const std::string& path, WatchCallback watch) {
  std::shared_lock handle_lock(handle_mu_);
  if (auto ec = precheck(path)) {
    return ec;
  }
  std::vector<char> buffer(kInitialReadBuffer);
  int length = static_cast<int>(buffer.size());
  Stat stat{};
  int rc;
  if (watch) {
    const auto id = add_watch(std::move(watch));
    rc = zoo_wget(zh_, path.c_str(), &ZooKeeperStore::node_watcher, reinterpret_cast<void*>(id),
                  buffer.data(), &length, &stat);
    if (rc != ZOK) {
      drop_watch(id);  // the client registers a get watch only on success
    }
  } else {
    rc = zoo_get(zh_, path.c_str(), 0, buffer.data(), &length, &stat);
  }
  // A node larger than the buffer comes back cut: read it again at its size (the watch, if
  // any, is already armed and fires if it changed in between).
  for (int attempt = 0; rc == ZOK && stat.dataLength > length && attempt < 3; ++attempt) {
    buffer.resize(static_cast<std::size_t>(stat.dataLength));
    length = stat.dataLength;
    rc = zoo_get(zh_, path.c_str(), 0, buffer.data(), &length, &stat);
  }
  if (rc != ZOK) {
    return map_error(rc, "get", path);
  }
  NodeData out;
  out.data.assign(buffer.data(), static_cast<std::size_t>(std::max(length, 0)));  // -1: null data
  out.stat = to_stat(stat);
  return out;
}

Result<std::optional<NodeStat>> ZooKeeperStore::exists(const std::string& path,
                                                       WatchCallback watch) {
  std::shared_lock handle_lock(handle_mu_);
  if (auto ec = precheck(path)) {
    return ec;
  }
  Stat stat{};
  int rc;
  if (watch) {
    const auto id = add_watch(std::move(watch));
    rc = zoo_wexists(zh_, path.c_str(), &ZooKeeperStore::node_watcher, reinterpret_cast<void*>(id),
                     &stat);
    if (rc != ZOK && rc != ZNONODE) {
      drop_watch(id);  // an exists watch is armed on ZOK and on ZNONODE only
    }
  } else {
    rc = zoo_exists(zh_, path.c_str(), 0, &stat);
  }
  if (rc == ZNONODE) {
    return std::optional<NodeStat>();
  }
  if (rc != ZOK) {
    return map_error(rc, "exists", path);
  }
  return std::optional<NodeStat>(to_stat(stat));
}

Result<NodeStat> ZooKeeperStore::set(const std::string& path, std::string_view data,
                                     NodeVersion expected) {
  std::shared_lock handle_lock(handle_mu_);
  if (auto ec = precheck(path)) {
    return ec;
  }
  Stat stat{};
  const int rc = zoo_set2(zh_, path.c_str(), data.data(), static_cast<int>(data.size()),
                          expected.value, &stat);
  if (rc != ZOK) {
    return map_error(rc, "set", path);
  }
  return to_stat(stat);
}

Result<void> ZooKeeperStore::remove(const std::string& path, NodeVersion expected) {
  std::shared_lock handle_lock(handle_mu_);
  if (auto ec = precheck(path)) {
    return ec;
  }
  const int rc = zoo_delete(zh_, path.c_str(), expected.value);
  if (rc != ZOK) {
    return map_error(rc, "delete", path);
  }
  return {};
}

Result<std::vector<std::string>> ZooKeeperStore::children(const std::string& path,
                                                          WatchCallback watch) {
  std::shared_lock handle_lock(handle_mu_);
  if (auto ec = precheck(path)) {
    return ec;
  }
  String_vector names{};
  int rc;
  if (watch) {
    const auto id = add_watch(std::move(watch));
    rc = zoo_wget_children(zh_, path.c_str(), &ZooKeeperStore::node_watcher,
                           reinterpret_cast<void*>(id), &names);
    if (rc != ZOK) {
      drop_watch(id);
    }
  } else {
    rc = zoo_get_children(zh_, path.c_str(), 0, &names);
  }
  if (rc != ZOK) {
    return map_error(rc, "children", path);
  }
  std::vector<std::string> out(names.data, names.data + names.count);
  deallocate_String_vector(&names);
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> ZooKeeperStore::multi(const std::vector<Op>& ops,
                                                       std::size_t* failed_op) {
  std::shared_lock handle_lock(handle_mu_);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (auto ec = precheck(ops[i].path)) {
      if (ec == errc::invalid_path && failed_op != nullptr) {
        *failed_op = i;
      }
      return ec;
    }
  }
  if (ops.empty()) {
    return std::vector<std::string>();
  }
  const int count = static_cast<int>(ops.size());
  std::vector<zoo_op_t> zops(ops.size());
  std::vector<zoo_op_result_t> results(ops.size());
  std::vector<std::vector<char>> created(ops.size());
  std::vector<Stat> stats(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    const int length = static_cast<int>(op.data.size());
    switch (op.kind) {
      case Op::Kind::kCheck:
        zoo_check_op_init(&zops[i], op.path.c_str(), op.version.value);
        break;
      case Op::Kind::kCreate:
        created[i].resize(op.path.size() + kPathSuffixRoom);
        zoo_create_op_init(&zops[i], op.path.c_str(), op.data.data(), length, &ZOO_OPEN_ACL_UNSAFE,
                           to_zk_mode(op.mode), created[i].data(),
                           static_cast<int>(created[i].size()));
        break;
      case Op::Kind::kSet:
        zoo_set_op_init(&zops[i], op.path.c_str(), op.data.data(), length, op.version.value,
                        &stats[i]);
        break;
      case Op::Kind::kRemove:
        zoo_delete_op_init(&zops[i], op.path.c_str(), op.version.value);
        break;
    }
  }
  const int rc = zoo_multi(zh_, count, zops.data(), results.data());
  if (rc != ZOK) {
    // Ops before the failing one report ZOK, those after ZRUNTIMEINCONSISTENCY.
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (results[i].err != ZOK && results[i].err != ZRUNTIMEINCONSISTENCY) {
        if (failed_op != nullptr) {
          *failed_op = i;
        }
        return map_error(results[i].err, "multi", ops[i].path);
      }
    }
    return map_error(rc, "multi", ops.front().path);
  }
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    paths.push_back(ops[i].kind == Op::Kind::kCreate ? std::string(created[i].data())
                                                     : ops[i].path);
  }
  return paths;
}

}  // namespace meridian::coord::detail
