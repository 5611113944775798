#include "cluster/coord/embedded_ensemble.h"

#include <cstdio>
#include <utility>

#include "cluster/coord/detail/callback_dispatcher.h"
#include "cluster/coord/detail/embedded_journal.h"
#include "cluster/coord/detail/embedded_store.h"
#include "common/log.h"

namespace meridian::coord {
namespace {

std::string leaf_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

std::shared_ptr<EmbeddedEnsemble> EmbeddedEnsemble::create() {
  std::shared_ptr<EmbeddedEnsemble> ensemble(new EmbeddedEnsemble());
  ensemble->reaper_ = std::thread([raw = ensemble.get()] { raw->reaper_loop(); });
  return ensemble;
}

Result<std::shared_ptr<EmbeddedEnsemble>> EmbeddedEnsemble::open(
    const std::filesystem::path& dir) {
  std::shared_ptr<EmbeddedEnsemble> ensemble(new EmbeddedEnsemble());
  auto& tree = ensemble->tree_;
  auto apply = [&tree](const detail::JournalEntry& e) {
    if (e.data) {
      Node& node = tree[e.path];
      node.data = *e.data;
      node.stat = e.stat;
    } else if (e.path != "/") {
      tree.erase(e.path);
    }
  };
  auto live = [&ensemble] {
    // The replay is complete: rebuild the children sets (parents sort before their children,
    // so an orphan's descendants are dropped with it).
    auto& t = ensemble->tree_;
    for (auto& [path, node] : t) {
      node.children.clear();
    }
    for (auto it = t.begin(); it != t.end();) {
      if (it->first == "/") {
        ++it;
        continue;
      }
      auto parent = t.find(parent_path(it->first));
      if (parent == t.end()) {
        it = t.erase(it);
        continue;
      }
      parent->second.children.insert(leaf_name(it->first));
      ++it;
    }
    for (auto& [path, node] : t) {
      node.stat.num_children = static_cast<int32_t>(node.children.size());
    }
    return ensemble->live_entries_locked();
  };
  auto journal = detail::EmbeddedJournal::open(dir, apply, ensemble->last_txid_, live);
  if (!journal) {
    return journal.error();
  }
  ensemble->journal_ = std::make_unique<detail::EmbeddedJournal>(std::move(*journal));
  logger("coord")->info("embedded store: {} node(s) loaded from {}", ensemble->tree_.size(),
                        dir.string());
  ensemble->reaper_ = std::thread([raw = ensemble.get()] { raw->reaper_loop(); });
  return ensemble;
}

EmbeddedEnsemble::EmbeddedEnsemble() { tree_.emplace("/", Node{}); }

EmbeddedEnsemble::~EmbeddedEnsemble() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  reaper_cv_.notify_all();
  if (reaper_.joinable()) {
    reaper_.join();
  }
}

std::unique_ptr<CoordinationStore> EmbeddedEnsemble::connect(
    std::chrono::milliseconds session_timeout, SessionCallback on_session) {
  auto dispatcher = std::make_shared<detail::CallbackDispatcher>();
  SessionId id;
  {
    std::lock_guard lock(mu_);
    id = SessionId(next_session_++);
    sessions_.emplace(id, Session{session_timeout, on_session, dispatcher, std::nullopt});
  }
  if (on_session) {
    dispatcher->post([cb = std::move(on_session)] { cb(SessionState::kConnected); });
  }
  return std::make_unique<detail::EmbeddedStore>(shared_from_this(), id, dispatcher);
}

void EmbeddedEnsemble::suspend_heartbeats_for_test(SessionId session) {
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(session);
    if (it == sessions_.end()) {
      return;
    }
    it->second.expires_at = Clock::now() + it->second.timeout;
  }
  reaper_cv_.notify_all();
}

void EmbeddedEnsemble::resume_heartbeats_for_test(SessionId session) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(session);
  if (it != sessions_.end()) {
    it->second.expires_at.reset();
  }
}

std::size_t EmbeddedEnsemble::live_session_count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

bool EmbeddedEnsemble::is_live(SessionId s) const {
  std::lock_guard lock(mu_);
  return sessions_.count(s) != 0;
}

std::error_code EmbeddedEnsemble::check_session(SessionId s, const std::string& path) const {
  if (!is_valid_path(path)) {
    return errc::invalid_path;
  }
  if (sessions_.count(s) == 0) {
    return errc::session_expired;
  }
  return {};
}

Result<std::string> EmbeddedEnsemble::create(SessionId s, const std::string& path,
                                             std::string_view data, CreateMode mode) {
  std::lock_guard lock(mu_);
  if (auto ec = check_session(s, path)) {
    return ec;
  }
  auto created = create_locked(s, path, data, mode);
  flush_events();
  return created;
}

Result<std::string> EmbeddedEnsemble::create_locked(SessionId s, const std::string& path,
                                                    std::string_view data, CreateMode mode) {
  if (path == "/") {
    return errc::node_exists;
  }
  // Checks in ZooKeeper's PrepRequestProcessor order: parent, existence, ephemeral parent.
  const std::string parent = parent_path(path);
  auto pit = tree_.find(parent);
  if (pit == tree_.end()) {
    return errc::no_node;
  }
  std::string actual = path;
  if (mode == CreateMode::kPersistentSequential || mode == CreateMode::kEphemeralSequential) {
    // ZooKeeper numbers a sequential child with its parent's cversion, zero-padded to 10.
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%010d", pit->second.stat.children_version);
    actual += suffix;
  }
  if (tree_.count(actual) != 0) {
    return errc::node_exists;
  }
  if (pit->second.stat.ephemeral_owner != SessionId(0)) {
    return errc::no_children_for_ephemerals;
  }
  const bool ephemeral = mode == CreateMode::kEphemeral || mode == CreateMode::kEphemeralSequential;
  Node node;
  node.data.assign(data);
  node.stat.ephemeral_owner = ephemeral ? s : SessionId(0);
  node.stat.create_txid = node.stat.modify_txid = ++last_txid_;
  tree_.emplace(actual, std::move(node));
  dirty_.insert(actual);
  dirty_.insert(parent);
  Node& parent_node = pit->second;
  parent_node.children.insert(leaf_name(actual));
  parent_node.stat.children_version++;
  parent_node.stat.num_children = static_cast<int32_t>(parent_node.children.size());
  fire(data_watches_, actual, WatchEventType::kCreated);
  fire(child_watches_, parent, WatchEventType::kChildrenChanged);
  return actual;
}

Result<NodeData> EmbeddedEnsemble::get(SessionId s, const std::string& path, WatchCallback watch) {
  std::lock_guard lock(mu_);
  if (auto ec = check_session(s, path)) {
    return ec;
  }
  auto it = tree_.find(path);
  if (it == tree_.end()) {
    return errc::no_node;
  }
  if (watch) {
    data_watches_.emplace(path, Watch{s, std::move(watch)});
  }
  return NodeData{it->second.data, it->second.stat};
}

Result<std::optional<NodeStat>> EmbeddedEnsemble::exists(SessionId s, const std::string& path,
                                                         WatchCallback watch) {
  std::lock_guard lock(mu_);
  if (auto ec = check_session(s, path)) {
    return ec;
  }
  if (watch) {
    data_watches_.emplace(path, Watch{s, std::move(watch)});
  }
  auto it = tree_.find(path);
  if (it == tree_.end()) {
    return std::optional<NodeStat>();
  }
  return std::optional<NodeStat>(it->second.stat);
}

Result<NodeStat> EmbeddedEnsemble::set(SessionId s, const std::string& path, std::string_view data,
                                       NodeVersion expected) {
  std::lock_guard lock(mu_);
  if (auto ec = check_session(s, path)) {
    return ec;
  }
  auto stat = set_locked(path, data, expected);
  flush_events();
  return stat;
}

Result<NodeStat> EmbeddedEnsemble::set_locked(const std::string& path, std::string_view data,
                                              NodeVersion expected) {
  auto it = tree_.find(path);
  if (it == tree_.end()) {
    return errc::no_node;
  }
  NodeStat& stat = it->second.stat;
  if (expected != kAnyVersion && expected != stat.version) {
    return errc::bad_version;
  }
  it->second.data.assign(data);
  stat.version = NodeVersion(stat.version.value + 1);
  stat.modify_txid = ++last_txid_;
  dirty_.insert(path);
  fire(data_watches_, path, WatchEventType::kDataChanged);
  return stat;
}

Result<void> EmbeddedEnsemble::remove(SessionId s, const std::string& path, NodeVersion expected) {
  std::lock_guard lock(mu_);
  if (auto ec = check_session(s, path)) {
    return ec;
  }
  auto removed = remove_locked(path, expected);
  flush_events();
  return removed;
}

Result<void> EmbeddedEnsemble::remove_locked(const std::string& path, NodeVersion expected) {
  if (path == "/") {
    return errc::invalid_path;
  }
  if (auto checked = check_locked(path, expected); !checked) {
    return checked;
  }
  if (!tree_.at(path).children.empty()) {
    return errc::not_empty;
  }
  remove_node(path);
  return {};
}

Result<void> EmbeddedEnsemble::check_locked(const std::string& path, NodeVersion expected) const {
  auto it = tree_.find(path);
  if (it == tree_.end()) {
    return errc::no_node;
  }
  if (expected != kAnyVersion && expected != it->second.stat.version) {
    return errc::bad_version;
  }
  return {};
}

Result<std::vector<std::string>> EmbeddedEnsemble::children(SessionId s, const std::string& path,
                                                            WatchCallback watch) {
  std::lock_guard lock(mu_);
  if (auto ec = check_session(s, path)) {
    return ec;
  }
  auto it = tree_.find(path);
  if (it == tree_.end()) {
    return errc::no_node;
  }
  if (watch) {
    child_watches_.emplace(path, Watch{s, std::move(watch)});
  }
  return std::vector<std::string>(it->second.children.begin(), it->second.children.end());
}

Result<std::vector<std::string>> EmbeddedEnsemble::multi(SessionId s, const std::vector<Op>& ops,
                                                         std::size_t* failed_op) {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (auto ec = check_session(s, ops[i].path)) {
      if (ec == errc::invalid_path && failed_op != nullptr) {
        *failed_op = i;
      }
      return ec;
    }
  }
  // All or nothing: apply in order on the live tree, and on the first failure put back this
  // snapshot (the watch tables too: firing consumes one-shot watches). Dev-sized trees only.
  const auto tree = tree_;
  const auto data_watches = data_watches_;
  const auto child_watches = child_watches_;
  const int64_t txid = last_txid_;
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto applied = apply_locked(s, ops[i]);
    if (!applied) {
      tree_ = tree;
      data_watches_ = data_watches;
      child_watches_ = child_watches;
      last_txid_ = txid;
      pending_.clear();
      dirty_.clear();
      if (failed_op != nullptr) {
        *failed_op = i;
      }
      return applied.error();
    }
    paths.push_back(std::move(*applied));
  }
  flush_events();
  return paths;
}

Result<std::string> EmbeddedEnsemble::apply_locked(SessionId s, const Op& op) {
  Result<void> done;
  switch (op.kind) {
    case Op::Kind::kCreate:
      return create_locked(s, op.path, op.data, op.mode);
    case Op::Kind::kCheck:
      done = check_locked(op.path, op.version);
      break;
    case Op::Kind::kSet:
      if (auto stat = set_locked(op.path, op.data, op.version); !stat) {
        done = stat.error();
      }
      break;
    case Op::Kind::kRemove:
      done = remove_locked(op.path, op.version);
      break;
  }
  if (!done) {
    return done.error();
  }
  return op.path;
}

void EmbeddedEnsemble::remove_node(const std::string& path) {
  tree_.erase(path);
  const std::string parent = parent_path(path);
  Node& parent_node = tree_.at(parent);
  parent_node.children.erase(leaf_name(path));
  parent_node.stat.children_version++;
  parent_node.stat.num_children = static_cast<int32_t>(parent_node.children.size());
  ++last_txid_;
  dirty_.insert(path);
  dirty_.insert(parent);
  fire(data_watches_, path, WatchEventType::kDeleted);
  fire(child_watches_, path, WatchEventType::kDeleted);
  fire(child_watches_, parent, WatchEventType::kChildrenChanged);
}

void EmbeddedEnsemble::fire(std::multimap<std::string, Watch>& table, const std::string& path,
                            WatchEventType type) {
  auto [first, last] = table.equal_range(path);
  for (auto it = first; it != last; ++it) {
    auto session = sessions_.find(it->second.session);
    if (session == sessions_.end()) {
      continue;
    }
    pending_.emplace_back(
        session->second.dispatcher,
        [cb = it->second.callback, event = WatchEvent{type, path}] { cb(event); });
  }
  table.erase(first, last);  // one-shot
}

void EmbeddedEnsemble::flush_events() {
  persist_locked();
  for (auto& [dispatcher, fn] : pending_) {
    dispatcher->post(std::move(fn));
  }
  pending_.clear();
}

void EmbeddedEnsemble::persist_locked() {
  if (!journal_ || dirty_.empty()) {
    dirty_.clear();
    return;
  }
  std::vector<detail::JournalEntry> entries;
  for (const auto& path : dirty_) {
    auto it = tree_.find(path);
    if (it != tree_.end() && it->second.stat.ephemeral_owner == SessionId(0)) {
      entries.push_back({path, it->second.data, it->second.stat});
    } else {
      entries.push_back({path, std::nullopt, {}});
    }
  }
  dirty_.clear();
  if (auto done = journal_->append(entries, last_txid_); !done) {
    logger("coord")->error("embedded store: journal write failed ({}); the change is in memory "
                           "only", done.error().message());
    return;
  }
  if (journal_->wants_compaction()) {
    if (auto done = journal_->compact(live_entries_locked(), last_txid_); !done) {
      logger("coord")->error("embedded store: journal compaction failed: {}",
                             done.error().message());
    }
  }
}

std::vector<detail::JournalEntry> EmbeddedEnsemble::live_entries_locked() const {
  std::vector<detail::JournalEntry> out;
  for (const auto& [path, node] : tree_) {
    if (node.stat.ephemeral_owner == SessionId(0)) {
      out.push_back({path, node.data, node.stat});
    }
  }
  return out;
}

void EmbeddedEnsemble::end_session(SessionId s, EndReason reason) {
  std::lock_guard lock(mu_);
  end_session_locked(s, reason);
}

void EmbeddedEnsemble::end_session_locked(SessionId s, EndReason reason) {
  auto sit = sessions_.find(s);
  if (sit == sessions_.end()) {
    return;
  }
  Session session = std::move(sit->second);
  sessions_.erase(sit);
  // The dead session's own watches never fire; the others' do, as its ephemerals go.
  for (auto* table : {&data_watches_, &child_watches_}) {
    std::erase_if(*table, [s](const auto& entry) { return entry.second.session == s; });
  }
  std::vector<std::string> ephemerals;
  for (const auto& [path, node] : tree_) {
    if (node.stat.ephemeral_owner == s) {
      ephemerals.push_back(path);
    }
  }
  for (const auto& path : ephemerals) {
    remove_node(path);  // ephemerals have no children
  }
  flush_events();
  if (reason == EndReason::kExpired) {
    logger("coord")->info("embedded session {} expired ({} ephemeral nodes removed)", s.value,
                          ephemerals.size());
    if (session.on_session) {
      session.dispatcher->post(
          [cb = std::move(session.on_session)] { cb(SessionState::kExpired); });
    }
  }
}

void EmbeddedEnsemble::reaper_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::optional<Clock::time_point> next;
    std::vector<SessionId> due;
    const auto now = Clock::now();
    for (const auto& [id, session] : sessions_) {
      if (!session.expires_at) {
        continue;
      }
      if (*session.expires_at <= now) {
        due.push_back(id);
      } else if (!next || *session.expires_at < *next) {
        next = session.expires_at;
      }
    }
    for (SessionId id : due) {
      end_session_locked(id, EndReason::kExpired);
    }
    if (next) {
      reaper_cv_.wait_until(lock, *next);
    } else {
      reaper_cv_.wait(lock);
    }
  }
}

}  // namespace meridian::coord
