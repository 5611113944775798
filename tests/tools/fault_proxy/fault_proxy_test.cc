// meridian-fault-proxy as tests and benchmarks use it: a real process, real loopback sockets,
// blocking clients with receive timeouts so that every test ends in bounded time.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "tests/tools/fault_proxy/fault_proxy_client.h"

namespace meridian::fault_proxy {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

uint64_t fnv1a(uint64_t hash, const char* data, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    hash = (hash ^ static_cast<uint8_t>(data[i])) * 1099511628211ull;
  }
  return hash;
}
constexpr uint64_t kFnvBasis = 14695981039346656037ull;

bool send_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t sent = ::send(fd, data, n, MSG_NOSIGNAL);
    if (sent <= 0) {
      return false;
    }
    data += sent;
    n -= static_cast<size_t>(sent);
  }
  return true;
}

// Reads up to n bytes, stopping at EOF, error or the socket's 10 s receive timeout.
size_t recv_exact(int fd, char* data, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::recv(fd, data + got, n - got, 0);
    if (r <= 0) {
      break;
    }
    got += static_cast<size_t>(r);
  }
  return got;
}

int dial(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool readable_within(int fd, std::chrono::milliseconds timeout) {
  pollfd pfd{fd, POLLIN, 0};
  return ::poll(&pfd, 1, static_cast<int>(timeout.count())) > 0;
}

// True if the peer closed or reset the connection within `timeout` (data before that is skipped).
bool closed_within(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  char buffer[4096];
  while (SteadyClock::now() < deadline) {
    if (!readable_within(fd, 50ms)) {
      continue;
    }
    ssize_t r = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      return true;
    }
  }
  return false;
}

// One byte there and back; nullopt if the echo did not come.
std::optional<std::chrono::milliseconds> ping(int fd) {
  const auto start = SteadyClock::now();
  char byte = 'p';
  if (!send_all(fd, &byte, 1) || recv_exact(fd, &byte, 1) != 1 || byte != 'p') {
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
}

// A loopback TCP server running `handler` on each connection in its own thread.
class TestServer {
 public:
  // receive_buffer > 0 pins SO_RCVBUF of accepted sockets (no autotuning) to keep kernel
  // buffering small and predictable.
  explicit TestServer(std::function<void(int)> handler, int receive_buffer = 0)
      : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::listen(listen_fd_, 64);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~TestServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    std::lock_guard lock(mutex_);
    for (int fd : fds_) {
      ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& worker : workers_) {
      worker.join();
    }
    for (int fd : fds_) {
      ::close(fd);
    }
    ::close(listen_fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void accept_loop() {
    for (int fd; (fd = ::accept(listen_fd_, nullptr, nullptr)) >= 0;) {
      timeval timeout{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
      std::lock_guard lock(mutex_);
      fds_.push_back(fd);
      workers_.emplace_back([this, fd] { handler_(fd); });
    }
  }

  std::function<void(int)> handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
};

void echo(int fd) {
  char buffer[65536];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
    if (!send_all(fd, buffer, static_cast<size_t>(n))) {
      return;
    }
  }
  ::shutdown(fd, SHUT_WR);
}

// Reads to EOF, then answers with the byte count and FNV-1a digest of what it read.
void digest(int fd) {
  uint64_t reply[2] = {0, kFnvBasis};
  char buffer[65536];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
    reply[0] += static_cast<uint64_t>(n);
    reply[1] = fnv1a(reply[1], buffer, static_cast<size_t>(n));
  }
  send_all(fd, reinterpret_cast<const char*>(reply), sizeof(reply));
  ::shutdown(fd, SHUT_WR);
}

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

class FaultProxyTest : public ::testing::Test {
 protected:
  void start(const std::vector<std::string>& targets, const std::vector<std::string>& args = {}) {
    std::vector<ProxyRoute> routes;
    for (const std::string& target : targets) {
      routes.push_back({.target = target});
    }
    auto started = proxy_.start(routes, args);
    ASSERT_TRUE(started.has_value()) << started.error().message();
  }
  std::string control(const std::string& command) {
    auto reply = proxy_.control(command);
    EXPECT_TRUE(reply.has_value()) << command;
    return reply.has_value() ? *reply : "";
  }
  void expect_ok(const std::string& command) {
    std::string reply = control(command);
    EXPECT_EQ(reply.rfind("ok", 0), 0u) << command << " -> " << reply;
  }
  // A numeric field of the "stats" reply.
  uint64_t stat(const std::string& key, const std::string& route = "") {
    std::string reply = control(route.empty() ? "stats" : "stats route=" + route);
    size_t at = reply.find(" " + key + "=");
    EXPECT_NE(at, std::string::npos) << reply;
    return at == std::string::npos ? 0 : std::stoull(reply.substr(at + key.size() + 2));
  }

  FaultProxyProcess proxy_;
};

TEST_F(FaultProxyTest, DeliversLargeStreamIntactAndInOrderBothWays) {
  TestServer server(echo);
  start({server.address()});
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<char> data(6 * 1024 * 1024);
  for (char& c : data) {
    c = static_cast<char>(rng());
  }
  Fd client(dial(proxy_.port(0)));
  ASSERT_GE(client.fd, 0);
  std::thread writer([&] {
    send_all(client.fd, data.data(), data.size());
    ::shutdown(client.fd, SHUT_WR);  // the proxy must forward the half-close
  });
  std::vector<char> back(data.size() + 1);
  const size_t got = recv_exact(client.fd, back.data(), back.size());
  writer.join();
  EXPECT_EQ(got, data.size());
  EXPECT_EQ(fnv1a(kFnvBasis, back.data(), got), fnv1a(kFnvBasis, data.data(), data.size()));
  EXPECT_EQ(stat("to_target_bytes"), data.size());
  EXPECT_EQ(stat("to_client_bytes"), data.size());
}

TEST_F(FaultProxyTest, DelayRaisesRoundTripTime) {
  TestServer server(echo);
  start({server.address()});
  Fd client(dial(proxy_.port(0)));
  ASSERT_TRUE(ping(client.fd).has_value());
  expect_ok("delay 50");
  for (int i = 0; i < 5; ++i) {
    auto rtt = ping(client.fd);
    ASSERT_TRUE(rtt.has_value());
    EXPECT_GE(rtt->count(), 90) << "50 ms each way";
    EXPECT_LT(rtt->count(), 5000);
  }
}

TEST_F(FaultProxyTest, StartupFlagsApplyAndListenTargetPairsWork) {
  TestServer server(echo);
  start({server.address()}, {"--listen", "127.0.0.1:0", "--target", server.address(), "--delay-ms",
                             "50", "--seed", "7"});
  EXPECT_NE(control("stats route=1").find("delay_ms=50"), std::string::npos);
  for (size_t route : {0u, 1u}) {
    Fd client(dial(proxy_.port(route)));
    auto rtt = ping(client.fd);
    ASSERT_TRUE(rtt.has_value());
    EXPECT_GE(rtt->count(), 90);
  }
}

TEST_F(FaultProxyTest, JitterNeverReordersTheStream) {
  TestServer server(echo);
  start({server.address()});
  expect_ok("delay 2 30");
  Fd client(dial(proxy_.port(0)));
  constexpr uint32_t kCount = 3000;
  std::thread writer([&] {
    for (uint32_t seq = 0; seq < kCount; ++seq) {
      send_all(client.fd, reinterpret_cast<const char*>(&seq), sizeof(seq));
      if (seq % 10 == 0) {
        std::this_thread::sleep_for(1ms);  // many separate chunks, each with its own jitter
      }
    }
  });
  uint32_t expected = 0;
  for (uint32_t seq = 0; expected < kCount; ++expected) {
    if (recv_exact(client.fd, reinterpret_cast<char*>(&seq), sizeof(seq)) != sizeof(seq)) {
      break;
    }
    ASSERT_EQ(seq, expected);
  }
  writer.join();
  EXPECT_EQ(expected, kCount);
}

TEST_F(FaultProxyTest, BandwidthLimitsThroughput) {
  TestServer server(digest);
  start({server.address()});
  expect_ok("bandwidth 1000000");
  std::vector<char> data(2'000'000, 'b');
  Fd client(dial(proxy_.port(0)));
  const auto start_time = SteadyClock::now();
  ASSERT_TRUE(send_all(client.fd, data.data(), data.size()));
  ::shutdown(client.fd, SHUT_WR);
  uint64_t reply[2] = {0, 0};
  ASSERT_EQ(recv_exact(client.fd, reinterpret_cast<char*>(reply), sizeof(reply)), sizeof(reply));
  const auto elapsed = SteadyClock::now() - start_time;
  EXPECT_EQ(reply[0], data.size());
  EXPECT_EQ(reply[1], fnv1a(kFnvBasis, data.data(), data.size()));
  EXPECT_GE(elapsed, 1800ms) << "2 MB at 1 MB/s";
  EXPECT_LT(elapsed, 30s);
}

TEST_F(FaultProxyTest, CutClosesConnectionsAndRefusesNewOnesUntilHeal) {
  TestServer server(echo);
  start({server.address()});
  Fd before(dial(proxy_.port(0)));
  ASSERT_TRUE(ping(before.fd).has_value());
  expect_ok("cut");
  EXPECT_TRUE(closed_within(before.fd, 3000ms));
  Fd during(dial(proxy_.port(0)));  // accepted by the kernel, then reset by the proxy
  EXPECT_TRUE(during.fd < 0 || closed_within(during.fd, 3000ms));
  EXPECT_GE(stat("refused"), 1u);
  EXPECT_GE(stat("resets"), 2u);
  expect_ok("heal");
  Fd after(dial(proxy_.port(0)));
  EXPECT_TRUE(ping(after.fd).has_value());
}

TEST_F(FaultProxyTest, BlackholeHoldsBytesAndDeliversThemOnHeal) {
  TestServer server(echo);
  start({server.address()});
  Fd open_before(dial(proxy_.port(0)));
  ASSERT_TRUE(ping(open_before.fd).has_value());
  expect_ok("blackhole");
  Fd opened_during(dial(proxy_.port(0)));
  std::vector<char> data(300 * 1024);
  std::mt19937 rng(1);
  for (char& c : data) {
    c = static_cast<char>(rng());
  }
  ASSERT_TRUE(send_all(open_before.fd, data.data(), data.size()));
  char byte = 'x';
  ASSERT_TRUE(send_all(opened_during.fd, &byte, 1));
  EXPECT_FALSE(readable_within(open_before.fd, 400ms)) << "nothing crosses a blackhole";
  EXPECT_FALSE(readable_within(opened_during.fd, 10ms));
  expect_ok("heal");
  std::vector<char> back(data.size());
  ASSERT_EQ(recv_exact(open_before.fd, back.data(), back.size()), data.size());
  EXPECT_EQ(back, data);
  ASSERT_EQ(recv_exact(opened_during.fd, &byte, 1), 1u);
  EXPECT_EQ(byte, 'x');
}

TEST_F(FaultProxyTest, SlowDestinationPushesBackWithBoundedBuffers) {
  TestServer server(
      [](int fd) {
        std::this_thread::sleep_for(1500ms);  // a destination that does not read for a while
        digest(fd);
      },
      64 * 1024);
  constexpr uint64_t kBound = 100'000;
  start({server.address()}, {"--buffer-bytes", std::to_string(kBound)});
  // More than every kernel buffer on the way can hold (client's pinned, the proxy's and the
  // server's), so the writer must block once the proxy stops reading.
  std::vector<char> data(24 * 1024 * 1024);
  std::mt19937 rng(3);
  for (char& c : data) {
    c = static_cast<char>(rng());
  }
  Fd client(dial(proxy_.port(0)));
  const int send_buffer = 64 * 1024;
  ::setsockopt(client.fd, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof(send_buffer));
  std::atomic<bool> written = false;
  std::thread writer([&] {
    send_all(client.fd, data.data(), data.size());
    ::shutdown(client.fd, SHUT_WR);
    written = true;
  });
  std::this_thread::sleep_for(700ms);
  const uint64_t buffered = stat("buffered");
  EXPECT_GT(buffered, 0u);
  EXPECT_LE(buffered, kBound + 64 * 1024) << "the bound plus at most one read";
  EXPECT_FALSE(written) << "the writer must be blocked by TCP flow control";
  uint64_t reply[2] = {0, 0};
  const size_t got = recv_exact(client.fd, reinterpret_cast<char*>(reply), sizeof(reply));
  writer.join();
  ASSERT_EQ(got, sizeof(reply));
  EXPECT_EQ(reply[0], data.size());
  EXPECT_EQ(reply[1], fnv1a(kFnvBasis, data.data(), data.size()));
  EXPECT_EQ(stat("buffered"), 0u);
}

TEST_F(FaultProxyTest, DropProbabilityOneResetsConnections) {
  TestServer server(echo);
  start({server.address()}, {"--seed", "42"});
  expect_ok("drop 1.0");
  for (int i = 0; i < 3; ++i) {
    Fd client(dial(proxy_.port(0)));
    char byte = 'd';
    send_all(client.fd, &byte, 1);
    EXPECT_TRUE(closed_within(client.fd, 3000ms));
  }
  EXPECT_GE(stat("resets"), 3u);
  EXPECT_EQ(stat("to_target_bytes"), 0u);
  expect_ok("drop 0");
  Fd client(dial(proxy_.port(0)));
  EXPECT_TRUE(ping(client.fd).has_value());
}

TEST_F(FaultProxyTest, StatsCountBytesAndConnections) {
  TestServer server(echo);
  start({server.address()});
  Fd client(dial(proxy_.port(0)));
  std::vector<char> data(1000, 's');
  ASSERT_TRUE(send_all(client.fd, data.data(), data.size()));
  ASSERT_EQ(recv_exact(client.fd, data.data(), data.size()), data.size());
  EXPECT_EQ(stat("to_target_bytes"), 1000u);
  EXPECT_EQ(stat("to_client_bytes"), 1000u);
  EXPECT_EQ(stat("accepted"), 1u);
  EXPECT_EQ(stat("open"), 1u);
  expect_ok("reset-stats");
  EXPECT_EQ(stat("to_target_bytes"), 0u);
  EXPECT_EQ(stat("accepted"), 0u);
  EXPECT_EQ(stat("open"), 1u) << "open connections are a gauge, not a counter";
}

TEST_F(FaultProxyTest, ControlRejectsGarbageAndKeepsWorking) {
  TestServer server(echo);
  start({server.address()});
  for (const char* bad : {"bogus", "delay x", "drop 3", "stats route=9", "", "cut now"}) {
    EXPECT_EQ(control(bad).rfind("error ", 0), 0u) << bad;
  }
  Fd raw(dial(proxy_.control_port()));
  std::string flood(5000, 'z');
  flood += "\n";
  send_all(raw.fd, flood.data(), flood.size());
  char reply[64] = {};
  recv_exact(raw.fd, reply, 6);
  EXPECT_EQ(std::string(reply, 6), "error ");
  EXPECT_EQ(control("ping"), "ok pong");
  Fd client(dial(proxy_.port(0)));
  EXPECT_TRUE(ping(client.fd).has_value());
}

TEST_F(FaultProxyTest, BashCanDriveTheControlPort) {
  TestServer server(echo);
  start({server.address()});
  const std::string script = "bash -c 'exec 3<>/dev/tcp/127.0.0.1/" +
                             std::to_string(proxy_.control_port()) +
                             "; echo \"delay 5 route=0\" >&3; read -r reply <&3; echo \"$reply\"'";
  FILE* pipe = ::popen(script.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char line[256] = {};
  const bool got = std::fgets(line, sizeof(line), pipe) != nullptr;
  ::pclose(pipe);
  ASSERT_TRUE(got);
  EXPECT_EQ(std::string(line).rfind("ok delay_ms=5", 0), 0u) << line;
  EXPECT_NE(control("stats route=0").find("delay_ms=5 "), std::string::npos);
}

TEST_F(FaultProxyTest, SeveralRoutesAreIndependent) {
  TestServer east(echo);
  TestServer west(echo);
  start({east.address(), west.address()});
  expect_ok("cut route=0");
  expect_ok("delay 50 route=1");
  Fd to_east(dial(proxy_.port(0)));
  EXPECT_TRUE(to_east.fd < 0 || closed_within(to_east.fd, 3000ms));
  Fd to_west(dial(proxy_.port(1)));
  auto rtt = ping(to_west.fd);
  ASSERT_TRUE(rtt.has_value());
  EXPECT_GE(rtt->count(), 90);
  EXPECT_EQ(stat("to_target_bytes", "1"), 1u);
  EXPECT_EQ(stat("to_target_bytes", "0"), 0u);
  EXPECT_NE(control("stats route=0").find("state=cut"), std::string::npos);
  expect_ok("heal route=0");
  Fd again(dial(proxy_.port(0)));
  EXPECT_TRUE(ping(again.fd).has_value());
}

TEST_F(FaultProxyTest, SurvivesAbruptDisconnectsAndDeadTargets) {
  TestServer server(echo);
  TestServer rude([](int fd) {  // resets every connection at once
    linger hard{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    ::shutdown(fd, SHUT_RDWR);
  });
  int dead_port = 0;
  {
    TestServer gone(echo);
    dead_port = std::stoi(gone.address().substr(10));
  }
  start({server.address(), rude.address(), "127.0.0.1:" + std::to_string(dead_port)});
  std::vector<char> data(256 * 1024, 'r');
  for (int i = 0; i < 10; ++i) {
    Fd client(dial(proxy_.port(0)));
    send_all(client.fd, data.data(), data.size());
    linger hard{1, 0};  // client vanishes with unread echo data in flight
    ::setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  }
  for (size_t route : {1u, 2u}) {
    Fd client(dial(proxy_.port(route)));
    send_all(client.fd, data.data(), 1000);
    EXPECT_TRUE(closed_within(client.fd, 8000ms)) << "route " << route;
  }
  EXPECT_EQ(control("ping"), "ok pong");
  Fd client(dial(proxy_.port(0)));
  EXPECT_TRUE(ping(client.fd).has_value());
}

TEST_F(FaultProxyTest, BadCommandLineFailsToStart) {
  FaultProxyProcess bad;
  EXPECT_FALSE(bad.start({{.target = "not-an-address"}}).has_value());
  EXPECT_FALSE(bad.start({{.target = "127.0.0.1:1"}}, {"--drop-probability", "2"}).has_value());
}

}  // namespace
}  // namespace meridian::fault_proxy
