// GroupClient (coordinator-routed group APIs), the ConsumerProtocol v0 codec and the range
// assignor. GroupMember is in group_member.cc.
#include "cluster/client/group_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <set>

#include "cluster/protocol/messages.h"
#include "cluster/protocol/reader.h"
#include "cluster/protocol/writer.h"

namespace meridian::client {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// ConsumerProtocolSubscription / ConsumerProtocolAssignment, version 0 (Kafka's
// clients/src/main/resources/common/message/ConsumerProtocol*.json). Later versions only append
// fields, and every Kafka client decodes v0.
struct SubscriptionV0 {
  int16_t version = 0;
  std::vector<std::string> topics;
  std::optional<protocol::Bytes> user_data;
  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(version);
    io.array(topics, v);
    io.field(user_data);
  }
};

struct AssignedTopic {
  std::string topic;
  std::vector<int32_t> partitions;
  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(topic);
    io.array(partitions, v);
  }
};

struct AssignmentV0 {
  int16_t version = 0;
  std::vector<AssignedTopic> topics;
  std::optional<protocol::Bytes> user_data;
  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(version);
    io.array(topics, v);
    io.field(user_data);
  }
};

template <class T>
std::vector<uint8_t> encode_v0(T& value) {
  std::vector<uint8_t> out;
  protocol::Writer w(out);
  value.io(w, 0);
  return out;
}

template <class T>
Result<T> decode_v0(const std::vector<uint8_t>& bytes) {
  T value;
  protocol::Reader r(bytes);
  value.io(r, 0);
  if (!r.ok()) {
    return make_error_code(errc::bad_response);
  }
  return value;
}

}  // namespace

bool is_coordinator_error(ErrorCode code) noexcept {
  return code == ErrorCode::kNotCoordinator || code == ErrorCode::kCoordinatorNotAvailable ||
         code == ErrorCode::kCoordinatorLoadInProgress;
}

bool GroupClient::is_coordinator_retriable(const std::error_code& ec) noexcept {
  auto kafka = as_kafka_error(ec);
  return kafka && is_coordinator_error(*kafka);
}

std::vector<uint8_t> encode_subscription(const std::vector<std::string>& topics) {
  SubscriptionV0 s;
  s.topics = topics;
  s.user_data.emplace();  // empty, not null: byte-identical with kafka-python
  return encode_v0(s);
}

Result<std::vector<std::string>> decode_subscription(const std::vector<uint8_t>& bytes) {
  auto s = decode_v0<SubscriptionV0>(bytes);
  if (!s) {
    return s.error();
  }
  return std::move(s->topics);
}

std::vector<uint8_t> encode_assignment(const std::vector<TopicPartition>& partitions) {
  AssignmentV0 a;
  a.user_data.emplace();
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const auto& tp : partitions) {
    by_topic[tp.topic].push_back(tp.partition.value);
  }
  for (auto& [topic, ps] : by_topic) {
    std::sort(ps.begin(), ps.end());
    a.topics.push_back({topic, std::move(ps)});
  }
  return encode_v0(a);
}

Result<std::vector<TopicPartition>> decode_assignment(const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) {
    return std::vector<TopicPartition>{};  // Kafka sends empty bytes to a member with nothing
  }
  auto a = decode_v0<AssignmentV0>(bytes);
  if (!a) {
    return a.error();
  }
  std::vector<TopicPartition> out;
  for (const auto& t : a->topics) {
    for (int32_t p : t.partitions) {
      out.push_back({t.topic, PartitionId(p)});
    }
  }
  return out;
}

std::map<std::string, std::vector<TopicPartition>> range_assign(
    const std::map<std::string, std::vector<std::string>>& subscriptions,
    const std::map<std::string, int32_t>& partition_counts) {
  std::map<std::string, std::vector<TopicPartition>> out;
  std::map<std::string, std::vector<std::string>> members_by_topic;
  for (const auto& [member, topics] : subscriptions) {
    out[member];  // every member gets an entry, maybe empty
    std::set<std::string> unique(topics.begin(), topics.end());
    for (const auto& t : unique) {
      members_by_topic[t].push_back(member);  // std::map order: already sorted by member id
    }
  }
  for (const auto& [topic, members] : members_by_topic) {
    auto count = partition_counts.find(topic);
    if (count == partition_counts.end() || count->second <= 0 || members.empty()) {
      continue;
    }
    const int32_t n = count->second;
    const int32_t m = static_cast<int32_t>(members.size());
    const int32_t per = n / m;
    const int32_t extra = n % m;
    int32_t next = 0;
    for (int32_t i = 0; i < m; ++i) {
      const int32_t take = per + (i < extra ? 1 : 0);
      for (int32_t k = 0; k < take; ++k) {
        out[members[static_cast<size_t>(i)]].push_back({topic, PartitionId(next++)});
      }
    }
  }
  return out;
}

// ---- GroupClient ----

GroupClient::GroupClient(Client& client) : client_(client) {}
GroupClient::~GroupClient() = default;

void GroupClient::invalidate_coordinator(const std::string& group) { coordinators_.erase(group); }

asio::awaitable<void> GroupClient::backoff() {
  asio::steady_timer timer(client_.executor());
  timer.expires_after(std::max(client_.options().retry_backoff, std::chrono::milliseconds(100)));
  [[maybe_unused]] auto [ec] = co_await timer.async_wait(kUseTuple);
}

asio::awaitable<Result<BrokerId>> GroupClient::find_coordinator(std::string group) {
  auto cached = coordinators_.find(group);
  if (cached != coordinators_.end()) {
    co_return cached->second;
  }
  std::error_code last = make_error_code(errc::no_broker_reachable);
  int attempts = client_.options().max_retries + 1;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      co_await backoff();
    }
    if (is_coordinator_retriable(last)) {
      attempts = std::max(attempts, kCoordinatorAttempts);
    }
    auto meta = client_.cached_metadata();
    if (meta->brokers.empty() || attempt > 0) {
      std::vector<std::string> none;
      auto refreshed = co_await client_.metadata(std::move(none));
      if (!refreshed) {
        last = refreshed.error();
        continue;
      }
      meta = *refreshed;
    }
    // Ask the brokers in turn, starting at a different one on each attempt.
    std::vector<BrokerId> ids;
    for (const auto& [id, addr] : meta->brokers) {
      ids.push_back(id);
    }
    if (ids.empty()) {
      continue;
    }
    const BrokerId ask = ids[static_cast<size_t>(attempt) % ids.size()];
    auto conn = co_await client_.connection(ask);
    if (!conn) {
      last = conn.error();
      continue;
    }
    protocol::FindCoordinatorRequest request;
    request.key = group;
    auto response = co_await (*conn)->request(request);
    if (!response) {
      last = response.error();
      continue;
    }
    if (response->error_code != ErrorCode::kNone) {
      last = kafka_error(response->error_code);
      if (!is_coordinator_error(response->error_code)) {
        co_return last;
      }
      continue;
    }
    coordinators_[group] = BrokerId(response->node_id);
    co_return BrokerId(response->node_id);
  }
  co_return last;
}

asio::awaitable<Result<std::shared_ptr<Connection>>> GroupClient::coordinator_connection(
    const std::string& group, CoordinatorLink* link) {
  auto id = co_await find_coordinator(group);
  if (!id) {
    co_return id.error();
  }
  if (link == nullptr) {
    co_return co_await client_.connection(*id);
  }
  if (link->connection && link->connection->is_open() && link->broker == *id) {
    co_return link->connection;
  }
  if (link->connection) {
    link->connection->close();
    link->connection.reset();
  }
  auto meta = client_.cached_metadata();
  if (!meta->brokers.contains(*id)) {
    std::vector<std::string> none;
    auto refreshed = co_await client_.metadata(std::move(none));
    if (!refreshed) {
      co_return refreshed.error();
    }
    meta = *refreshed;
  }
  auto addr = meta->brokers.find(*id);
  if (addr == meta->brokers.end()) {
    co_return make_error_code(errc::no_broker_reachable);
  }
  const ClientOptions& o = client_.options();
  ConnectionOptions options;
  options.client_id = o.client_id;
  options.connect_timeout = o.connect_timeout;
  options.request_timeout = o.request_timeout;
  options.max_in_flight = o.max_in_flight_per_connection;
  std::string host = addr->second.host;
  auto opened =
      co_await Connection::connect(client_.executor(), std::move(host), addr->second.port, options);
  if (!opened) {
    co_return opened.error();
  }
  link->connection = *opened;
  link->broker = *id;
  co_return link->connection;
}

asio::awaitable<Result<void>> GroupClient::commit_offsets(std::string group,
                                                          std::vector<OffsetToCommit> offsets,
                                                          GroupGeneration generation) {
  protocol::OffsetCommitRequest request;
  request.group_id = group;
  request.generation_id = generation.generation_id;
  request.member_id = generation.member_id;
  std::map<std::string, std::vector<protocol::OffsetCommitRequest::Partition>> by_topic;
  for (const auto& o : offsets) {
    protocol::OffsetCommitRequest::Partition p;
    p.partition_index = o.tp.partition.value;
    p.committed_offset = o.offset.value;
    p.committed_metadata = o.metadata;
    by_topic[o.tp.topic].push_back(std::move(p));
  }
  for (auto& [topic, ps] : by_topic) {
    request.topics.push_back({topic, std::move(ps)});
  }
  auto first_error = [](const protocol::OffsetCommitResponse& r) {
    for (const auto& t : r.topics) {
      for (const auto& p : t.partitions) {
        if (p.error_code != ErrorCode::kNone) {
          return p.error_code;
        }
      }
    }
    return ErrorCode::kNone;
  };
  auto response = co_await to_coordinator(std::move(group), std::move(request), first_error);
  if (!response) {
    co_return response.error();
  }
  const ErrorCode code = first_error(*response);
  if (code != ErrorCode::kNone) {
    co_return kafka_error(code);
  }
  co_return Result<void>{};
}

asio::awaitable<Result<std::map<TopicPartition, CommittedOffset>>> GroupClient::fetch_offsets(
    std::string group, std::vector<TopicPartition> partitions) {
  protocol::OffsetFetchRequest request;
  request.group_id = group;
  if (!partitions.empty()) {
    std::map<std::string, std::vector<int32_t>> by_topic;
    for (const auto& tp : partitions) {
      by_topic[tp.topic].push_back(tp.partition.value);
    }
    request.topics.emplace();
    for (auto& [topic, ps] : by_topic) {
      request.topics->push_back({topic, std::move(ps)});
    }
  }
  auto group_error = [](const protocol::OffsetFetchResponse& r) {
    if (r.error_code != ErrorCode::kNone) {
      return r.error_code;
    }
    for (const auto& t : r.topics) {
      for (const auto& p : t.partitions) {
        if (is_coordinator_error(p.error_code)) {
          return p.error_code;  // v0/v1 report coordinator errors per partition
        }
      }
    }
    return ErrorCode::kNone;
  };
  auto response = co_await to_coordinator(std::move(group), std::move(request), group_error);
  if (!response) {
    co_return response.error();
  }
  if (response->error_code != ErrorCode::kNone) {
    co_return kafka_error(response->error_code);
  }
  std::map<TopicPartition, CommittedOffset> out;
  for (const auto& t : response->topics) {
    for (const auto& p : t.partitions) {
      CommittedOffset c;
      c.offset = Offset(p.committed_offset);
      c.metadata = p.metadata.value_or("");
      if (p.error_code != ErrorCode::kNone) {
        c.error = kafka_error(p.error_code);
      }
      out[TopicPartition{t.name, PartitionId(p.partition_index)}] = std::move(c);
    }
  }
  co_return out;
}

asio::awaitable<Result<std::vector<GroupListing>>> GroupClient::list_groups() {
  std::vector<std::string> none;
  auto meta = co_await client_.metadata(std::move(none));
  if (!meta) {
    co_return meta.error();
  }
  std::vector<GroupListing> out;
  std::error_code last;
  size_t answered = 0;
  for (const auto& [id, addr] : (*meta)->brokers) {
    auto conn = co_await client_.connection(id);
    if (!conn) {
      last = conn.error();
      continue;  // a down broker's groups are missing, as in Kafka's admin client
    }
    protocol::ListGroupsRequest request;
    auto response = co_await (*conn)->request(request);
    if (!response) {
      last = response.error();
      continue;
    }
    if (response->error_code != ErrorCode::kNone) {
      last = kafka_error(response->error_code);
      continue;
    }
    ++answered;
    for (const auto& g : response->groups) {
      out.push_back({g.group_id, g.protocol_type, id});
    }
  }
  if (answered == 0 && last) {
    co_return last;
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  co_return out;
}

namespace {

GroupDescription describe_one(const protocol::DescribeGroupsResponse::Group& g, BrokerId at) {
  GroupDescription d;
  d.group_id = g.group_id;
  if (g.error_code != ErrorCode::kNone) {
    d.error = kafka_error(g.error_code);
  }
  d.state = g.group_state;
  d.protocol_type = g.protocol_type;
  d.protocol = g.protocol_data;
  d.coordinator = at;
  for (const auto& m : g.members) {
    GroupMemberDescription md;
    md.member_id = m.member_id;
    md.group_instance_id = m.group_instance_id;
    md.client_id = m.client_id;
    md.client_host = m.client_host;
    if (g.protocol_type == "consumer") {
      if (auto s = decode_subscription(m.member_metadata)) {
        md.subscription = std::move(*s);
      }
      if (auto a = decode_assignment(m.member_assignment)) {
        md.assignment = std::move(*a);
      }
    }
    d.members.push_back(std::move(md));
  }
  return d;
}

}  // namespace

asio::awaitable<Result<std::vector<GroupDescription>>> GroupClient::describe_groups(
    std::vector<std::string> groups) {
  std::vector<GroupDescription> out;
  for (const auto& group : groups) {
    protocol::DescribeGroupsRequest request;
    request.groups = {group};
    auto error_of = [](const protocol::DescribeGroupsResponse& r) {
      return r.groups.empty() ? ErrorCode::kNone : r.groups[0].error_code;
    };
    auto response = co_await to_coordinator(group, std::move(request), error_of);
    if (!response) {
      co_return response.error();
    }
    if (response->groups.size() != 1) {
      co_return make_error_code(errc::bad_response);
    }
    auto at = coordinators_.find(group);
    out.push_back(describe_one(response->groups[0],
                               at == coordinators_.end() ? BrokerId(-1) : at->second));
  }
  co_return out;
}

asio::awaitable<Result<std::vector<GroupDeletion>>> GroupClient::delete_groups(
    std::vector<std::string> groups) {
  std::vector<GroupDeletion> out;
  for (const auto& group : groups) {
    protocol::DeleteGroupsRequest request;
    request.groups_names = {group};
    auto error_of = [](const protocol::DeleteGroupsResponse& r) {
      return r.results.empty() ? ErrorCode::kNone : r.results[0].error_code;
    };
    auto response = co_await to_coordinator(group, std::move(request), error_of);
    if (!response) {
      co_return response.error();
    }
    GroupDeletion d{group, {}};
    if (!response->results.empty() && response->results[0].error_code != ErrorCode::kNone) {
      d.error = kafka_error(response->results[0].error_code);
    }
    out.push_back(std::move(d));
  }
  co_return out;
}

}  // namespace meridian::client
