#pragma once
// KafkaServer: the TCP listener of the Kafka wire protocol (default port 9092). It frames
// requests (4-byte big-endian size prefix, KIP-less classic framing) and hands each frame to a
// RequestHandler. Responses leave in request order. A connection starts its next request when
// the previous one finished or called ConnectionInfo::release_order (a produce does once its
// batches are appended, before waiting for replication): acks=all produces to different
// partitions of one leader then wait for their followers together instead of one after the
// other, while appends keep the connection's order. At most kMaxPipelined requests per
// connection are started and not yet answered.
//
// Strand model: each connection runs on its own strand (its reader, its writer and the
// coroutines of its handlers). Handlers must not block; long waits are awaited.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace meridian::broker {

struct ConnectionInfo {
  uint64_t id = 0;
  std::string peer;  // "ip:port"
  // Set per request by KafkaServer (may be empty elsewhere): the handler calls it, from any
  // thread and at most once, when everything later requests must observe is done (e.g. the
  // appends of a produce); the connection may then start its next request.
  std::function<void()> release_order;
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
  struct Pipeline;
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, uint64_t id);
  void start_request(const boost::asio::any_io_executor& strand,
                     const std::shared_ptr<Pipeline>& pipe, const ConnectionInfo& info,
                     std::shared_ptr<std::vector<uint8_t>> frame);
  boost::asio::awaitable<void> write_responses(boost::asio::ip::tcp::socket& socket,
                                               std::shared_ptr<Pipeline> pipe);

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
