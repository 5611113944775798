// The pieces `meridian broker` / `meridian dev` use to serve metrics: admin.listener parsing,
// AdminRuntime (admin server on its own thread) and the gateway's HttpRequestMetrics hook.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "common/admin/admin_runtime.h"
#include "common/admin/errc.h"
#include "common/admin/http_metrics.h"

namespace meridian::admin {
namespace {

// One HTTP/1.1 GET over a fresh loopback connection; returns the raw response.
std::string http_get(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  (void)::write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string exposition(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(ParseAdminListener, AcceptsHostPortForms) {
  auto a = parse_admin_listener("127.0.0.1:9644");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, "127.0.0.1");
  EXPECT_EQ(a->port, 9644);
  auto b = parse_admin_listener(":9645");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->address, "0.0.0.0");
  EXPECT_EQ(b->port, 9645);
  auto c = parse_admin_listener("http://0.0.0.0:0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 0);
  auto d = parse_admin_listener("[::1]:9644");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->address, "::1");
}

TEST(ParseAdminListener, RejectsMalformed) {
  for (const char* bad : {"localhost", "host:", "host:70000", "host:12a", "host:-1", ""}) {
    auto r = parse_admin_listener(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error(), make_error_code(errc::bad_address)) << bad;
  }
}

TEST(AdminRuntime, ServesMetricsAndTurnsNotReadyOnShutdown) {
  prometheus::Registry registry;
  auto& family = prometheus::BuildGauge().Name("meridian_cluster_brokers").Help("h").Register(registry);
  family.Add({{"datacenter", "east"}}).Set(3);
  AdminRuntime rt({.address = "127.0.0.1", .port = 0}, &registry);
  auto port = rt.start();
  ASSERT_TRUE(port);
  ASSERT_NE(*port, 0);
  std::string metrics = http_get(*port, "/metrics");
  EXPECT_NE(metrics.find("200 OK"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("meridian_cluster_brokers{datacenter=\"east\"} 3"), std::string::npos);
  EXPECT_NE(http_get(*port, "/readyz").find("200 OK"), std::string::npos);
  rt.server().begin_shutdown();
  EXPECT_NE(http_get(*port, "/readyz").find("503"), std::string::npos);
  EXPECT_NE(http_get(*port, "/livez").find("200 OK"), std::string::npos);
  rt.stop();
  rt.stop();  // idempotent
  EXPECT_EQ(http_get(*port, "/livez"), "");  // closed
}

TEST(AdminRuntime, BusyPortIsAnError) {
  AdminRuntime first({.address = "127.0.0.1", .port = 0});
  auto port = first.start();
  ASSERT_TRUE(port);
  AdminRuntime second({.address = "127.0.0.1", .port = *port});
  EXPECT_FALSE(second.start());
}

TEST(HttpRequestMetrics, CountsByRouteMethodStatusFromManyThreads) {
  prometheus::Registry registry;
  HttpRequestMetrics east({{"datacenter", "east"}}, registry);
  HttpRequestMetrics west({{"datacenter", "west"}}, registry);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        east.observe("/topics/{topic}", "POST", 200, 0.002);
      }
      east.observe("/topics/{topic}", "POST", 503, 0.5);
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  west.observe("/topics", "GET", 200, 0.001);
  std::string text = exposition(registry);
  EXPECT_NE(text.find("meridian_http_requests_total{datacenter=\"east\",method=\"POST\","
                      "route=\"/topics/{topic}\",status=\"200\"} 1000"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("status=\"503\"} 4"), std::string::npos) << text;
  EXPECT_NE(text.find("meridian_http_request_duration_seconds_count{datacenter=\"east\","
                      "method=\"POST\",route=\"/topics/{topic}\"} 1004"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("meridian_http_requests_total{datacenter=\"west\",method=\"GET\","
                      "route=\"/topics\",status=\"200\"} 1"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace meridian::admin
