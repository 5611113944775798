#include "cluster/broker/kafka_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstring>
#include <set>
#include <thread>

#include "common/byte_order.h"

namespace meridian::broker {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Echoes the frame back, prefixed by the connection id; "silent" frames get no response,
// "close" frames close the connection, "slow" frames wait 50 ms first, "late" frames let the
// next request start and read their own bytes only 100 ms later.
class EchoHandler : public RequestHandler {
 public:
  asio::awaitable<std::optional<std::vector<uint8_t>>> handle(
      const ConnectionInfo& connection, std::span<uint8_t> frame) override {
    std::string text(frame.begin(), frame.end());
    if (text.starts_with("silent")) {
      co_return std::nullopt;
    }
    if (text.starts_with("close...")) {
      co_return std::vector<uint8_t>{};
    }
    if (text.starts_with("release")) {
      // Lets the next request start, then takes 150 ms to answer (an acks=all produce).
      connection.release_order();
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(150));
      co_await timer.async_wait(asio::use_awaitable);
    }
    if (text.starts_with("late")) {
      connection.release_order();
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
      co_await timer.async_wait(asio::use_awaitable);
      text.assign(frame.begin(), frame.end());  // later requests ran meanwhile
    }
    if (text.starts_with("slow")) {
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await timer.async_wait(asio::use_awaitable);
    }
    std::string out = std::to_string(connection.id) + ":" + text;
    std::vector<uint8_t> response(4 + out.size());
    store_be<int32_t>(response.data(), static_cast<int32_t>(out.size()));
    std::memcpy(response.data() + 4, out.data(), out.size());
    co_return response;
  }
};

class KafkaServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KafkaServerOptions options;
    options.port = 0;
    options.max_request_bytes = 1024;
    server_ = std::make_unique<KafkaServer>(io_, options, handler_);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  tcp::socket connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }
  static void send(tcp::socket& s, const std::string& payload, int32_t size_override = -1) {
    uint8_t prefix[4];
    store_be<int32_t>(prefix, size_override >= 0 ? size_override : static_cast<int32_t>(payload.size()));
    asio::write(s, asio::buffer(prefix));
    asio::write(s, asio::buffer(payload));
  }
  static std::string receive(tcp::socket& s) {
    uint8_t prefix[4];
    asio::read(s, asio::buffer(prefix));
    std::string out(static_cast<size_t>(load_be<int32_t>(prefix)), '\0');
    asio::read(s, asio::buffer(out));
    return out;
  }
  static bool closed_by_peer(tcp::socket& s) {
    uint8_t byte;
    boost::system::error_code ec;
    asio::read(s, asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  asio::io_context io_;
  asio::io_context client_io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  EchoHandler handler_;
  std::unique_ptr<KafkaServer> server_;
  std::thread thread_;
};

TEST_F(KafkaServerTest, AnswersFramesInOrderEvenWhenPipelined) {
  auto s = connect();
  send(s, "slow-request-1");
  send(s, "fast-request-2");
  send(s, "silent-request");
  send(s, "fast-request-3");
  auto r1 = receive(s);
  auto r2 = receive(s);
  auto r3 = receive(s);
  EXPECT_TRUE(r1.ends_with(":slow-request-1")) << r1;
  EXPECT_TRUE(r2.ends_with(":fast-request-2")) << r2;
  EXPECT_TRUE(r3.ends_with(":fast-request-3")) << r3;
}

TEST_F(KafkaServerTest, ReleasedRequestsOverlapAndStillAnswerInOrder) {
  auto s = connect();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= 4; ++i) {
    send(s, "release-" + std::to_string(i));
  }
  send(s, "fast-after");
  for (int i = 1; i <= 4; ++i) {
    auto r = receive(s);
    EXPECT_TRUE(r.ends_with(":release-" + std::to_string(i))) << r;
  }
  EXPECT_TRUE(receive(s).ends_with(":fast-after"));
  // One after the other they take 4 x 150 ms; released, they wait together.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(450));
}

// Request buffers are reused by a connection (no allocation and zero-fill per request): a buffer
// is handed out again only once its request ended, and a reused one shows only its new frame.
TEST_F(KafkaServerTest, ReusedFrameBuffersAreNeitherSharedNorStale) {
  auto s = connect();
  std::string long_frame = "late-" + std::string(600, 'L');
  send(s, long_frame);
  for (int i = 0; i < 8; ++i) {
    send(s, "fast-" + std::to_string(i) + "-frame" + std::string(static_cast<size_t>(i), 'x'));
  }
  auto first = receive(s);
  EXPECT_EQ(first.substr(first.find(':') + 1), long_frame);
  for (int i = 0; i < 8; ++i) {
    auto r = receive(s);
    EXPECT_EQ(r.substr(r.find(':') + 1),
              "fast-" + std::to_string(i) + "-frame" + std::string(static_cast<size_t>(i), 'x'));
  }
  // Long then short on a now idle connection: the short one sees exactly its own bytes.
  for (int round = 0; round < 3; ++round) {
    send(s, "fast-" + std::string(700, 'y'));
    EXPECT_TRUE(receive(s).ends_with(":fast-" + std::string(700, 'y')));
    send(s, "fast-tiny");
    auto r = receive(s);
    EXPECT_EQ(r.substr(r.find(':') + 1), "fast-tiny");
  }
}

TEST_F(KafkaServerTest, UnreleasedRequestsRunOneAfterTheOther) {
  auto s = connect();
  const auto start = std::chrono::steady_clock::now();
  send(s, "slow-request-1");  // frames are at least 8 bytes
  send(s, "slow-request-2");
  send(s, "slow-request-3");
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(receive(s).ends_with(":slow-request-" + std::to_string(i)));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
}

TEST_F(KafkaServerTest, OversizeFrameClosesOnlyThatConnection) {
  auto good = connect();
  auto bad = connect();
  send(bad, "x", 4096);  // claims 4096 bytes > max 1024
  EXPECT_TRUE(closed_by_peer(bad));
  send(good, "still-served");
  EXPECT_TRUE(receive(good).ends_with(":still-served"));
  EXPECT_GE(server_->frames_rejected(), 1u);
}

TEST_F(KafkaServerTest, NegativeAndTinySizesClose) {
  auto a = connect();
  send(a, "abcd", -5 + 0x7fffffff + 1);  // a negative int32 on the wire
  EXPECT_TRUE(closed_by_peer(a));
  auto b = connect();
  send(b, "abc", 3);
  EXPECT_TRUE(closed_by_peer(b));
}

TEST_F(KafkaServerTest, HandlerCanCloseConnection) {
  auto s = connect();
  send(s, "close...now");
  EXPECT_TRUE(closed_by_peer(s));
}

TEST_F(KafkaServerTest, ManyConnectionsGetDistinctIds) {
  std::vector<tcp::socket> sockets;
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    sockets.push_back(connect());
    send(sockets.back(), "hello-server");
    auto r = receive(sockets.back());
    ids.insert(r.substr(0, r.find(':')));
  }
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(server_->connections_accepted(), 20u);
}

}  // namespace
}  // namespace meridian::broker
