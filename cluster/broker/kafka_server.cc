#include "cluster/broker/kafka_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>

#include <map>
#include <mutex>

#include "common/byte_order.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Waits on `op` for at most `timeout`; returns nullopt on timeout (the op is cancelled).
template <class T>
asio::awaitable<std::optional<T>> with_timeout(asio::awaitable<T> op,
                                               std::chrono::milliseconds timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto result = co_await (std::move(op) || timer.async_wait(kUseTuple));
  if (result.index() == 1) {
    co_return std::nullopt;
  }
  co_return std::get<0>(std::move(result));
}
}  // namespace

// Open sockets by connection id, so stop() can close them.
struct KafkaServer::Connections {
  std::mutex mutex;
  std::map<uint64_t, tcp::socket*> open;
  uint64_t next_id = 1;
};

KafkaServer::KafkaServer(asio::io_context& io, KafkaServerOptions options, RequestHandler& handler)
    : io_(io),
      options_(std::move(options)),
      handler_(handler),
      acceptor_(io),
      connections_(std::make_unique<Connections>()) {}

KafkaServer::~KafkaServer() = default;

void KafkaServer::start() {
  tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void KafkaServer::shutdown_input() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void KafkaServer::stop() {
  shutdown_input();
  std::lock_guard lock(connections_->mutex);
  for (auto& [id, socket] : connections_->open) {
    boost::system::error_code ignored;
    socket->shutdown(tcp::socket::shutdown_both, ignored);
    socket->close(ignored);
  }
}

asio::awaitable<void> KafkaServer::accept_loop() {
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
        break;
      }
      logger("kafka")->warn("accept failed: {}", ec.message());
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    uint64_t id;
    {
      std::lock_guard lock(connections_->mutex);
      id = connections_->next_id++;
    }
    accepted_.fetch_add(1);
    asio::co_spawn(io_, serve(std::move(socket), id), [id](std::exception_ptr e) {
      // A third-party throw ends only this session; the listener survives.
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          logger("kafka")->error("connection {} ended by exception: {}", id, ex.what());
        }
      }
    });
  }
}

asio::awaitable<void> KafkaServer::serve(tcp::socket socket, uint64_t id) {
  ConnectionInfo info{id, ""};
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (!ec) {
    info.peer = remote.address().to_string() + ":" + std::to_string(remote.port());
  }
  {
    std::lock_guard lock(connections_->mutex);
    connections_->open[id] = &socket;
  }
  std::vector<uint8_t> frame;
  uint8_t size_prefix[4];
  while (true) {
    auto header = co_await with_timeout(
        asio::async_read(socket, asio::buffer(size_prefix), kUseTuple), options_.idle_timeout);
    if (!header || std::get<0>(*header)) {
      break;  // idle timeout, EOF or reset
    }
    auto size = load_be<int32_t>(size_prefix);
    if (size < 8 || static_cast<uint32_t>(size) > options_.max_request_bytes) {
      rejected_.fetch_add(1);
      logger("kafka")->warn("closing connection {} from {}: request size {} outside [8, {}]", id,
                            info.peer, size, options_.max_request_bytes);
      break;
    }
    frame.resize(static_cast<size_t>(size));
    auto [read_ec, n] = co_await asio::async_read(socket, asio::buffer(frame), kUseTuple);
    if (read_ec) {
      break;
    }
    auto response = co_await handler_.handle(info, frame);
    if (!response) {
      continue;
    }
    if (response->empty()) {
      rejected_.fetch_add(1);
      break;
    }
    auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(*response), kUseTuple);
    if (write_ec) {
      break;
    }
  }
  {
    std::lock_guard lock(connections_->mutex);
    connections_->open.erase(id);
  }
  socket.close(ec);
}

}  // namespace meridian::broker
