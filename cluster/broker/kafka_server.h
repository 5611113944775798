#pragma once
// KafkaServer: the TCP listener of the Kafka wire protocol (default port 9092). It frames
// requests (4-byte big-endian size prefix, KIP-less classic framing) and hands each frame to a
// RequestHandler. Like Kafka's SocketServer, a connection has at most one request in flight: the
// next frame is read only after the previous response is written, which keeps responses in
// request order without a reorder buffer.
//
// Strand model: each connection is one coroutine on the io_context; the handler runs in it.
// Handlers must not block; long waits (long-poll fetch, acks=all) are awaited.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace meridian::broker {

struct ConnectionInfo {
  uint64_t id = 0;
  std::string peer;  // "ip:port"
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // `frame` is one request without its size prefix (header + body). It is the connection's own
  // buffer, valid until the returned awaitable completes; handlers may modify it in place (the
  // produce path stamps offsets into batch headers without copying them). Returns a complete
  // response frame, size prefix included, or nullopt to send nothing (acks=0 produce).
  // Returning an empty vector closes the connection (undecodable request: Kafka closes too).
  virtual boost::asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, std::span<uint8_t> frame) = 0;
};

struct KafkaServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9092;  // 0: the OS picks; see port()
  // socket.request.max.bytes: larger frames close the connection (Kafka does the same).
  uint32_t max_request_bytes = 100 * 1024 * 1024;
  // connections.max.idle.ms
  std::chrono::milliseconds idle_timeout{600000};
};

class KafkaServer {
 public:
  // `handler` must outlive the server.
  KafkaServer(boost::asio::io_context& io, KafkaServerOptions options, RequestHandler& handler);
  ~KafkaServer();
  KafkaServer(const KafkaServer&) = delete;
  KafkaServer& operator=(const KafkaServer&) = delete;

  // Binds and starts accepting. Throws boost::system::system_error if the port is taken
  // (start-up error: the caller logs it and exits).
  void start();
  // Stops accepting new connections; open connections go on.
  void shutdown_input();
  // Closes the listener and every connection.
  void stop();

  uint16_t port() const noexcept { return port_; }
  uint64_t connections_accepted() const noexcept { return accepted_.load(); }
  uint64_t frames_rejected() const noexcept { return rejected_.load(); }

 private:
  struct Connections;
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, uint64_t id);

  boost::asio::io_context& io_;
  KafkaServerOptions options_;
  RequestHandler& handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<Connections> connections_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> rejected_{0};
};

}  // namespace meridian::broker
