#pragma once
// ClusterContext: the gateway's one connection to a cluster for metadata, admin, reads and
// consumer groups: an io_context on its own thread running a cluster/client Client and a
// GroupClient (cluster/client wants a single executor per Client). Handlers hop to it with
// run() and get the answer back on their own strand, so connection strands never touch client
// state. Also tracks metadata freshness for /readyz.
//
// Lifetime: outlives every service and route that uses it; the destructor stops the thread
// after which pending hops never complete (stop the HTTP server first).

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "cluster/client/client.h"
#include "cluster/client/group_client.h"
#include "gateway/cluster_services.h"

namespace meridian::gateway {

class ClusterContext {
 public:
  explicit ClusterContext(ClusterServiceOptions options);
  ~ClusterContext();
  ClusterContext(const ClusterContext&) = delete;
  ClusterContext& operator=(const ClusterContext&) = delete;

  // Runs `f` (a coroutine lambda object returning awaitable<T>, T default constructible) on the
  // client thread; resumes the caller on its own executor with the result.
  template <class T, class F>
  boost::asio::awaitable<T> run(F f) {
    T out = co_await boost::asio::co_spawn(ioc_->get_executor(), std::move(f),
                                           boost::asio::use_awaitable);
    co_return out;
  }

  // Only on the client thread (inside run()).
  client::Client& client() { return *client_; }
  client::GroupClient& groups() { return *groups_; }
  boost::asio::any_io_executor executor() { return ioc_->get_executor(); }
  const ClusterServiceOptions& options() const { return options_; }

  // Any thread: metadata was fetched successfully `age` ago (nullopt: never).
  void note_metadata_ok();
  std::optional<std::chrono::milliseconds> metadata_age() const;
  // Refreshes metadata every `interval` in the background (for /readyz) until destroyed.
  void start_refresh(std::chrono::milliseconds interval);

 private:
  ClusterServiceOptions options_;
  std::unique_ptr<boost::asio::io_context> ioc_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<client::GroupClient> groups_;
  std::atomic<int64_t> metadata_ok_ms_{-1};  // steady_clock ms
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace meridian::gateway
