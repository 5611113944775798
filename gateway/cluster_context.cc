#include "gateway/cluster_context.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <future>

namespace meridian::gateway {

namespace asio = boost::asio;

namespace {
int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

ClusterContext::ClusterContext(ClusterServiceOptions options)
    : options_(std::move(options)),
      ioc_(std::make_unique<asio::io_context>(1)),
      work_(std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
          ioc_->get_executor())) {
  client::ClientOptions copts;
  copts.bootstrap_servers = options_.bootstrap_servers;
  copts.client_id = "meridian-gateway";
  copts.request_timeout = std::chrono::milliseconds(40000);  // above a JoinGroup's wait
  client_ = std::make_unique<client::Client>(ioc_->get_executor(), copts);
  groups_ = std::make_unique<client::GroupClient>(*client_);
  thread_ = std::thread([this] { ioc_->run(); });
}

ClusterContext::~ClusterContext() {
  stopping_ = true;
  // Close sockets on the client thread so pending requests fail and their coroutines end.
  std::promise<void> closed;
  asio::post(*ioc_, [this, &closed] {
    client_->close();
    closed.set_value();
  });
  closed.get_future().wait_for(std::chrono::seconds(5));
  work_.reset();
  ioc_->stop();
  thread_.join();
  groups_.reset();
  client_.reset();
  ioc_.reset();
}

void ClusterContext::note_metadata_ok() { metadata_ok_ms_ = now_ms(); }

std::optional<std::chrono::milliseconds> ClusterContext::metadata_age() const {
  const int64_t at = metadata_ok_ms_.load();
  if (at < 0) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(now_ms() - at);
}

void ClusterContext::start_refresh(std::chrono::milliseconds interval) {
  auto loop = [this, interval]() -> asio::awaitable<void> {
    asio::steady_timer timer(ioc_->get_executor());
    while (!stopping_) {
      std::vector<std::string> none;
      auto meta = co_await client_->metadata(std::move(none));
      if (meta) {
        note_metadata_ok();
      }
      timer.expires_after(interval);
      [[maybe_unused]] auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  };
  asio::co_spawn(ioc_->get_executor(), std::move(loop), asio::detached);
}

}  // namespace meridian::gateway
