#include "cluster/broker/kafka_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>

#include <deque>
#include <map>
#include <mutex>

#include "cluster/broker/detail/frame_pool.h"
#include "common/byte_order.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Requests of one connection started but not yet answered (clients pipeline up to ~5-64).
constexpr size_t kMaxPipelined = 32;
// Request buffers a connection keeps for reuse, and the largest one it keeps (a produce of
// 256 KiB batches fits; larger frames are allocated per request and freed).
constexpr size_t kPooledFrames = 4;
constexpr size_t kMaxPooledFrameBytes = 2 * 1024 * 1024;

// Waits on `op` for at most `timeout`; returns nullopt on timeout (the op is cancelled).
template <class T>
asio::awaitable<std::optional<T>> with_timeout(asio::awaitable<T> op,
                                               std::chrono::milliseconds timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto result = co_await (std::move(op) || timer.async_wait(kUseTuple));
  if (result.index() == 1) {
    co_return std::nullopt;
  }
  co_return std::get<0>(std::move(result));
}
}  // namespace

// Open sockets by connection id, so stop() can close them.
struct KafkaServer::Connections {
  std::mutex mutex;
  std::map<uint64_t, tcp::socket*> open;
  uint64_t next_id = 1;
};

KafkaServer::KafkaServer(asio::io_context& io, KafkaServerOptions options, RequestHandler& handler)
    : io_(io),
      options_(std::move(options)),
      handler_(handler),
      acceptor_(io),
      connections_(std::make_unique<Connections>()) {}

KafkaServer::~KafkaServer() = default;

void KafkaServer::start() {
  tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void KafkaServer::shutdown_input() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void KafkaServer::stop() {
  shutdown_input();
  std::lock_guard lock(connections_->mutex);
  for (auto& [id, socket] : connections_->open) {
    boost::system::error_code ignored;
    socket->shutdown(tcp::socket::shutdown_both, ignored);
    socket->close(ignored);
  }
}

asio::awaitable<void> KafkaServer::accept_loop() {
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
        break;
      }
      logger("kafka")->warn("accept failed: {}", ec.message());
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    uint64_t id;
    {
      std::lock_guard lock(connections_->mutex);
      id = connections_->next_id++;
    }
    accepted_.fetch_add(1);
    // Each connection runs on its own strand: its reader, writer and handlers share state.
    asio::co_spawn(asio::make_strand(io_), serve(std::move(socket), id), [id](std::exception_ptr e) {
      // A third-party throw ends only this session; the listener survives.
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          logger("kafka")->error("connection {} ended by exception: {}", id, ex.what());
        }
      }
    });
  }
}

// One connection's requests in flight, oldest first. serve() reads and starts them,
// write_responses() sends their answers in request order. Touched only on the connection's
// strand; `wake` is cancelled on every change and both coroutines re-check their condition.
struct KafkaServer::Pipeline {
  struct Slot {
    bool done = false;
    bool released = false;  // the handler let the next request start (ConnectionInfo)
    std::optional<std::vector<uint8_t>> response;
  };
  explicit Pipeline(const asio::any_io_executor& strand) : wake(strand) {
    wake.expires_at(asio::steady_timer::time_point::max());
  }
  asio::steady_timer wake;
  std::deque<std::shared_ptr<Slot>> slots;  // started, answer not written yet
  std::shared_ptr<Slot> newest;
  bool reader_done = false;
  bool writer_done = false;
  // Finished requests' buffers, reused: a fresh vector per request cost a malloc, a memset of
  // the whole frame and, above malloc's mmap threshold, page faults on every produce
  // (bench/RESULTS.md, session 4 profile). A reused one zero-fills at most what it grows by.
  std::vector<std::shared_ptr<std::vector<uint8_t>>> free_frames;

  std::shared_ptr<std::vector<uint8_t>> take_frame(size_t size) {
    std::shared_ptr<std::vector<uint8_t>> frame;
    if (!free_frames.empty()) {
      frame = std::move(free_frames.back());
      free_frames.pop_back();
    } else {
      frame = std::make_shared<std::vector<uint8_t>>();
    }
    frame->resize(size);
    return frame;
  }
  void give_frame(std::shared_ptr<std::vector<uint8_t>> frame) {
    if (frame.use_count() == 1 && frame->capacity() <= kMaxPooledFrameBytes &&
        free_frames.size() < kPooledFrames) {
      free_frames.push_back(std::move(frame));
    }
  }

  void poke() { wake.cancel(); }
  asio::awaitable<void> wait() {
    // cancel() leaves the expiry at max: the next wait waits again.
    [[maybe_unused]] auto [ec] = co_await wake.async_wait(kUseTuple);
  }
  // The next request may start: the newest finished or released its order, and there is room.
  bool may_start_next() const {
    return slots.size() < kMaxPipelined && (!newest || newest->done || newest->released);
  }
};

asio::awaitable<void> KafkaServer::serve(tcp::socket socket, uint64_t id) {
  auto strand = co_await asio::this_coro::executor;
  ConnectionInfo info{id, "", {}};
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (!ec) {
    info.peer = remote.address().to_string() + ":" + std::to_string(remote.port());
  }
  {
    std::lock_guard lock(connections_->mutex);
    connections_->open[id] = &socket;
  }
  auto pipe = std::make_shared<Pipeline>(strand);
  auto writer = [this, &socket, pipe]() -> asio::awaitable<void> {
    co_await write_responses(socket, pipe);
  };
  asio::co_spawn(strand, std::move(writer), asio::detached);
  uint8_t size_prefix[4];
  while (true) {
    while (!pipe->writer_done && !pipe->may_start_next()) {
      co_await pipe->wait();
    }
    if (pipe->writer_done) {
      break;  // a write failed or a handler asked to close
    }
    auto header = co_await with_timeout(
        asio::async_read(socket, asio::buffer(size_prefix), kUseTuple), options_.idle_timeout);
    if (!header || std::get<0>(*header)) {
      break;  // idle timeout, EOF or reset
    }
    auto size = load_be<int32_t>(size_prefix);
    if (size < 8 || static_cast<uint32_t>(size) > options_.max_request_bytes) {
      rejected_.fetch_add(1);
      logger("kafka")->warn("closing connection {} from {}: request size {} outside [8, {}]", id,
                            info.peer, size, options_.max_request_bytes);
      break;
    }
    // Each request owns its frame: handlers run concurrently and may stamp it in place.
    auto frame = pipe->take_frame(static_cast<size_t>(size));
    auto [read_ec, n] = co_await asio::async_read(socket, asio::buffer(*frame), kUseTuple);
    if (read_ec) {
      break;
    }
    start_request(strand, pipe, info, std::move(frame));
  }
  pipe->reader_done = true;
  pipe->poke();
  while (!pipe->writer_done) {
    co_await pipe->wait();  // the writer sends what is answered, then leaves; it uses `socket`
  }
  {
    std::lock_guard lock(connections_->mutex);
    connections_->open.erase(id);
  }
  socket.close(ec);
}

void KafkaServer::start_request(const asio::any_io_executor& strand,
                                const std::shared_ptr<Pipeline>& pipe, const ConnectionInfo& info,
                                std::shared_ptr<std::vector<uint8_t>> frame) {
  auto slot = std::make_shared<Pipeline::Slot>();
  pipe->slots.push_back(slot);
  pipe->newest = slot;
  ConnectionInfo request_info = info;
  request_info.release_order = [strand, pipe, slot] {
    asio::post(strand, [pipe, slot] {
      slot->released = true;
      pipe->poke();
    });
  };
  // The completion handler owns the frame: it runs once the handler's coroutine has ended.
  auto run = [this, slot, bytes = std::span<uint8_t>(*frame),
              request_info = std::move(request_info)]() -> asio::awaitable<void> {
    slot->response = co_await handler_.handle(request_info, bytes);
  };
  // A third-party throw ends only this connection (its answer closes it); the listener survives.
  asio::co_spawn(strand, std::move(run), [strand, pipe, slot, id = info.id,
                                          frame = std::move(frame)](std::exception_ptr e) mutable {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        logger("kafka")->error("connection {} ended by exception: {}", id, ex.what());
      }
    }
    bool failed = static_cast<bool>(e);
    asio::post(strand, [pipe, slot, failed, frame = std::move(frame)]() mutable {
      if (failed) {
        slot->response = std::vector<uint8_t>{};
      }
      slot->done = true;
      pipe->give_frame(std::move(frame));
      pipe->poke();
    });
  });
}

asio::awaitable<void> KafkaServer::write_responses(tcp::socket& socket,
                                                   std::shared_ptr<Pipeline> pipe) {
  while (true) {
    while (!(!pipe->slots.empty() && pipe->slots.front()->done) &&
           !(pipe->reader_done && pipe->slots.empty())) {
      co_await pipe->wait();
    }
    if (pipe->slots.empty()) {
      break;  // the reader left and every answer is out
    }
    auto slot = std::move(pipe->slots.front());
    pipe->slots.pop_front();
    pipe->poke();  // room for the reader
    if (!slot->response) {
      continue;  // acks=0
    }
    if (slot->response->empty()) {
      rejected_.fetch_add(1);
      break;
    }
    auto [write_ec, written] =
        co_await asio::async_write(socket, asio::buffer(*slot->response), kUseTuple);
    if (write_ec) {
      break;
    }
    detail::FramePool::instance().give(std::move(*slot->response));  // the next Fetch answer
  }
  pipe->writer_done = true;
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);  // ends the reader's pending read
  pipe->poke();
}

}  // namespace meridian::broker
