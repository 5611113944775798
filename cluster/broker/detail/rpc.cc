#include "cluster/broker/detail/rpc.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/byte_order.h"

namespace meridian::broker::detail {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr int32_t kMaxResponseBytes = 256 * 1024 * 1024;

// The response's correlation id is read apart from its payload: dropping it from the front of
// the payload afterwards moved every byte of every follower fetch once more. `payload` only
// grows (its size is never cut back; `length` says how much of it is this answer): resizing a
// vector up zero-fills it, and that memset of every fetched byte was 4 % of the broker's CPU
// at acks=all (perf, bench/RESULTS.md session 6) when a fresh vector was filled per fetch.
asio::awaitable<std::error_code> exchange(tcp::socket& socket, const std::vector<uint8_t>& frame,
                                          int32_t& correlation_id, std::vector<uint8_t>& payload,
                                          size_t& length) {
  auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(frame), kUseTuple);
  if (write_ec) {
    co_return write_ec;
  }
  uint8_t prefix[8];  // size, correlation id
  auto [read_ec, n] = co_await asio::async_read(socket, asio::buffer(prefix), kUseTuple);
  if (read_ec) {
    co_return read_ec;
  }
  int32_t size = load_be<int32_t>(prefix);
  if (size < 4 || size > kMaxResponseBytes) {
    co_return std::make_error_code(std::errc::bad_message);
  }
  correlation_id = load_be<int32_t>(prefix + 4);
  length = static_cast<size_t>(size) - 4;
  if (payload.size() < length) {
    payload.resize(length);
  }
  auto [body_ec, m] =
      co_await asio::async_read(socket, asio::buffer(payload.data(), length), kUseTuple);
  co_return body_ec;
}
}  // namespace

asio::awaitable<Result<tcp::socket>> connect_to(std::string host, int32_t port,
                                                std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    co_return std::make_error_code(std::errc::invalid_argument);
  }
  tcp::socket socket(executor);
  asio::steady_timer timer(executor, timeout);
  tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
  auto result = co_await (socket.async_connect(endpoint, kUseTuple) || timer.async_wait(kUseTuple));
  if (result.index() == 1) {
    co_return std::make_error_code(std::errc::timed_out);
  }
  auto [connect_ec] = std::get<0>(result);
  if (connect_ec) {
    co_return std::error_code(connect_ec.value(), std::system_category());
  }
  socket.set_option(tcp::no_delay(true));
  co_return std::move(socket);
}

asio::awaitable<Result<std::vector<uint8_t>>> round_trip(tcp::socket& socket,
                                                         std::vector<uint8_t> frame,
                                                         int32_t correlation_id,
                                                         std::chrono::milliseconds timeout) {
  std::vector<uint8_t> payload;
  auto length = co_await round_trip_into(socket, frame, correlation_id, timeout, payload);
  if (!length) {
    co_return length.error();
  }
  payload.resize(*length);
  co_return payload;
}

asio::awaitable<Result<size_t>> round_trip_into(tcp::socket& socket,
                                                const std::vector<uint8_t>& frame,
                                                int32_t correlation_id,
                                                std::chrono::milliseconds timeout,
                                                std::vector<uint8_t>& buffer) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  int32_t answered = 0;
  size_t length = 0;
  auto result =
      co_await (exchange(socket, frame, answered, buffer, length) || timer.async_wait(kUseTuple));
  if (result.index() == 1) {
    boost::system::error_code ignored;
    socket.close(ignored);
    co_return std::make_error_code(std::errc::timed_out);
  }
  std::error_code ec = std::get<0>(result);
  if (ec) {
    co_return ec;
  }
  if (answered != correlation_id) {
    co_return std::make_error_code(std::errc::bad_message);
  }
  co_return length;
}

}  // namespace meridian::broker::detail
