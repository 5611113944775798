// Topic-config sync (link.h LinkOptions::config_sync). Every interval, for each topic still
// mirrored forward (active, paused), the source topic's OWN settings — entries set on the topic
// (DescribeConfigs source "topic"), not defaults or broker-wide values — are compared with the
// mirror topic's own settings and the difference is written with AlterConfigs: changed or new
// names are set, names the source no longer sets are removed (back to the target's default).
// Names in config_sync_exclude (min.insync.replicas by default: durability inside a DC is the
// target's choice) are neither copied nor removed. A promoted or failed-over topic is the
// target's own and is left alone.
#include <algorithm>

#include "cluster/client/admin_configs.h"
#include "common/log.h"
#include "mirror/detail/link_state.h"

namespace meridian::mirror::detail {

namespace asio = boost::asio;
using client::ConfigResourceType;

namespace {

// The topic's own (dynamic, topic-level) settings, without the excluded names.
std::map<std::string, std::string> own_settings(const std::vector<client::ConfigEntry>& all,
                                                const std::vector<std::string>& exclude) {
  std::map<std::string, std::string> out;
  for (const auto& e : all) {
    bool own = !e.is_default && (e.source == "topic" || e.source.empty());
    if (!own || !e.value || e.read_only || e.sensitive ||
        std::find(exclude.begin(), exclude.end(), e.name) != exclude.end()) {
      continue;
    }
    out[e.name] = *e.value;
  }
  return out;
}

// Returns how many names changed in the mirror topic.
asio::awaitable<Result<int>> sync_topic(std::shared_ptr<LinkState> link, std::string source_topic,
                                        std::string mirror_topic) {
  const auto& exclude = link->options.config_sync_exclude;
  auto source = co_await client::describe_configs(link->source, ConfigResourceType::kTopic,
                                                  source_topic);
  if (!source) {
    co_return source.error();
  }
  auto target = co_await client::describe_configs(link->target, ConfigResourceType::kTopic,
                                                  mirror_topic);
  if (!target) {
    co_return target.error();
  }
  auto want = own_settings(*source, exclude);
  auto have = own_settings(*target, exclude);
  std::map<std::string, std::string> set;
  std::vector<std::string> remove;
  for (const auto& [name, value] : want) {
    if (auto it = have.find(name); it == have.end() || it->second != value) {
      set[name] = value;
    }
  }
  for (const auto& [name, value] : have) {
    if (!want.contains(name)) {
      remove.push_back(name);
    }
  }
  if (set.empty() && remove.empty()) {
    co_return 0;
  }
  int changed = static_cast<int>(set.size() + remove.size());
  logger("mirror")->info("[link={}] config sync {}: {} set, {} removed", link->options.name,
                         mirror_topic, set.size(), remove.size());
  auto written = co_await client::update_configs(link->target, ConfigResourceType::kTopic,
                                                 mirror_topic, std::move(set), std::move(remove),
                                                 false);
  if (!written) {
    co_return written.error();
  }
  co_return changed;
}

}  // namespace

asio::awaitable<void> config_sync_loop(std::shared_ptr<LinkState> link) {
  while (!link->stopping) {
    std::vector<std::pair<std::string, std::string>> topics;
    for (const auto& [name, m] : link->mirrors) {
      if (m.state == "active" || m.state == "paused") {
        topics.emplace_back(m.source_topic, m.mirror_topic);
      }
    }
    std::string error;
    for (auto& [source_topic, mirror_topic] : topics) {
      auto synced = co_await sync_topic(link, source_topic, mirror_topic);
      if (!synced) {
        error = "topic " + mirror_topic + ": " + synced.error().message();
      } else {
        link->configs_synced += *synced;
      }
    }
    link->config_sync_error = error;
    for (auto waited = std::chrono::milliseconds(0);
         waited < link->options.config_sync_interval && !link->stopping;
         waited += std::chrono::milliseconds(50)) {
      co_await sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace meridian::mirror::detail
