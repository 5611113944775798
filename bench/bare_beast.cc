// The ceiling for bench/gateway.sh: a bare Boost.Beast HTTP/1.1 server on the same model as the
// gateway (C++20 coroutines, one strand per connection, keep-alive, N threads) that reads each
// request (body included) and answers 200 with a small JSON body, doing nothing else.
//   bare_beast PORT [THREADS]      prints "listening PORT" and serves until killed.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

asio::awaitable<void> session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser,
                                             asio::as_tuple(asio::use_awaitable));
    if (ec) {
      co_return;
    }
    auto req = parser.release();
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/vnd.kafka.v2+json");
    res.keep_alive(req.keep_alive());
    res.body() = R"({"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}]})";
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !req.keep_alive()) {
      co_return;
    }
  }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(
        asio::make_strand(acceptor.get_executor()), asio::as_tuple(asio::use_awaitable));
    if (ec) {
      continue;
    }
    asio::co_spawn(socket.get_executor(), session(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0);
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  asio::io_context ioc(threads);
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::cout << "listening " << acceptor.local_endpoint().port() << std::endl;
  auto loop = [&acceptor]() -> asio::awaitable<void> { co_await listen(acceptor); };
  asio::co_spawn(ioc, std::move(loop), asio::detached);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) {
    pool.emplace_back([&ioc] { ioc.run(); });
  }
  ioc.run();
  for (auto& t : pool) {
    t.join();
  }
}
