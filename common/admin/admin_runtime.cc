#include "common/admin/admin_runtime.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "common/admin/errc.h"
#include "common/admin/metrics.h"

namespace meridian::admin {

Result<AdminServerOptions> parse_admin_listener(std::string_view listener) {
  if (auto scheme = listener.find("://"); scheme != std::string_view::npos) {
    listener.remove_prefix(scheme + 3);  // "http://host:port" is accepted too
  }
  auto colon = listener.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error_code(errc::bad_address);
  }
  std::string_view host = listener.substr(0, colon);
  std::string_view port_text = listener.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return make_error_code(errc::bad_address);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // [::1]:9644
  }
  AdminServerOptions options;
  options.address = host.empty() ? "0.0.0.0" : std::string(host);
  options.port = static_cast<std::uint16_t>(port);
  return options;
}

struct AdminRuntime::Impl {
  Impl(AdminServerOptions options, const prometheus::Collectable& collectable)
      : server(io, collectable, std::move(options)) {}

  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{
      io.get_executor()};
  AdminServer server;
  std::thread thread;
  std::atomic<bool> ran_out{false};
  bool stopped = false;
};

AdminRuntime::AdminRuntime(AdminServerOptions options, const prometheus::Collectable* collectable)
    : impl_(std::make_unique<Impl>(std::move(options),
                                   collectable ? *collectable : registry())) {}

AdminRuntime::~AdminRuntime() { stop(); }

Result<std::uint16_t> AdminRuntime::start() {
  auto port = impl_->server.start();
  if (port && !impl_->thread.joinable()) {
    impl_->thread = std::thread([this] {
      impl_->io.run();
      impl_->ran_out = true;
    });
  }
  return port;
}

AdminServer& AdminRuntime::server() noexcept { return impl_->server; }

void AdminRuntime::stop() {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  impl_->server.stop();
  impl_->work.reset();
  // Connections end once their sockets are closed; a stuck one must not hold up the exit.
  for (int i = 0; i < 200 && impl_->thread.joinable() && !impl_->ran_out; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  impl_->io.stop();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
}

}  // namespace meridian::admin
