#pragma once
// Connection: one TCP connection to one broker with pipelined requests. Requests are written in
// the order request() is called, each tagged with a fresh correlation id; a reader coroutine
// matches responses to their waiters, so many requests share the socket without waiting for
// each other (the broker answers in order; we do not rely on it). On connect the connection
// negotiates ApiVersions and afterwards sends every API at the highest version both sides
// implement.
//
// Strand model: every method must be called on the executor given to connect() (one thread or
// a strand); the reader and writer coroutines run there too.
// Errors: disconnected (socket closed, also for every request pending at that moment),
// request_timeout, no_common_version, bad_response, or a codec error.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/client/errc.h"
#include "cluster/protocol/api_key.h"
#include "cluster/protocol/codec.h"
#include "common/result.h"

namespace meridian::client {

struct ConnectionOptions {
  std::string client_id = "meridian-client";
  std::chrono::milliseconds connect_timeout{10000};
  // request.timeout.ms: from the call of request() to the response.
  std::chrono::milliseconds request_timeout{30000};
  // Requests written but not answered; further callers wait for a slot (backpressure).
  size_t max_in_flight = 64;
  // Largest response frame accepted (fetch.max.bytes plus overhead).
  size_t max_response_bytes = 128 * 1024 * 1024;
};

enum class ExpectResponse : bool { kNo = false, kYes = true };

class Connection {
 public:
  struct Impl;
  // Connects, then runs ApiVersions. Errors: disconnected (refused/unreachable),
  // request_timeout, bad_response (ApiVersions undecodable or failed).
  static boost::asio::awaitable<Result<std::shared_ptr<Connection>>> connect(
      boost::asio::any_io_executor executor, std::string host, uint16_t port,
      ConnectionOptions options);

  explicit Connection(std::shared_ptr<Impl> impl);
  ~Connection();  // closes: pending requests fail with disconnected
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Highest version of `key` in [min_version, max_version] that the broker also supports.
  // Errors: no_common_version (also when the broker does not list the API at all).
  Result<int16_t> pick_version(protocol::ApiKey key, int16_t min_version,
                               int16_t max_version) const;

  // Sends a complete request frame (its correlation id is overwritten) and returns the response
  // body after the response header, or an empty body for ExpectResponse::kNo once queued.
  boost::asio::awaitable<Result<protocol::Bytes>> send_frame(protocol::Bytes frame,
                                                             ExpectResponse expect);

  // Encodes `request` at the negotiated version, sends it and decodes the response.
  template <protocol::Message Request>
  boost::asio::awaitable<Result<typename Request::Response>> request(const Request& request) {
    auto version = pick_version(Request::kApiKey, Request::kMinVersion, Request::kMaxVersion);
    if (!version) {
      co_return version.error();
    }
    const int16_t v = *version;
    auto frame = encode(request, v);
    if (!frame) {
      co_return frame.error();
    }
    protocol::Bytes bytes = std::move(*frame);
    auto body = co_await send_frame(std::move(bytes), ExpectResponse::kYes);
    if (!body) {
      co_return body.error();
    }
    auto decoded = protocol::decode<typename Request::Response>(*body, v);
    if (!decoded) {
      co_return make_error_code(errc::bad_response);
    }
    co_return std::move(*decoded);
  }

  // Fire-and-forget (acks=0 produce): completes once queued for writing.
  template <protocol::Message Request>
  boost::asio::awaitable<Result<void>> send_only(const Request& request) {
    auto version = pick_version(Request::kApiKey, Request::kMinVersion, Request::kMaxVersion);
    if (!version) {
      co_return version.error();
    }
    auto frame = encode(request, *version);
    if (!frame) {
      co_return frame.error();
    }
    protocol::Bytes bytes = std::move(*frame);
    auto sent = co_await send_frame(std::move(bytes), ExpectResponse::kNo);
    if (!sent) {
      co_return sent.error();
    }
    co_return Result<void>{};
  }

  bool is_open() const noexcept;
  void close();
  size_t in_flight() const noexcept;
  // Most requests ever awaiting a response at once (shows pipelining in tests and metrics).
  size_t peak_in_flight() const noexcept;
  const std::string& peer() const noexcept;
  // Negotiated version per API (the highest common one), for logs and tests.
  const std::map<protocol::ApiKey, int16_t>& versions() const noexcept;

 private:
  template <protocol::Message Request>
  Result<protocol::Bytes> encode(const Request& request, int16_t version) const {
    protocol::RequestHeader header;
    header.api_version = version;
    header.client_id = client_id();
    return protocol::encode_request_frame(header, request);
  }
  const std::string& client_id() const noexcept;

  std::shared_ptr<Impl> impl_;
};

}  // namespace meridian::client
