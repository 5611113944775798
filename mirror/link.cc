// Link: topic discovery, mirror-topic set-up and status (link.h). The operations (pause,
// resume, promote, failover, failback) are in link_operations.cc, the copy loop in
// link_partition.cc.
#include "mirror/link.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "common/log.h"
#include "mirror/detail/link_ops.h"
#include "mirror/detail/link_state.h"
#include "mirror/target_rpc.h"

namespace meridian::mirror {

namespace asio = boost::asio;
using detail::LinkState;
using detail::MirrorTopic;
using protocol::ErrorCode;

namespace detail {

namespace {

client::ClientOptions client_options(const std::string& bootstrap, const std::string& id) {
  client::ClientOptions o;
  o.bootstrap_servers = bootstrap;
  o.client_id = id;
  // A cut link must be noticed in seconds, not Kafka's 30 s, to report it and back off.
  o.request_timeout = std::chrono::milliseconds(5000);
  o.connect_timeout = std::chrono::milliseconds(3000);
  o.max_retries = 2;
  return o;
}

std::optional<std::regex> compile(const std::string& pattern) {
  if (pattern.empty()) {
    return std::nullopt;
  }
  return std::regex(pattern, std::regex::ECMAScript);
}

}  // namespace

LinkState::LinkState(asio::any_io_executor ex, LinkOptions o)
    : executor(ex),
      options(std::move(o)),
      source(ex, client_options(options.source_bootstrap, "mirror-" + options.name + "-source")),
      target(ex, client_options(options.target_bootstrap, "mirror-" + options.name + "-target")),
      include(compile(options.include)),
      exclude(compile(options.exclude)) {
  const char* mode = std::getenv("MERIDIAN_MIRROR_FETCH");
  per_partition_fetch = mode != nullptr && std::string_view(mode) == "partition";
  if (per_partition_fetch) {
    logger("mirror")->info("[link={}] MERIDIAN_MIRROR_FETCH=partition: one fetch per partition",
                           options.name);
  }
}

void LinkState::record_latency(double seconds) {
  latencies.push_back(std::max(0.0, seconds));
  if (latencies.size() > 2048) {
    latencies.pop_front();
  }
}

// Active/active loop prevention, MirrorMaker 2's rule: in prefix mode every hop prepends the
// DC a record came from ("west.orders", then "east.west.orders"), so a topic's name lists its
// path. If any leading component is the target DC, the records came from there: mirroring them
// back would close a loop. (A topic of the source's own, like "orders.west.daily", whose name
// merely contains "west." is skipped too: document it, and name DCs distinctively.)
bool is_cycle(const std::string& target_cluster, const std::string& topic) {
  if (target_cluster.empty()) {
    return false;
  }
  std::string_view rest(topic);
  for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
    if (rest.substr(0, dot) == target_cluster) {
      return true;
    }
    rest.remove_prefix(dot + 1);
  }
  return false;
}

bool selected(const LinkState& link, const std::string& topic) {
  const auto& o = link.options;
  if (std::find(o.topics.begin(), o.topics.end(), topic) != o.topics.end()) {
    return true;
  }
  if (link.exclude && std::regex_match(topic, *link.exclude)) {
    return false;
  }
  if (o.prefix && is_cycle(o.target_cluster, topic)) {
    return false;
  }
  if (link.include) {
    return std::regex_match(topic, *link.include);
  }
  return o.topics.empty();
}

void spawn_tasks(const std::shared_ptr<LinkState>& link, MirrorTopic& m, int32_t partitions) {
  for (auto p = static_cast<int32_t>(m.tasks.size()); p < partitions; ++p) {
    auto task = std::make_shared<PartitionTask>();
    task->source_topic = m.source_topic;
    task->mirror_topic = m.mirror_topic;
    task->partition = p;
    task->link_epoch = m.link_epoch;
    task->link_name = m.reverse ? link->options.name + ".reverse" : link->options.name;
    task->source = m.reverse ? &link->target : &link->source;
    task->target = m.reverse ? &link->source : &link->target;
    task->status.partition = p;
    m.tasks.push_back(task);
    asio::co_spawn(link->executor, run_partition(link, task), asio::detached);
  }
}

asio::awaitable<void> stop_tasks(MirrorTopic& m) {
  for (auto& t : m.tasks) {
    t->stop = true;
  }
  // Each loop ends after its current fetch or append (bounded by the client's request timeout).
  for (int i = 0; i < 200; ++i) {
    bool any = std::any_of(m.tasks.begin(), m.tasks.end(), [](auto& t) { return t->running; });
    if (!any) {
      break;
    }
    co_await sleep_for(std::chrono::milliseconds(50));
  }
}

asio::awaitable<Result<protocol::MirrorStateResponse>> write_state(
    client::Client& cluster, const std::string& topic, protocol::MirrorStateRecord record,
    int32_t expected_version) {
  protocol::MirrorStateRequest request;
  request.topic = topic;
  request.write = 1;
  request.expected_version = expected_version;
  request.record = std::move(record);
  auto r = co_await mirror_state(cluster, request);
  if (r && r->error_code != ErrorCode::kNone) {
    co_return client::kafka_error(r->error_code);
  }
  co_return r;
}

namespace {

// Sets up (or re-attaches to) the mirror of `source_topic`. A restarted link bumps the link
// epoch, which fences any older instance of itself still appending.
asio::awaitable<void> ensure_mirror(std::shared_ptr<LinkState> link, std::string source_topic,
                                    int32_t partitions) {
  const auto& o = link->options;
  std::string mirror_topic = o.prefix ? o.source_cluster + "." + source_topic : source_topic;
  if (o.prefix) {
    // The name rule misses a source topic that mirrors the target under its own name (an
    // identity link the other way). A Meridian source knows: ask its mirror state. A Kafka
    // source does not answer this request (an error): the name rule is all there is.
    protocol::MirrorStateRequest probe;
    probe.topic = source_topic;
    auto origin = co_await mirror_state(link->source, probe);
    if (origin && origin->exists && !origin->record.state.empty() &&
        origin->record.source_cluster == o.target_cluster) {
      if (link->loop_skipped.insert(source_topic).second) {
        logger("mirror")->info("[link={}] not mirroring {}: it is a mirror of {} (loop)", o.name,
                               source_topic, o.target_cluster);
      }
      co_return;
    }
  }
  protocol::MirrorStateRequest read;
  read.topic = mirror_topic;
  auto current = co_await mirror_state(link->target, read);
  if (!current) {
    link->last_error = "target unreachable: " + current.error().message();
    co_return;
  }
  MirrorTopic m;
  m.source_topic = source_topic;
  m.mirror_topic = mirror_topic;
  protocol::MirrorStateRecord record;
  int32_t expected = -2;
  if (current->exists) {
    record = current->record;
    expected = current->version;
    if (record.link_name != o.name) {
      link->last_error = "topic " + mirror_topic + " already belongs to link " + record.link_name;
      co_return;
    }
  } else {
    std::vector<std::string> names{mirror_topic};
    auto md = co_await link->target.metadata(std::move(names));
    if (md) {
      auto it = (*md)->topics.find(mirror_topic);
      if (it != (*md)->topics.end() && it->second.error == ErrorCode::kNone &&
          !it->second.partitions.empty()) {
        link->last_error = "target topic " + mirror_topic +
                           " exists and is not a mirror; refusing to mirror into it";
        co_return;
      }
    }
    record.link_name = o.name;
    record.state = "active";
    record.source_cluster = o.source_cluster;
    record.source_topic = source_topic;
  }
  if (record.state == "active" || record.state == "paused") {
    record.link_epoch += 1;
    auto written = co_await write_state(link->target, mirror_topic, record, expected);
    if (!written) {
      link->last_error = "mirror state of " + mirror_topic + ": " + written.error().message();
      co_return;
    }
  }
  m.state = record.state;
  m.link_epoch = record.link_epoch;
  m.dc_epoch = record.dc_epoch;
  m.partition_offsets = record.partition_offsets;
  client::NewTopic nt{mirror_topic, partitions, o.replication_factor, {}};
  std::vector<client::NewTopic> create{nt};
  auto created = co_await link->target.create_topics(std::move(create),
                                                     std::chrono::milliseconds(10000));
  if (!created) {
    link->last_error = "creating " + mirror_topic + ": " + created.error().message();
    co_return;
  }
  logger("mirror")->info("[link={}] mirroring {} -> {} ({} partitions, link epoch {}, {})",
                         o.name, source_topic, mirror_topic, partitions, m.link_epoch, m.state);
  auto& stored = link->mirrors[mirror_topic] = std::move(m);
  if (stored.state == "active") {
    spawn_tasks(link, stored, partitions);
  }
}

asio::awaitable<void> discover(std::shared_ptr<LinkState> link) {
  std::vector<std::string> all;
  auto md = co_await link->source.metadata(std::move(all));
  if (!md) {
    link->state = "unreachable";
    link->last_error = "source " + link->options.source_bootstrap +
                       " unreachable: " + md.error().message();
    co_return;
  }
  link->state = "active";
  for (const auto& [name, topic] : (*md)->topics) {
    if (topic.internal || topic.error != ErrorCode::kNone || !selected(*link, name)) {
      continue;
    }
    auto partitions = static_cast<int32_t>(topic.partitions.size());
    std::string mirror_topic =
        link->options.prefix ? link->options.source_cluster + "." + name : name;
    auto it = link->mirrors.find(mirror_topic);
    if (it == link->mirrors.end()) {
      co_await ensure_mirror(link, name, partitions);
    } else if (it->second.state == "active" && !it->second.reverse &&
               partitions > static_cast<int32_t>(it->second.tasks.size())) {
      co_await grow_mirror(link, it->second, partitions);
    }
  }
}

asio::awaitable<void> discovery_loop(std::shared_ptr<LinkState> link) {
  link->discovery_running = true;
  while (!link->stopping) {
    co_await discover(link);
    for (auto waited = std::chrono::milliseconds(0);
         waited < link->options.discovery_interval && !link->stopping;
         waited += std::chrono::milliseconds(50)) {
      co_await sleep_for(std::chrono::milliseconds(50));
    }
  }
  link->discovery_running = false;
}

}  // namespace
}  // namespace detail

Link::Link(asio::any_io_executor executor, LinkOptions options)
    : state_(std::make_shared<LinkState>(executor, std::move(options))) {}

Link::~Link() = default;

const LinkOptions& Link::options() const noexcept { return state_->options; }

void Link::start() {
  asio::co_spawn(state_->executor, detail::discovery_loop(state_), asio::detached);
  if (!state_->options.groups_include.empty()) {
    asio::co_spawn(state_->executor, detail::group_sync_loop(state_), asio::detached);
  }
  if (state_->options.config_sync) {
    asio::co_spawn(state_->executor, detail::config_sync_loop(state_), asio::detached);
  }
}

asio::awaitable<void> Link::stop() {
  auto link = state_;
  auto body = [link]() -> asio::awaitable<void> {
    link->stopping = true;
    for (auto& [name, m] : link->mirrors) {
      co_await detail::stop_tasks(m);
    }
    for (auto& [name, m] : link->reverse) {
      co_await detail::stop_tasks(m);
    }
    for (int i = 0; i < 100 && link->discovery_running; ++i) {
      co_await detail::sleep_for(std::chrono::milliseconds(50));
    }
    link->source.close();
    link->target.close();
  };
  co_await asio::co_spawn(link->executor, std::move(body), asio::use_awaitable);
}

namespace {

double percentile(std::vector<double> v, double q) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  return v[i];
}

MirrorTopicStatus topic_status(const MirrorTopic& m) {
  MirrorTopicStatus s;
  s.source_topic = m.source_topic;
  s.mirror_topic = m.mirror_topic;
  s.direction = m.reverse ? "reverse" : "forward";
  s.state = m.state;
  s.link_epoch = m.link_epoch;
  s.dc_epoch = m.dc_epoch;
  for (const auto& t : m.tasks) {
    s.partitions.push_back(t->status);
  }
  return s;
}

}  // namespace

asio::awaitable<LinkStatus> Link::status() {
  auto link = state_;
  auto body = [link]() -> asio::awaitable<LinkStatus> {
    LinkStatus s;
    s.name = link->options.name;
    s.source_cluster = link->options.source_cluster;
    s.target_cluster = link->options.target_cluster;
    s.state = link->state;
    s.last_error = link->last_error;
    s.records_mirrored = link->records_mirrored;
    s.bytes_mirrored = link->bytes_mirrored;
    s.bytes_sent = link->bytes_sent;
    std::vector<double> samples(link->latencies.begin(), link->latencies.end());
    s.latency_p50_seconds = percentile(samples, 0.50);
    s.latency_p99_seconds = percentile(samples, 0.99);
    s.group_offsets_synced = link->group_offsets_synced;
    s.group_sync_error = link->group_sync_error;
    s.configs_synced = link->configs_synced;
    s.config_sync_error = link->config_sync_error;
    for (const auto& [name, m] : link->mirrors) {
      s.mirrors.push_back(topic_status(m));
    }
    for (const auto& [name, m] : link->reverse) {
      s.mirrors.push_back(topic_status(m));
    }
    co_return s;
  };
  auto s = co_await asio::co_spawn(link->executor, std::move(body), asio::use_awaitable);
  co_return s;
}

}  // namespace meridian::mirror
