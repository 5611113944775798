// Consumer-group offset sync (link.h LinkOptions::groups_include). Because mirror topics keep
// the source's offsets, a committed offset means the same record in both DCs, so it is copied
// unchanged — only capped at what the mirror holds, so a group never skips records the target
// does not have yet. Groups with members in the target (state other than Empty/Dead) are left
// alone: their own commits win. Only topics still being mirrored (active, paused) are synced;
// after a failover the target's groups are its own.
#include <regex>

#include "common/log.h"
#include "mirror/detail/link_state.h"
#include "mirror/link_metrics.h"

namespace meridian::mirror::detail {

namespace asio = boost::asio;

namespace {

asio::awaitable<Result<int>> sync_group(std::shared_ptr<LinkState> link, std::string group) {
  std::vector<std::string> names{group};
  auto described = co_await link->target_groups.describe_groups(std::move(names));
  if (!described) {
    co_return described.error();
  }
  for (const auto& d : *described) {
    if (d.state != "Empty" && d.state != "Dead" && !d.state.empty()) {
      co_return 0;  // active in the target
    }
  }
  std::vector<client::TopicPartition> all;
  auto committed = co_await link->source_groups.fetch_offsets(group, std::move(all));
  if (!committed) {
    co_return committed.error();
  }
  std::vector<client::OffsetToCommit> out;
  for (const auto& [tp, c] : *committed) {
    std::string mirror_topic =
        link->options.prefix ? link->options.source_cluster + "." + tp.topic : tp.topic;
    auto it = link->mirrors.find(mirror_topic);
    if (c.offset.value < 0 || it == link->mirrors.end() ||
        (it->second.state != "active" && it->second.state != "paused") ||
        tp.partition.value >= static_cast<int32_t>(it->second.tasks.size())) {
      continue;
    }
    int64_t mirrored = it->second.tasks[static_cast<size_t>(tp.partition.value)]->status.mirrored_offset;
    int64_t offset = std::min(c.offset.value, mirrored);
    if (offset >= 0) {
      out.push_back({{mirror_topic, tp.partition}, Offset(offset), c.metadata});
    }
  }
  if (out.empty()) {
    co_return 0;
  }
  int n = static_cast<int>(out.size());
  auto written = co_await link->target_groups.commit_offsets(group, std::move(out));
  if (!written) {
    co_return written.error();
  }
  co_return n;
}

}  // namespace

asio::awaitable<void> group_sync_loop(std::shared_ptr<LinkState> link) {
  std::regex include(link->options.groups_include, std::regex::ECMAScript);
  while (!link->stopping) {
    auto groups = co_await link->source_groups.list_groups();
    if (!groups) {
      link->group_sync_error = "listing source groups: " + groups.error().message();
    } else {
      link->group_sync_error.clear();
      for (const auto& g : *groups) {
        if (!std::regex_match(g.group_id, include)) {
          continue;
        }
        auto synced = co_await sync_group(link, g.group_id);
        if (!synced) {
          link->group_sync_error = "group " + g.group_id + ": " + synced.error().message();
        } else {
          link->group_offsets_synced += *synced;
          if (*synced > 0 && link->options.metrics) {
            link->options.metrics->on_checkpoint(g.group_id);
          }
        }
      }
    }
    for (auto waited = std::chrono::milliseconds(0);
         waited < link->options.group_sync_interval && !link->stopping;
         waited += std::chrono::milliseconds(50)) {
      co_await sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace meridian::mirror::detail
