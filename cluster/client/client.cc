#include "cluster/client/client.h"

#include <algorithm>
#include <charconv>

#include "cluster/client/detail/client_state.h"

namespace meridian::client {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {

std::optional<std::vector<std::pair<std::string, uint16_t>>> parse_bootstrap(
    const std::string& list) {
  std::vector<std::pair<std::string, uint16_t>> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) {
      end = list.size();
    }
    std::string item = list.substr(start, end - start);
    size_t colon = item.rfind(':');
    uint16_t port = 0;
    if (colon == std::string::npos || colon == 0) {
      return std::nullopt;
    }
    auto [ptr, ec] = std::from_chars(item.data() + colon + 1, item.data() + item.size(), port);
    if (ec != std::errc() || ptr != item.data() + item.size() || port == 0) {
      return std::nullopt;
    }
    out.emplace_back(item.substr(0, colon), port);
    start = end + 1;
  }
  if (out.empty()) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

namespace detail {

std::shared_ptr<const ClusterMetadata> merge(const ClusterMetadata& old,
                                             const protocol::MetadataResponse& response,
                                             bool all_topics) {
  auto next = std::make_shared<ClusterMetadata>();
  next->cluster_id = response.cluster_id;
  next->controller = BrokerId(response.controller_id);
  for (const auto& b : response.brokers) {
    next->brokers[BrokerId(b.node_id)] =
        BrokerAddress{BrokerId(b.node_id), b.host, static_cast<uint16_t>(b.port)};
  }
  if (!all_topics) {
    next->topics = old.topics;
  }
  for (const auto& t : response.topics) {
    TopicMetadata topic;
    topic.name = t.name;
    topic.error = t.error_code;
    topic.internal = t.is_internal;
    for (const auto& p : t.partitions) {
      PartitionMetadata pm;
      pm.id = PartitionId(p.partition_index);
      pm.error = p.error_code;
      pm.leader = BrokerId(p.leader_id);
      pm.leader_epoch = LeaderEpoch(p.leader_epoch);
      for (auto r : p.replica_nodes) pm.replicas.emplace_back(r);
      for (auto r : p.isr_nodes) pm.isr.emplace_back(r);
      topic.partitions.push_back(std::move(pm));
    }
    std::sort(topic.partitions.begin(), topic.partitions.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    if (t.error_code == ErrorCode::kUnknownTopicOrPartition) {
      next->topics.erase(t.name);
    } else {
      next->topics[t.name] = std::move(topic);
    }
  }
  return next;
}

}  // namespace detail

const PartitionMetadata* ClusterMetadata::partition(const std::string& topic,
                                                    PartitionId id) const {
  auto it = topics.find(topic);
  if (it == topics.end()) {
    return nullptr;
  }
  for (const auto& p : it->second.partitions) {
    if (p.id == id) {
      return &p;
    }
  }
  return nullptr;
}

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : state_(std::make_unique<State>()) {
  state_->executor = executor;
  state_->bootstrap = parse_bootstrap(options.bootstrap_servers);
  state_->options = std::move(options);
}

Client::~Client() { close(); }

void Client::close() {
  for (auto& [id, c] : state_->connections) {
    c->close();
  }
  state_->connections.clear();
  if (state_->bootstrap_connection) {
    state_->bootstrap_connection->close();
    state_->bootstrap_connection.reset();
  }
}

const ClientOptions& Client::options() const noexcept { return state_->options; }
asio::any_io_executor Client::executor() const noexcept { return state_->executor; }

std::shared_ptr<const ClusterMetadata> Client::cached_metadata() const { return state_->metadata; }

asio::awaitable<Result<std::shared_ptr<const ClusterMetadata>>> Client::metadata(
    std::vector<std::string> topics) {
  co_return co_await state_->refresh(std::move(topics));
}

asio::awaitable<Result<std::shared_ptr<Connection>>> Client::connection(BrokerId broker) {
  if (!state_->metadata->brokers.contains(broker)) {
    std::vector<std::string> none;
    auto refreshed = co_await state_->refresh(std::move(none));
    (void)refreshed;
  }
  co_return co_await state_->connection(broker);
}

}  // namespace meridian::client
