#pragma once
// Broker-to-broker request/response over one TCP connection (controller channel, replica
// fetchers). Each call has a deadline; on expiry the socket is closed and the call fails with
// timed_out. One request at a time per socket.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace meridian::broker::detail {

// Errors: host_unreachable-style system errors, timed_out.
boost::asio::awaitable<Result<boost::asio::ip::tcp::socket>> connect_to(
    std::string host, int32_t port, std::chrono::milliseconds timeout);

// Sends `frame` (size prefix included) and returns the response payload after the response
// header, checking the correlation id. Errors: I/O, timed_out, protocol mismatch (EBADMSG).
boost::asio::awaitable<Result<std::vector<uint8_t>>> round_trip(
    boost::asio::ip::tcp::socket& socket, std::vector<uint8_t> frame, int32_t correlation_id,
    std::chrono::milliseconds timeout);

// round_trip() into a buffer the caller keeps across calls (replica fetchers): the payload is
// the first N bytes of `buffer`, N returned. The buffer grows as needed and is never shrunk,
// so a steady stream of answers costs no allocation and no zero-fill.
boost::asio::awaitable<Result<size_t>> round_trip_into(boost::asio::ip::tcp::socket& socket,
                                                       const std::vector<uint8_t>& frame,
                                                       int32_t correlation_id,
                                                       std::chrono::milliseconds timeout,
                                                       std::vector<uint8_t>& buffer);

}  // namespace meridian::broker::detail
