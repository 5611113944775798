#include "common/admin/admin_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/admin/errc.h"
#include "common/admin/metrics.h"

namespace meridian::admin {
namespace {

namespace http = boost::beast::http;
using namespace std::chrono_literals;

// A blocking loopback client: sends `request` bytes, reads until the server closes or
// `timeout` passes. Returns the raw response bytes.
std::string roundtrip(std::uint16_t port, const std::string& request,
                      std::chrono::milliseconds timeout = 5s) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return "";
  }
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    if (!request.empty()) {
      (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    }
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

struct Reply {
  int status = 0;
  std::string headers;
  std::string body;
};

Reply parse(const std::string& raw) {
  Reply reply;
  if (raw.size() > 12 && raw.rfind("HTTP/1.", 0) == 0) {
    reply.status = std::atoi(raw.substr(9, 3).c_str());
  }
  const std::size_t end = raw.find("\r\n\r\n");
  if (end != std::string::npos) {
    reply.headers = raw.substr(0, end);
    reply.body = raw.substr(end + 4);
  }
  return reply;
}

Reply request(std::uint16_t port, const std::string& method, const std::string& target) {
  return parse(roundtrip(
      port, method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(AdminServerOptions options) {
    options.port = 0;
    server_ = std::make_unique<AdminServer>(io_, registry_, options);
    auto port = server_->start();
    ASSERT_TRUE(port.has_value()) << port.error().message();
    port_ = *port;
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    server_.reset();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  prometheus::Registry registry_;
  std::unique_ptr<AdminServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(AdminServerTest, MetricsShowBuildInfoAndCountersMove) {
  register_build_info(registry_, "1.2.3", "abc123");
  const BrokerMetrics m = broker_metrics({}, registry_);
  prometheus::Counter& produced = m.records_produced.add({{"topic", "orders"}});

  Reply before = request(port_, "GET", "/metrics");
  ASSERT_EQ(before.status, 200);
  EXPECT_NE(before.headers.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(before.body.find("meridian_build_info{revision=\"abc123\",version=\"1.2.3\"} 1"),
            std::string::npos)
      << before.body;
  EXPECT_NE(before.body.find("meridian_records_produced_total{topic=\"orders\"} 0"),
            std::string::npos);

  produced.Increment(5);
  Reply after = request(port_, "GET", "/metrics");
  EXPECT_NE(after.body.find("meridian_records_produced_total{topic=\"orders\"} 5"),
            std::string::npos)
      << after.body;
}

TEST_F(AdminServerTest, PromtoolAcceptsTheExposition) {
  add_example_series_for_test(registry_);
  Reply reply = request(port_, "GET", "/metrics");
  ASSERT_EQ(reply.status, 200);
  const auto dir = std::filesystem::temp_directory_path();
  const auto good = dir / ("meridian_admin_metrics_" + std::to_string(::getpid()) + ".txt");
  const auto bad = dir / ("meridian_admin_bad_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(good) << reply.body;
  // The negative control proves the lint can fail: milliseconds and no _total suffix.
  std::ofstream(bad) << "# HELP foo_ms x\n# TYPE foo_ms counter\nfoo_ms 1\n";
  const int good_rc = std::system(("/usr/bin/promtool check metrics < " + good.string()).c_str());
  const int bad_rc = std::system(
      ("/usr/bin/promtool check metrics < " + bad.string() + " >/dev/null 2>&1").c_str());
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
  EXPECT_EQ(good_rc, 0) << reply.body;
  EXPECT_NE(bad_rc, 0);
  for (std::string_view name : {"meridian_build_info", "meridian_mirror_link_state",
                                "meridian_http_request_duration_seconds_bucket"}) {
    EXPECT_NE(reply.body.find(name), std::string::npos) << name;
  }
}

TEST_F(AdminServerTest, LivenessIgnoresChecksAndShutdown) {
  server_->add_readiness_check("broker", [] { return CheckResult{false, "unreachable"}; });
  server_->begin_shutdown();
  for (const char* path : {"/livez", "/healthz"}) {
    Reply reply = request(port_, "GET", path);
    EXPECT_EQ(reply.status, 200) << path;
    EXPECT_EQ(reply.body, "ok") << path;
  }
  Reply verbose = request(port_, "GET", "/livez?verbose");
  EXPECT_EQ(verbose.status, 200);
  EXPECT_NE(verbose.body.find("[+]ping ok"), std::string::npos);
  EXPECT_NE(verbose.body.find("livez check passed"), std::string::npos);
}

TEST_F(AdminServerTest, ReadinessFollowsChecks) {
  std::atomic<bool> metadata_loaded{false};
  EXPECT_EQ(request(port_, "GET", "/readyz").status, 200);
  server_->add_readiness_check("log_recovery", [] { return CheckResult{true, "done"}; });
  server_->add_readiness_check("metadata", [&] {
    return metadata_loaded ? CheckResult{true, ""} : CheckResult{false, "no broker reachable"};
  });
  for (const char* path : {"/readyz", "/v1/status/ready"}) {
    Reply reply = request(port_, "GET", path);
    EXPECT_EQ(reply.status, 503) << path;
    EXPECT_EQ(reply.body, "not ready");
  }
  Reply verbose = request(port_, "GET", "/readyz?verbose");
  EXPECT_EQ(verbose.status, 503);
  EXPECT_NE(verbose.body.find("[+]log_recovery ok: done\n"), std::string::npos) << verbose.body;
  EXPECT_NE(verbose.body.find("[-]metadata failed: no broker reachable\n"), std::string::npos);
  EXPECT_NE(verbose.body.find("[+]shutdown ok\n"), std::string::npos);
  EXPECT_NE(verbose.body.find("readyz check failed"), std::string::npos);

  metadata_loaded = true;
  Reply ready = request(port_, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ok");
  Reply ready_verbose = request(port_, "GET", "/v1/status/ready?verbose=true");
  EXPECT_NE(ready_verbose.body.find("[+]metadata ok\n"), std::string::npos);
  EXPECT_NE(ready_verbose.body.find("readyz check passed"), std::string::npos);
  EXPECT_EQ(request(port_, "GET", "/readyz?verbose=0").body, "ok");
}

TEST_F(AdminServerTest, ReadinessTurns503OnShutdown) {
  server_->add_readiness_check("log_recovery", [] { return CheckResult{true, ""}; });
  EXPECT_EQ(request(port_, "GET", "/readyz").status, 200);
  EXPECT_FALSE(server_->shutting_down());
  server_->begin_shutdown();
  EXPECT_TRUE(server_->shutting_down());
  EXPECT_EQ(request(port_, "GET", "/readyz").status, 503);
  EXPECT_EQ(request(port_, "GET", "/v1/status/ready").status, 503);
  Reply verbose = request(port_, "GET", "/readyz?verbose");
  EXPECT_NE(verbose.body.find("[-]shutdown failed: graceful shutdown in progress"),
            std::string::npos);
  EXPECT_EQ(request(port_, "GET", "/metrics").status, 200) << "scrapes continue while draining";
}

TEST_F(AdminServerTest, ThrowingCheckCountsAsFailed) {
  server_->add_readiness_check("flaky", []() -> CheckResult { throw std::runtime_error("boom"); });
  Reply verbose = request(port_, "GET", "/readyz?verbose");
  EXPECT_EQ(verbose.status, 503);
  EXPECT_NE(verbose.body.find("[-]flaky failed: check threw: boom"), std::string::npos);
  EXPECT_EQ(request(port_, "GET", "/livez").status, 200);
}

TEST_F(AdminServerTest, UnknownPathsAndMethods) {
  EXPECT_EQ(request(port_, "GET", "/nope").status, 404);
  EXPECT_EQ(request(port_, "GET", "/metrics/extra").status, 404);
  EXPECT_EQ(request(port_, "POST", "/nope").status, 404);
  for (const char* method : {"POST", "PUT", "DELETE", "HEAD"}) {
    const std::string raw = roundtrip(port_, std::string(method) +
                                                 " /metrics HTTP/1.1\r\nHost: x\r\n"
                                                 "Content-Length: 0\r\nConnection: close\r\n\r\n");
    Reply reply = parse(raw);
    EXPECT_EQ(reply.status, 405) << method;
    EXPECT_NE(reply.headers.find("Allow: GET"), std::string::npos) << method;
  }
}

TEST_F(AdminServerTest, MalformedRequestsDoNotKillTheServer) {
  Reply garbage = parse(roundtrip(port_, "GARBAGE\r\n\r\n"));
  EXPECT_EQ(garbage.status, 400);
  Reply bad_version = parse(roundtrip(port_, "GET /livez HTTP/9.9\r\n\r\n"));
  EXPECT_EQ(bad_version.status, 400);
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937 rng(seed);
  for (int i = 0; i < 20; ++i) {
    std::string noise(1 + rng() % 300, '\0');
    for (char& c : noise) {
      c = static_cast<char>(rng());
    }
    (void)roundtrip(port_, noise + "\r\n\r\n", 2s);
  }
  // A client that connects and disconnects without a byte.
  (void)roundtrip(port_, "", 100ms);
  EXPECT_EQ(request(port_, "GET", "/livez").status, 200);
}

TEST_F(AdminServerTest, LimitsRejectOversizedRequests) {
  Reply body = parse(
      roundtrip(port_, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"));
  EXPECT_EQ(body.status, 413);
  const std::string huge_header(20 * 1024, 'a');
  Reply header = parse(
      roundtrip(port_, "GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + huge_header + "\r\n\r\n"));
  EXPECT_EQ(header.status, 431);
  EXPECT_EQ(request(port_, "GET", "/livez").status, 200);
}

TEST_F(AdminServerTest, KeepAliveServesPipelinedRequests) {
  const std::string raw = roundtrip(port_,
                                    "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"
                                    "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::size_t count = 0;
  for (std::size_t at = raw.find("HTTP/1.1 200"); at != std::string::npos;
       at = raw.find("HTTP/1.1 200", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 2u) << raw;
}

TEST_F(AdminServerTest, StartTwiceIsAnError) {
  auto again = server_->start();
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), make_error_code(errc::already_started));
}

TEST_F(AdminServerTest, StopClosesListenerAndConnections) {
  server_->stop();
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {  // stop() is posted to the server's strand
    refused = roundtrip(port_, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n", 500ms).empty();
    if (!refused) {
      std::this_thread::sleep_for(10ms);
    }
  }
  EXPECT_TRUE(refused);
}

TEST(AdminServerStandalone, IdleConnectionTimesOut) {
  boost::asio::io_context io;
  prometheus::Registry registry;
  AdminServerOptions options;
  options.port = 0;
  options.io_timeout = 200ms;
  AdminServer server(io, registry, options);
  auto port = server.start();
  ASSERT_TRUE(port.has_value());
  std::thread runner([&] { io.run_for(10s); });
  const auto began = std::chrono::steady_clock::now();
  const std::string raw = roundtrip(*port, "", 5s);  // sends nothing, waits for close
  const auto waited = std::chrono::steady_clock::now() - began;
  EXPECT_TRUE(raw.empty());
  EXPECT_LT(waited, 4s) << "server should close an idle connection after io_timeout";
  server.stop();
  io.stop();
  runner.join();
}

TEST(AdminServerStandalone, BadAddressAndPortInUse) {
  boost::asio::io_context io;
  prometheus::Registry registry;
  AdminServerOptions bad;
  bad.address = "not-an-ip";
  AdminServer bad_server(io, registry, bad);
  auto rejected = bad_server.start();
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error(), make_error_code(errc::bad_address));

  AdminServerOptions first_options;
  first_options.port = 0;
  AdminServer first(io, registry, first_options);
  auto port = first.start();
  ASSERT_TRUE(port.has_value());
  AdminServerOptions second_options;
  second_options.port = *port;
  AdminServer second(io, registry, second_options);
  auto clash = second.start();
  EXPECT_FALSE(clash.has_value()) << "two listeners on one port";
}

TEST(AdminServerStandalone, HandleRoutesWithoutSockets) {
  boost::asio::io_context io;
  prometheus::Registry registry;
  AdminServer server(io, registry);
  HttpRequest req{http::verb::get, "/healthz", 11};
  EXPECT_EQ(server.handle(req).result(), http::status::ok);
  req.target("/v1/status/ready?verbose");
  HttpResponse ready = server.handle(req);
  EXPECT_EQ(ready.result(), http::status::ok);
  EXPECT_NE(ready.body().find("readyz check passed"), std::string::npos);
  req.method(http::verb::post);
  EXPECT_EQ(server.handle(req).result(), http::status::method_not_allowed);
}

TEST(AdminServerStandalone, DestroyingTheServerClosesOpenConnections) {
  boost::asio::io_context io;
  prometheus::Registry registry;
  auto work = boost::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  std::string raw = "unset";
  std::chrono::steady_clock::duration waited{};
  std::thread client;
  {
    AdminServerOptions options;
    options.port = 0;
    AdminServer server(io, registry, options);
    auto started = server.start();
    ASSERT_TRUE(started.has_value());
    const std::uint16_t port = *started;
    client = std::thread([&raw, &waited, port] {
      const auto began = std::chrono::steady_clock::now();
      raw = roundtrip(port, "GET /livez HTTP/1.1\r\nHost: x\r\n", 5s);  // headers unfinished
      waited = std::chrono::steady_clock::now() - began;
    });
    std::this_thread::sleep_for(200ms);  // the server now waits for the rest of the request
  }
  client.join();
  work.reset();
  io.stop();
  runner.join();
  EXPECT_TRUE(raw.empty()) << "closed without a response";
  EXPECT_LT(waited, 3s) << "destruction must close the connection, not wait for io_timeout";
}

}  // namespace
}  // namespace meridian::admin
