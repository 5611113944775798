#include "cli/dev_control.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <thread>

#include "common/log.h"

namespace meridian::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kIoTimeout = std::chrono::seconds(5);
}  // namespace

struct DevControl::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  DevControlHandler handler;
  std::thread thread;
  uint16_t port = 0;
};

DevControl::DevControl(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DevControl::~DevControl() { stop(); }
uint16_t DevControl::port() const noexcept { return impl_->port; }

// One request per connection: read, handle (may block while a broker restarts), answer, close.
static asio::awaitable<void> serve(tcp::socket socket, DevControl::Impl* impl) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.body_limit(4096);
  stream.expires_after(kIoTimeout);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  (void)n;
  if (ec) {
    co_return;
  }
  const auto& req = parser.get();
  DevControlReply reply =
      impl->handler(std::string(req.method_string()), std::string(req.target()));
  http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = reply.body + "\n";
  res.prepare_payload();
  stream.expires_after(kIoTimeout);
  auto [wec, wn] = co_await http::async_write(stream, res, kUseTuple);
  (void)wec;
  (void)wn;
}

static asio::awaitable<void> accept_loop(DevControl::Impl* impl) {
  while (impl->acceptor.is_open()) {
    auto [ec, socket] = co_await impl->acceptor.async_accept(kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !impl->acceptor.is_open()) {
        co_return;
      }
      continue;
    }
    co_await serve(std::move(socket), impl);
  }
}

Result<std::unique_ptr<DevControl>> DevControl::start(const std::string& host, uint16_t port,
                                                      DevControlHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return ec;
  }
  tcp::endpoint endpoint(address, port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    impl->acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl->acceptor.listen(16, ec);
  }
  if (ec) {
    return ec;
  }
  impl->port = impl->acceptor.local_endpoint().port();
  Impl* raw = impl.get();
  asio::co_spawn(raw->io, accept_loop(raw), asio::detached);
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<DevControl>(new DevControl(std::move(impl)));
}

void DevControl::stop() {
  if (!impl_ || !impl_->thread.joinable()) {
    return;
  }
  asio::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
  impl_->io.stop();
  impl_->thread.join();
}

}  // namespace meridian::cli
