#pragma once
// One session of an EmbeddedEnsemble. A thin front: the ensemble owns the tree and the session
// table; this object owns the session's callback thread and its closed flag.

#include <atomic>
#include <memory>

#include "cluster/coord/coordination_store.h"
#include "cluster/coord/detail/callback_dispatcher.h"
#include "cluster/coord/embedded_ensemble.h"

namespace meridian::coord::detail {

class EmbeddedStore final : public CoordinationStore {
 public:
  EmbeddedStore(std::shared_ptr<EmbeddedEnsemble> ensemble, SessionId id,
                std::shared_ptr<CallbackDispatcher> dispatcher);
  ~EmbeddedStore() override;

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
  SessionId session_id() const override { return id_; }
  SessionState state() const override;
  void close() override;
  Result<void> expire_session_for_test() override;

 private:
  std::shared_ptr<EmbeddedEnsemble> ensemble_;
  SessionId id_;
  std::shared_ptr<CallbackDispatcher> dispatcher_;
  std::atomic<bool> closed_{false};
};

}  // namespace meridian::coord::detail
