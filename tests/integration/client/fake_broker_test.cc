// Version negotiation against a scripted broker: a broker that only speaks ApiVersions v0
// (KIP-511 fallback) and advertises Produce only at versions we do not implement.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "cluster/client/connection.h"
#include "cluster/protocol/messages.h"
#include "common/byte_order.h"
#include "tests/integration/client/client_fixture.h"

namespace meridian::client {
namespace {

using asio::ip::tcp;

struct Script {
  std::vector<int16_t> api_versions_seen;
};

// Serves one connection: answers ApiVersions (UNSUPPORTED_VERSION in v0 format for v > 0,
// like a pre-KIP-511 broker would in spirit) and closes on anything else.
asio::awaitable<void> serve_one(tcp::acceptor& acceptor, Script& script) {
  auto socket = co_await acceptor.async_accept(asio::use_awaitable);
  for (;;) {
    uint8_t prefix[4];
    auto [ec, n] = co_await asio::async_read(socket, asio::buffer(prefix),
                                             asio::as_tuple(asio::use_awaitable));
    if (ec) {
      co_return;
    }
    std::vector<uint8_t> payload(static_cast<size_t>(load_be<int32_t>(prefix)));
    co_await asio::async_read(socket, asio::buffer(payload), asio::use_awaitable);
    auto request = protocol::parse_request(payload).value();
    if (request.header.api_key != protocol::ApiKey::kApiVersions) {
      co_return;  // closes
    }
    script.api_versions_seen.push_back(request.header.api_version);
    protocol::ApiVersionsResponse response;
    response.api_keys = {{protocol::ApiKey::kProduce, 9, 9},
                         {protocol::ApiKey::kMetadata, 0, 4},
                         {protocol::ApiKey::kApiVersions, 0, 0}};
    if (request.header.api_version > 0) {
      response.error_code = protocol::ErrorCode::kUnsupportedVersion;
    }
    auto frame = protocol::encode_response_frame(request.header.correlation_id, response, 0);
    co_await asio::async_write(socket, asio::buffer(frame.value().head), asio::use_awaitable);
  }
}

using FakeBrokerTest = ClientFixture;

TEST_F(FakeBrokerTest, FallsBackToApiVersionsV0AndRefusesApisWithoutCommonVersion) {
  tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = acceptor.local_endpoint().port();
  Script script;
  auto server = [&acceptor, &script]() -> asio::awaitable<void> {
    co_await serve_one(acceptor, script);
  };
  asio::co_spawn(io_, std::move(server), asio::detached);
  run([&]() -> asio::awaitable<void> {
    ConnectionOptions o;
    std::string host = "127.0.0.1";
    auto conn = co_await Connection::connect(io_.get_executor(), host, port, o);
    EXPECT_TRUE(conn.has_value()) << conn.error().message();
    if (!conn) {
      co_return;
    }
    EXPECT_EQ(script.api_versions_seen, (std::vector<int16_t>{2, 0}));
    EXPECT_EQ((*conn)->versions().at(protocol::ApiKey::kMetadata), 4);
    EXPECT_FALSE((*conn)->versions().contains(protocol::ApiKey::kProduce));
    protocol::ProduceRequest produce;
    auto refused = co_await (*conn)->request(produce);
    EXPECT_EQ(refused.error(), errc::no_common_version);
    EXPECT_NE(refused.error().message().find("no common version"), std::string::npos);
    protocol::FetchRequest fetch;  // not advertised at all
    auto missing = co_await (*conn)->request(fetch);
    EXPECT_EQ(missing.error(), errc::no_common_version);
    EXPECT_TRUE((*conn)->is_open());  // a refused API does not cost the connection
  });
}

TEST_F(FakeBrokerTest, ConnectRefusedIsDisconnected) {
  uint16_t port = 0;
  {
    tcp::acceptor probe(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  run([&]() -> asio::awaitable<void> {
    ConnectionOptions o;
    std::string host = "127.0.0.1";
    auto conn = co_await Connection::connect(io_.get_executor(), host, port, o);
    EXPECT_FALSE(conn.has_value());
    if (!conn) {
      EXPECT_EQ(conn.error(), errc::disconnected);
    }
  });
}

}  // namespace
}  // namespace meridian::client
