#include "cluster/coord/detail/embedded_store.h"

namespace meridian::coord::detail {

EmbeddedStore::EmbeddedStore(std::shared_ptr<EmbeddedEnsemble> ensemble, SessionId id,
                             std::shared_ptr<CallbackDispatcher> dispatcher)
    : ensemble_(std::move(ensemble)), id_(id), dispatcher_(std::move(dispatcher)) {}

EmbeddedStore::~EmbeddedStore() { close(); }

Result<std::string> EmbeddedStore::create(const std::string& path, std::string_view data,
                                          CreateMode mode) {
  if (closed_) {
    return errc::closed;
  }
  return ensemble_->create(id_, path, data, mode);
}

Result<NodeData> EmbeddedStore::get(const std::string& path, WatchCallback watch) {
  if (closed_) {
    return errc::closed;
  }
  return ensemble_->get(id_, path, std::move(watch));
}

Result<std::optional<NodeStat>> EmbeddedStore::exists(const std::string& path,
                                                      WatchCallback watch) {
  if (closed_) {
    return errc::closed;
  }
  return ensemble_->exists(id_, path, std::move(watch));
}

Result<NodeStat> EmbeddedStore::set(const std::string& path, std::string_view data,
                                    NodeVersion expected) {
  if (closed_) {
    return errc::closed;
  }
  return ensemble_->set(id_, path, data, expected);
}

Result<void> EmbeddedStore::remove(const std::string& path, NodeVersion expected) {
  if (closed_) {
    return errc::closed;
  }
  return ensemble_->remove(id_, path, expected);
}

Result<std::vector<std::string>> EmbeddedStore::children(const std::string& path,
                                                         WatchCallback watch) {
  if (closed_) {
    return errc::closed;
  }
  return ensemble_->children(id_, path, std::move(watch));
}

Result<std::vector<std::string>> EmbeddedStore::multi(const std::vector<Op>& ops,
                                                      std::size_t* failed_op) {
  if (closed_) {
    return errc::closed;
  }
  return ensemble_->multi(id_, ops, failed_op);
}

SessionState EmbeddedStore::state() const {
  if (closed_) {
    return SessionState::kClosed;
  }
  return ensemble_->is_live(id_) ? SessionState::kConnected : SessionState::kExpired;
}

void EmbeddedStore::close() {
  if (closed_.exchange(true)) {
    return;
  }
  ensemble_->end_session(id_, EmbeddedEnsemble::EndReason::kClosed);
  dispatcher_->stop();
}

Result<void> EmbeddedStore::expire_session_for_test() {
  if (closed_) {
    return errc::closed;
  }
  ensemble_->end_session(id_, EmbeddedEnsemble::EndReason::kExpired);
  return {};
}

}  // namespace meridian::coord::detail
