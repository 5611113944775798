#pragma once
// Client internals shared by client.cc (metadata, connections) and client_data.cc (produce,
// fetch, list offsets, admin). Runs on the client's executor only.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/client/client.h"
#include "cluster/client/connection.h"
#include "cluster/protocol/messages.h"

namespace meridian::client {

namespace detail {
inline constexpr auto kUseTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

std::shared_ptr<const ClusterMetadata> merge(const ClusterMetadata& old,
                                             const protocol::MetadataResponse& response,
                                             bool all_topics);
}  // namespace detail

struct Client::State {
  boost::asio::any_io_executor executor;
  ClientOptions options;
  std::optional<std::vector<std::pair<std::string, uint16_t>>> bootstrap;
  std::shared_ptr<const ClusterMetadata> metadata = std::make_shared<const ClusterMetadata>();
  std::map<BrokerId, std::shared_ptr<Connection>> connections;
  std::shared_ptr<Connection> bootstrap_connection;

  ConnectionOptions connection_options() const {
    ConnectionOptions o;
    o.client_id = options.client_id;
    o.connect_timeout = options.connect_timeout;
    o.request_timeout = options.request_timeout;
    o.max_in_flight = options.max_in_flight_per_connection;
    return o;
  }

  boost::asio::awaitable<Result<std::shared_ptr<Connection>>> open(const std::string& host,
                                                             uint16_t port) {
    ConnectionOptions o = connection_options();
    std::string h = host;
    co_return co_await Connection::connect(executor, std::move(h), port, std::move(o));
  }

  boost::asio::awaitable<Result<std::shared_ptr<Connection>>> connection(BrokerId id) {
    auto it = connections.find(id);
    if (it != connections.end() && it->second->is_open()) {
      co_return it->second;
    }
    auto snapshot = metadata;
    auto addr = snapshot->brokers.find(id);
    if (addr == snapshot->brokers.end()) {
      co_return make_error_code(errc::no_broker_reachable);
    }
    auto opened = co_await open(addr->second.host, addr->second.port);
    if (!opened) {
      co_return opened.error();
    }
    auto& slot = connections[id];
    if (slot && slot->is_open()) {  // another coroutine connected first
      (*opened)->close();
      co_return slot;
    }
    slot = *opened;
    co_return slot;
  }

  // Any live connection: an open one, else a bootstrap server, else a known broker.
  boost::asio::awaitable<Result<std::shared_ptr<Connection>>> any_connection() {
    for (auto& [id, c] : connections) {
      if (c->is_open()) {
        co_return c;
      }
    }
    if (bootstrap_connection && bootstrap_connection->is_open()) {
      co_return bootstrap_connection;
    }
    if (!bootstrap) {
      co_return make_error_code(errc::bad_bootstrap);
    }
    for (const auto& [host, port] : *bootstrap) {
      auto opened = co_await open(host, port);
      if (opened) {
        bootstrap_connection = *opened;
        co_return bootstrap_connection;
      }
    }
    auto snapshot = metadata;
    for (const auto& [id, addr] : snapshot->brokers) {
      auto opened = co_await connection(id);
      if (opened) {
        co_return opened;
      }
    }
    co_return make_error_code(errc::no_broker_reachable);
  }

  boost::asio::awaitable<Result<std::shared_ptr<const ClusterMetadata>>> refresh(
      std::vector<std::string> topics) {
    std::error_code last = make_error_code(errc::no_broker_reachable);
    for (int attempt = 0; attempt <= options.max_retries; ++attempt) {
      if (attempt > 0) {
        co_await sleep(options.retry_backoff);
      }
      auto conn = co_await any_connection();
      if (!conn) {
        last = conn.error();
        if (last == errc::bad_bootstrap) {
          break;
        }
        continue;
      }
      protocol::MetadataRequest request;
      if (!topics.empty()) {
        request.topics.emplace();
        for (const auto& t : topics) {
          request.topics->push_back({t});
        }
      }
      request.allow_auto_topic_creation = false;
      auto response = co_await (*conn)->request(request);
      if (!response) {
        last = response.error();
        continue;
      }
      metadata = detail::merge(*metadata, *response, topics.empty());
      co_return metadata;
    }
    co_return last;
  }

  boost::asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    boost::asio::steady_timer timer(executor);
    timer.expires_after(d);
    [[maybe_unused]] auto [ec] = co_await timer.async_wait(detail::kUseTuple);
  }

  // The leader's connection, refreshing metadata once if the partition is unknown.
  boost::asio::awaitable<Result<std::shared_ptr<Connection>>> leader(const std::string& topic,
                                                               PartitionId partition) {
    const PartitionMetadata* p = metadata->partition(topic, partition);
    auto snapshot = metadata;
    if (p == nullptr || p->leader.value < 0) {
      std::vector<std::string> wanted{topic};
      auto refreshed = co_await refresh(std::move(wanted));
      if (!refreshed) {
        co_return refreshed.error();
      }
      snapshot = *refreshed;
      p = snapshot->partition(topic, partition);
      if (p == nullptr) {
        co_return make_error_code(snapshot->topics.contains(topic) ? errc::unknown_partition
                                                                   : errc::unknown_topic);
      }
    }
    if (p->leader.value < 0) {
      co_return make_error_code(errc::leader_not_available);
    }
    co_return co_await connection(p->leader);
  }

  // After a retriable failure: back off, then refresh the topic's metadata.
  boost::asio::awaitable<void> recover(const std::string& topic) {
    co_await sleep(options.retry_backoff);
    std::vector<std::string> wanted{topic};
    auto refreshed = co_await refresh(std::move(wanted));
    (void)refreshed;  // the next attempt reports what still fails
  }
};

}  // namespace meridian::client
