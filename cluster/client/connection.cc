#include "cluster/client/connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <deque>
#include <list>
#include <optional>

#include "cluster/protocol/messages.h"
#include "cluster/protocol/supported_apis.h"
#include "common/byte_order.h"
#include "common/log.h"

namespace meridian::client {

namespace asio = boost::asio;
using asio::ip::tcp;
using protocol::Bytes;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Request frame: size(4) api_key(2) api_version(2) correlation_id(4) ...
constexpr size_t kCorrelationIdPos = 8;

// A caller parked until its response arrives or its deadline passes. The timer doubles as the
// wake-up signal: the reader stores the result and cancels the timer.
struct Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<Result<Bytes>> result;
};
}  // namespace

struct Connection::Impl {
  Impl(asio::any_io_executor ex, ConnectionOptions o)
      : executor(ex), socket(ex), write_signal(ex), options(std::move(o)) {}

  asio::any_io_executor executor;
  tcp::socket socket;
  asio::steady_timer write_signal;
  ConnectionOptions options;
  std::deque<Bytes> write_queue;
  std::map<int32_t, std::shared_ptr<Waiter>> pending;
  std::list<std::shared_ptr<Waiter>> slot_waiters;
  int32_t next_correlation_id = 1;
  size_t peak_in_flight = 0;
  bool open = false;
  std::string peer;
  std::map<protocol::ApiKey, std::pair<int16_t, int16_t>> broker_ranges;
  std::map<protocol::ApiKey, int16_t> versions;

  void enqueue(Bytes frame) {
    write_queue.push_back(std::move(frame));
    write_signal.cancel();
  }

  void release_slot() {
    if (!slot_waiters.empty()) {
      slot_waiters.front()->timer.cancel();
      slot_waiters.pop_front();
    }
  }

  // Every waiter learns the connection is gone; nothing is left parked.
  void fail_all(std::error_code ec) {
    open = false;
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    for (auto& [id, waiter] : pending) {
      waiter->result = ec;
      waiter->timer.cancel();
    }
    pending.clear();
    for (auto& waiter : slot_waiters) {
      waiter->timer.cancel();
    }
    slot_waiters.clear();
    write_queue.clear();
    write_signal.cancel();
  }
};

namespace {

asio::awaitable<void> read_loop(std::shared_ptr<Connection::Impl> impl) {
  while (impl->open) {
    uint8_t prefix[protocol::kFrameSizeBytes];
    auto [ec, n] = co_await asio::async_read(impl->socket, asio::buffer(prefix), kUseTuple);
    if (ec) {
      if (impl->open) {
        logger("client")->info("connection to {} lost: {}", impl->peer, ec.message());
      }
      break;
    }
    auto size = protocol::parse_frame_size(prefix, impl->options.max_response_bytes);
    if (!size || *size < 4) {
      logger("client")->warn("broker {} broke response framing; closing", impl->peer);
      break;  // a broker that breaks framing cannot be trusted with anything after it
    }
    Bytes payload(*size);
    auto [ec2, n2] = co_await asio::async_read(impl->socket, asio::buffer(payload), kUseTuple);
    if (ec2) {
      break;
    }
    const int32_t correlation_id = load_be<int32_t>(payload.data());
    auto it = impl->pending.find(correlation_id);
    if (it == impl->pending.end()) {
      continue;  // the answer to a request that already timed out
    }
    auto waiter = std::move(it->second);
    impl->pending.erase(it);
    payload.erase(payload.begin(), payload.begin() + 4);  // response header v0
    waiter->result = std::move(payload);
    waiter->timer.cancel();
    impl->release_slot();
  }
  impl->fail_all(make_error_code(errc::disconnected));
}

// Drains the queue in order, gathering whatever is queued into one write.
asio::awaitable<void> write_loop(std::shared_ptr<Connection::Impl> impl) {
  std::vector<Bytes> batch;
  std::vector<asio::const_buffer> buffers;
  while (impl->open) {
    if (impl->write_queue.empty()) {
      impl->write_signal.expires_at(asio::steady_timer::time_point::max());
      [[maybe_unused]] auto [ec] = co_await impl->write_signal.async_wait(kUseTuple);
      continue;
    }
    batch.clear();
    buffers.clear();
    while (!impl->write_queue.empty() && batch.size() < 64) {
      batch.push_back(std::move(impl->write_queue.front()));
      impl->write_queue.pop_front();
    }
    for (const auto& frame : batch) {
      buffers.emplace_back(frame.data(), frame.size());
    }
    auto [ec, n] = co_await asio::async_write(impl->socket, buffers, kUseTuple);
    if (ec) {
      impl->fail_all(make_error_code(errc::disconnected));
      break;
    }
  }
}

// Sends ApiVersions (v2, or lower when the broker says so per KIP-511) and records the ranges.
asio::awaitable<Result<void>> negotiate(Connection& connection, Connection::Impl& impl) {
  int16_t version = protocol::ApiVersionsRequest::kMaxVersion;
  for (int attempt = 0; attempt < 2; ++attempt) {
    protocol::RequestHeader header;
    header.api_version = version;
    header.client_id = impl.options.client_id;
    protocol::ApiVersionsRequest request;
    auto frame = protocol::encode_request_frame(header, request);
    if (!frame) {
      co_return frame.error();
    }
    Bytes bytes = std::move(*frame);
    auto body = co_await connection.send_frame(std::move(bytes), ExpectResponse::kYes);
    if (!body) {
      co_return body.error();
    }
    auto response = protocol::decode<protocol::ApiVersionsResponse>(*body, version);
    if (!response) {
      // UNSUPPORTED_VERSION answers come in the v0 format whatever we asked for.
      response = protocol::decode<protocol::ApiVersionsResponse>(*body, 0);
    }
    if (!response) {
      co_return make_error_code(errc::bad_response);
    }
    if (response->error_code == protocol::ErrorCode::kUnsupportedVersion && version > 0) {
      version = 0;
      for (const auto& api : response->api_keys) {
        if (api.api_key == protocol::ApiKey::kApiVersions) {
          version = std::min<int16_t>(api.max_version, protocol::ApiVersionsRequest::kMaxVersion);
        }
      }
      continue;
    }
    if (response->error_code != protocol::ErrorCode::kNone) {
      co_return kafka_error(response->error_code);
    }
    for (const auto& api : response->api_keys) {
      impl.broker_ranges[api.api_key] = {api.min_version, api.max_version};
      auto ours = protocol::supported_range(api.api_key);
      if (ours && std::max(ours->min_version, api.min_version) <=
                      std::min(ours->max_version, api.max_version)) {
        impl.versions[api.api_key] = std::min(ours->max_version, api.max_version);
      }
    }
    co_return Result<void>{};
  }
  co_return make_error_code(errc::no_common_version);
}

}  // namespace

asio::awaitable<Result<std::shared_ptr<Connection>>> Connection::connect(
    asio::any_io_executor executor, std::string host, uint16_t port, ConnectionOptions options) {
  auto impl = std::make_shared<Impl>(executor, std::move(options));
  tcp::resolver resolver(executor);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(host, std::to_string(port), kUseTuple);
  if (rec) {
    co_return make_error_code(errc::disconnected);
  }
  // The watchdog closes the socket if the connect outlives connect_timeout.
  asio::steady_timer watchdog(executor);
  watchdog.expires_after(impl->options.connect_timeout);
  watchdog.async_wait([impl](boost::system::error_code ec) {
    if (!ec && !impl->open) {
      boost::system::error_code ignored;
      impl->socket.close(ignored);
    }
  });
  auto [cec, endpoint] = co_await asio::async_connect(impl->socket, endpoints, kUseTuple);
  watchdog.cancel();
  if (cec) {
    co_return make_error_code(errc::disconnected);
  }
  boost::system::error_code ignored;
  impl->socket.set_option(tcp::no_delay(true), ignored);
  impl->open = true;
  impl->peer = host + ":" + std::to_string(port);
  asio::co_spawn(executor, [impl] { return read_loop(impl); }, asio::detached);
  asio::co_spawn(executor, [impl] { return write_loop(impl); }, asio::detached);
  auto connection = std::make_shared<Connection>(impl);
  auto negotiated = co_await negotiate(*connection, *impl);
  if (!negotiated) {
    logger("client")->info("ApiVersions with {} failed: {}", impl->peer,
                           negotiated.error().message());
    connection->close();
    co_return negotiated.error();
  }
  logger("client")->debug("connected to {} ({} APIs in common)", impl->peer,
                          impl->versions.size());
  co_return connection;
}

Connection::Connection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Connection::~Connection() { close(); }

void Connection::close() {
  if (impl_->open) {
    impl_->fail_all(make_error_code(errc::disconnected));
  }
}

bool Connection::is_open() const noexcept { return impl_->open; }
size_t Connection::in_flight() const noexcept { return impl_->pending.size(); }
size_t Connection::peak_in_flight() const noexcept { return impl_->peak_in_flight; }
const std::string& Connection::peer() const noexcept { return impl_->peer; }
const std::string& Connection::client_id() const noexcept { return impl_->options.client_id; }
const std::map<protocol::ApiKey, int16_t>& Connection::versions() const noexcept {
  return impl_->versions;
}

Result<int16_t> Connection::pick_version(protocol::ApiKey key, int16_t min_version,
                                         int16_t max_version) const {
  auto it = impl_->broker_ranges.find(key);
  if (it == impl_->broker_ranges.end()) {
    return make_error_code(errc::no_common_version);
  }
  const int16_t low = std::max(min_version, it->second.first);
  const int16_t high = std::min(max_version, it->second.second);
  if (low > high) {
    return make_error_code(errc::no_common_version);
  }
  return high;
}

asio::awaitable<Result<Bytes>> Connection::send_frame(Bytes frame, ExpectResponse expect) {
  auto impl = impl_;  // keeps the state alive even if the Connection is dropped meanwhile
  const auto deadline = asio::steady_timer::clock_type::now() + impl->options.request_timeout;
  while (impl->open && impl->pending.size() >= impl->options.max_in_flight) {
    auto slot = std::make_shared<Waiter>(impl->executor);
    slot->timer.expires_at(deadline);
    impl->slot_waiters.push_back(slot);
    auto [ec] = co_await slot->timer.async_wait(kUseTuple);
    impl->slot_waiters.remove(slot);
    if (!ec) {
      co_return make_error_code(errc::request_timeout);
    }
  }
  if (!impl->open) {
    co_return make_error_code(errc::disconnected);
  }
  if (frame.size() < kCorrelationIdPos + 4) {
    co_return make_error_code(errc::bad_response);
  }
  const int32_t correlation_id = impl->next_correlation_id++;
  if (impl->next_correlation_id == INT32_MAX) {
    impl->next_correlation_id = 1;
  }
  store_be<int32_t>(frame.data() + kCorrelationIdPos, correlation_id);
  if (expect == ExpectResponse::kNo) {
    impl->enqueue(std::move(frame));
    co_return Bytes{};
  }
  auto waiter = std::make_shared<Waiter>(impl->executor);
  waiter->timer.expires_at(deadline);
  impl->pending.emplace(correlation_id, waiter);
  impl->peak_in_flight = std::max(impl->peak_in_flight, impl->pending.size());
  impl->enqueue(std::move(frame));
  [[maybe_unused]] auto [ec] = co_await waiter->timer.async_wait(kUseTuple);
  if (waiter->result) {
    co_return std::move(*waiter->result);
  }
  impl->pending.erase(correlation_id);
  impl->release_slot();
  co_return make_error_code(errc::request_timeout);
}

}  // namespace meridian::client
