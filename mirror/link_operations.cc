// Link operations (link.h): pause, resume, promote, failover, failback, and partition growth.
//
// Roles, for a link east -> west (source east, target west) and topic T:
//   active      west T is a read-only copy; the forward tasks append east's batches.
//   failed-over west T is writable; the state records, per partition, the offset where the copy
//               stopped (the divergence point) and a DC epoch one higher than before.
//   failback    east T becomes a read-only mirror of west (the "reverse" entry): records east
//               accepted after the divergence point go to east "T.recovered", east T is cut at
//               the divergence point, and west's records are copied from there.
//   promote of the reverse entry swaps the roles back without loss: west T turns read-only
//               (forward state active again), east catches up, east T is promoted, and the
//               forward tasks resume east -> west from west's log end.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/client/connection.h"
#include "cluster/protocol/messages/partitions_admin.h"
#include "common/log.h"
#include "mirror/detail/link_ops.h"
#include "mirror/link.h"
#include "mirror/target_rpc.h"

namespace meridian::mirror {

namespace asio = boost::asio;
using detail::Clock;
using detail::LinkState;
using detail::MirrorTopic;
using protocol::ErrorCode;

namespace detail {

namespace {

// Writes take effect on every broker of a cluster within its registry refresh (200 ms).
std::string reverse_name(const LinkState& link) { return link.options.name + ".reverse"; }

protocol::MirrorStateRecord record_of(const LinkState& link, const MirrorTopic& m,
                                      std::string state) {
  protocol::MirrorStateRecord r;
  r.link_name = m.reverse ? reverse_name(link) : link.options.name;
  r.state = std::move(state);
  r.link_epoch = m.link_epoch;
  r.dc_epoch = m.dc_epoch;
  r.source_cluster = m.reverse ? link.options.target_cluster : link.options.source_cluster;
  r.source_topic = m.source_topic;
  r.partition_offsets = m.partition_offsets;
  return r;
}

// Errors after which a produce certainly did not append anything.
bool not_applied(std::error_code ec) {
  return ec == client::make_error_code(client::errc::leader_not_available) ||
         ec == client::make_error_code(client::errc::unknown_topic) ||
         ec == client::make_error_code(client::errc::unknown_partition) ||
         ec == client::kafka_error(ErrorCode::kLeaderNotAvailable) ||
         ec == client::kafka_error(ErrorCode::kNotLeaderOrFollower) ||
         ec == client::kafka_error(ErrorCode::kUnknownTopicOrPartition);
}

MirrorTopic* find_for_operation(LinkState& link, const std::string& name) {
  if (auto it = link.reverse.find(name); it != link.reverse.end()) {
    return &it->second;
  }
  if (auto it = link.mirrors.find(name); it != link.mirrors.end()) {
    return &it->second;
  }
  return nullptr;
}

}  // namespace

// The log end of a mirror partition, asked of its leader (an empty MirrorAppend).
asio::awaitable<Result<int64_t>> log_end(client::Client& cluster, std::string link_name,
                                         int32_t link_epoch, std::string topic,
                                         int32_t partition) {
  protocol::MirrorAppendRequest request;
  request.link_name = std::move(link_name);
  request.link_epoch = link_epoch;
  request.topic = std::move(topic);
  request.partition = partition;
  auto r = co_await mirror_append(cluster, request);
  if (!r) {
    co_return r.error();
  }
  if (r->error_code != ErrorCode::kNone) {
    co_return client::kafka_error(r->error_code);
  }
  co_return r->log_end_offset;
}

// Waits until every task's target has the source's whole log (its HW as of now).
asio::awaitable<Result<void>> wait_caught_up(MirrorTopic& m, Clock::time_point deadline) {
  for (;;) {
    bool caught_up = true;
    for (auto& t : m.tasks) {
      std::string topic = t->source_topic;
      auto hw = co_await t->source->list_offsets(topic, PartitionId(t->partition),
                                                 client::kLatestTimestamp);
      if (!hw || t->status.mirrored_offset < hw->offset.value) {
        caught_up = false;
        break;
      }
    }
    if (caught_up) {
      co_return Result<void>{};
    }
    if (Clock::now() >= deadline) {
      co_return make_error_code(errc::not_caught_up);
    }
    co_await sleep_for(std::chrono::milliseconds(50));
  }
}

// Copies the old primary's records [from, to) of one partition to "<topic>.recovered".
asio::awaitable<Result<void>> save_suffix(client::Client& cluster, std::string topic,
                                          int32_t partition, int32_t partitions, int64_t from,
                                          int64_t to) {
  std::string recovered = topic + ".recovered";
  client::NewTopic nt{recovered, partitions, -1, {}};
  std::vector<client::NewTopic> create{nt};
  auto created =
      co_await cluster.create_topics(std::move(create), std::chrono::milliseconds(10000));
  if (created && !created->empty() &&
      created->front().error == client::kafka_error(ErrorCode::kInvalidReplicationFactor)) {
    // A broker of the old primary is down and the default replication factor needs it: the
    // recovery topic gets the live brokers (found by mirror_failback_kill), not an endless wait.
    std::vector<std::string> names{recovered};
    auto md = co_await cluster.metadata(std::move(names));
    size_t live = md ? (*md)->brokers.size() : 1;
    nt.replication_factor = static_cast<int16_t>(std::max<size_t>(1, live));
    std::vector<client::NewTopic> again{nt};
    (void)co_await cluster.create_topics(std::move(again), std::chrono::milliseconds(10000));
  }
  int64_t offset = from;
  while (offset < to) {
    auto fetched = co_await cluster.fetch(topic, PartitionId(partition), Offset(offset),
                                          4 * 1024 * 1024, std::chrono::milliseconds(100));
    if (!fetched) {
      co_return fetched.error();
    }
    Slice slice = whole_batches(fetched->records, offset);
    if (slice.misaligned) {
      co_return make_error_code(errc::misaligned);
    }
    if (slice.end == slice.begin) {
      co_return make_error_code(errc::not_caught_up);  // nothing readable below the HW
    }
    std::vector<uint8_t> batches(fetched->records.begin() + slice.begin,
                                 fetched->records.begin() + slice.end);
    // A fresh topic has no leader for a moment; errors that mean "not applied" are retried.
    Result<client::ProduceResult> produced = make_error_code(errc::bad_state);
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::vector<uint8_t> copy = batches;
      produced = co_await cluster.produce(recovered, PartitionId(partition), std::move(copy),
                                          client::Acks::kAll, std::chrono::milliseconds(10000));
      if (produced || !not_applied(produced.error())) {
        break;
      }
      co_await sleep_for(std::chrono::milliseconds(200));
    }
    if (!produced) {
      co_return produced.error();
    }
    offset = slice.next;
  }
  co_return Result<void>{};
}

// Runs `op` for each named topic on the link's executor and times it.
asio::awaitable<std::vector<OperationResult>> for_each_topic(std::shared_ptr<LinkState> link,
                                                             std::vector<std::string> topics,
                                                             Operation op) {
  auto body = [link, topics, op]() -> asio::awaitable<std::vector<OperationResult>> {
    std::vector<OperationResult> out;
    for (const auto& name : topics) {
      OperationResult r;
      r.mirror_topic = name;
      auto started = Clock::now();
      MirrorTopic* m = find_for_operation(*link, name);
      if (m == nullptr) {
        r.error = "topic " + name + " is not a mirror topic of link " + link->options.name;
      } else {
        auto done = co_await op(link, *m, r);
        if (!done) {
          r.error = done.error().message();
        }
      }
      r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
      logger("mirror")->info("[link={}] {}: {}", link->options.name, name,
                             r.error.empty() ? "done" : r.error);
      out.push_back(std::move(r));
    }
    co_return out;
  };
  auto out = co_await asio::co_spawn(link->executor, std::move(body), asio::use_awaitable);
  co_return out;
}

asio::awaitable<Result<void>> write_topic_state(std::shared_ptr<LinkState> link, MirrorTopic& m,
                                                const char* state) {
  client::Client& cluster = m.reverse ? link->source : link->target;
  protocol::MirrorStateRecord record = record_of(*link, m, state);
  auto written = co_await write_state(cluster, m.mirror_topic, record, -1);
  if (!written) {
    co_return written.error();
  }
  m.state = state;
  co_return Result<void>{};
}

asio::awaitable<void> grow_mirror(std::shared_ptr<LinkState> link, MirrorTopic& m,
                                  int32_t partitions) {
  protocol::CreatePartitionsRequest request;
  request.topics.push_back({m.mirror_topic, partitions, std::nullopt});
  request.timeout_ms = 10000;
  auto md = link->target.cached_metadata();
  BrokerId to = md->controller.value >= 0 ? md->controller
                : md->brokers.empty()     ? BrokerId(-1)
                                          : md->brokers.begin()->first;
  auto connection = co_await link->target.connection(to);
  if (connection) {
    client::Connection& conn = **connection;
    auto r = co_await conn.request(request);
    if (!r) {
      link->last_error = "growing " + m.mirror_topic + ": " + r.error().message();
    }
  }
  std::vector<std::string> names{m.mirror_topic};
  auto fresh = co_await link->target.metadata(std::move(names));
  if (!fresh) {
    co_return;
  }
  auto it = (*fresh)->topics.find(m.mirror_topic);
  if (it == (*fresh)->topics.end()) {
    co_return;
  }
  auto have = std::min(partitions, static_cast<int32_t>(it->second.partitions.size()));
  if (have > static_cast<int32_t>(m.tasks.size())) {
    logger("mirror")->info("[link={}] {} grew to {} partitions", link->options.name,
                           m.mirror_topic, have);
    spawn_tasks(link, m, have);
  }
}

}  // namespace detail

using detail::for_each_topic;

asio::awaitable<std::vector<OperationResult>> Link::pause(std::vector<std::string> topics) {
  auto op = [](std::shared_ptr<LinkState> link, MirrorTopic& m,
               OperationResult&) -> asio::awaitable<Result<void>> {
    if (m.state != "active") {
      co_return make_error_code(errc::bad_state);
    }
    co_await detail::stop_tasks(m);
    auto r = co_await detail::write_topic_state(link, m, "paused");
    co_return r;
  };
  detail::Operation fn = op;
  auto out = co_await for_each_topic(state_, std::move(topics), std::move(fn));
  co_return out;
}

asio::awaitable<std::vector<OperationResult>> Link::resume(std::vector<std::string> topics) {
  auto op = [](std::shared_ptr<LinkState> link, MirrorTopic& m,
               OperationResult&) -> asio::awaitable<Result<void>> {
    if (m.state != "paused") {
      co_return make_error_code(errc::bad_state);
    }
    auto r = co_await detail::write_topic_state(link, m, "active");
    if (!r) {
      co_return r;
    }
    auto partitions = static_cast<int32_t>(m.tasks.size());
    m.tasks.clear();
    detail::spawn_tasks(link, m, partitions);
    co_return r;
  };
  detail::Operation fn = op;
  auto out = co_await for_each_topic(state_, std::move(topics), std::move(fn));
  co_return out;
}

asio::awaitable<std::vector<OperationResult>> Link::failover(std::vector<std::string> topics) {
  auto op = [](std::shared_ptr<LinkState> link, MirrorTopic& m,
               OperationResult& result) -> asio::awaitable<Result<void>> {
    if (m.reverse || (m.state != "active" && m.state != "paused")) {
      co_return make_error_code(errc::bad_state);
    }
    co_await detail::stop_tasks(m);
    m.partition_offsets.clear();
    for (auto& t : m.tasks) {
      // The target's log end is the divergence point; the last status is the fallback when
      // the leader cannot answer (paused topics refuse mirror appends).
      auto end = co_await detail::log_end(link->target, t->link_name, t->link_epoch,
                                          t->mirror_topic, t->partition);
      int64_t copied = end ? *end : t->status.mirrored_offset;
      m.partition_offsets.push_back(copied);
      result.not_copied.emplace_back(copied,
                                     std::max(copied, t->status.source_high_watermark));
    }
    m.dc_epoch += 1;
    auto r = co_await detail::write_topic_state(link, m, "failed-over");
    co_return r;
  };
  detail::Operation fn = op;
  auto out = co_await for_each_topic(state_, std::move(topics), std::move(fn));
  co_return out;
}

}  // namespace meridian::mirror
