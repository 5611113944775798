#pragma once
// Blocking loopback HTTP client for the gateway tests: raw bytes in, raw bytes out, with socket
// timeouts so a broken server fails a test instead of hanging it.

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace meridian::gateway::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;

class Connection {
 public:
  explicit Connection(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : socket_(ioc_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  // False if the peer closed or reset the connection.
  bool send(std::string_view bytes) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }

  // One response, or nullopt on EOF / timeout / parse failure.
  std::optional<http::response<http::string_body>> read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    boost::system::error_code ec;
    http::read(socket_, buffer_, parser, ec);
    if (ec) {
      return std::nullopt;
    }
    return parser.release();
  }

  // True once the server has closed its side (a read returns EOF or reset), within the socket
  // timeout; discards any bytes before that.
  bool closed_by_peer() {
    char sink[4096];
    for (;;) {
      boost::system::error_code ec;
      socket_.read_some(asio::buffer(sink), ec);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) {
        return true;
      }
      if (ec) {
        return false;  // timeout
      }
    }
  }

  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  asio::io_context ioc_;
  asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

inline std::string request_text(std::string_view method, std::string_view target,
                                std::string_view body = {}, std::string_view headers = {}) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
  out.append(headers);
  if (!body.empty() || method == "POST") {
    out.append("Content-Length: " + std::to_string(body.size()) + "\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

struct Reply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
  bool keep_alive = false;
  nlohmann::json json;  // discarded() if the body is not JSON
};

inline Reply to_reply(const http::response<http::string_body>& r) {
  Reply out;
  out.status = r.result_int();
  out.content_type = std::string(r[http::field::content_type]);
  out.body = r.body();
  out.keep_alive = r.keep_alive();
  out.json = nlohmann::json::parse(out.body, nullptr, false);
  return out;
}

// One request on a fresh connection.
inline Reply round_trip(uint16_t port, std::string_view raw) {
  Connection c(port);
  c.send(raw);
  auto r = c.read();
  return r ? to_reply(*r) : Reply{};
}

}  // namespace meridian::gateway::test
