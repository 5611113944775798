#include "mirror/admin_api.h"

#include <nlohmann/json.hpp>

#include <vector>

#include "mirror/link_metrics.h"

namespace meridian::mirror {

namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

AdminReply error(int status, int code, std::string message) {
  return {status, json{{"error_code", code}, {"message", std::move(message)}}.dump()};
}

std::vector<std::string> split_path(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) {
      next = path.size();
    }
    if (next > pos) {
      out.push_back(path.substr(pos, next - pos));
    }
    pos = next + 1;
  }
  return out;
}

// Confluent's mirror_status vocabulary next to our own state.
std::string confluent_status(const std::string& state) {
  if (state == "active") {
    return "ACTIVE";
  }
  if (state == "paused") {
    return "PAUSED";
  }
  return "STOPPED";
}

json partition_json(const PartitionStatus& p) {
  return json{{"partition", p.partition},
              {"state", p.state},
              {"source_high_watermark", p.source_high_watermark},
              {"source_log_start_offset", p.source_log_start},
              {"mirrored_offset", p.mirrored_offset},
              {"lag", p.lag_records},
              {"lag_records", p.lag_records},
              {"lag_bytes", p.lag_bytes},
              {"lag_seconds", p.lag_seconds},
              {"last_error", p.last_error}};
}

json mirror_json(const LinkStatus& link, const MirrorTopicStatus& m) {
  json lags = json::array();
  int64_t total = 0;
  double max_seconds = 0;
  for (const auto& p : m.partitions) {
    lags.push_back(partition_json(p));
    total += p.lag_records;
    max_seconds = std::max(max_seconds, p.lag_seconds);
  }
  return json{{"kind", "KafkaMirrorData"},
              {"link_name", link.name},
              {"mirror_topic_name", m.mirror_topic},
              {"source_topic_name", m.source_topic},
              {"direction", m.direction},
              {"num_partitions", m.partitions.size()},
              {"mirror_status", confluent_status(m.state)},
              {"state", m.state},
              {"link_epoch", m.link_epoch},
              {"dc_epoch", m.dc_epoch},
              {"lag_records", total},
              {"lag_seconds", max_seconds},
              {"mirror_lags", lags}};
}

// The newest error of any kind (copy loops included, which clear their partition's last_error
// once they recover) and the count per kind; null / {} without metrics.
void add_errors(json& out, const LinkMetrics* metrics) {
  out["recent_error"] = nullptr;
  out["errors"] = json::object();
  if (metrics == nullptr) {
    return;
  }
  if (auto last = metrics->last_error()) {
    out["recent_error"] = {{"kind", to_string(last->kind)},
                           {"message", last->message},
                           {"timestamp_ms", last->unix_ms}};
  }
  for (const auto& [kind, n] : metrics->error_counts()) {
    out["errors"][kind] = n;
  }
}

json link_json(const LinkStatus& s, const LinkMetrics* metrics) {
  json out{{"kind", "KafkaLinkData"},
              {"link_name", s.name},
              {"source_cluster_id", s.source_cluster},
              {"destination_cluster_id", s.target_cluster},
              {"link_state", s.state == "active" ? "ACTIVE" : "UNAVAILABLE"},
              {"state", s.state},
              {"last_error", s.last_error},
              {"records_mirrored", s.records_mirrored},
              {"bytes_mirrored", s.bytes_mirrored},
              {"bytes_sent", s.bytes_sent},
              {"replication_latency_p50_seconds", s.latency_p50_seconds},
              {"replication_latency_p99_seconds", s.latency_p99_seconds},
              {"group_offsets_synced", s.group_offsets_synced},
              {"group_sync_error", s.group_sync_error},
              {"configs_synced", s.configs_synced},
              {"config_sync_error", s.config_sync_error},
              {"topic_names", [&] {
                 json names = json::array();
                 for (const auto& m : s.mirrors) {
                   names.push_back(m.mirror_topic);
                 }
                 return names;
               }()}};
  add_errors(out, metrics);
  return out;
}

json results_json(const std::vector<OperationResult>& results) {
  json data = json::array();
  for (const auto& r : results) {
    json not_copied = json::array();
    int64_t records = 0;
    for (size_t p = 0; p < r.not_copied.size(); ++p) {
      const auto& [from, to] = r.not_copied[p];
      not_copied.push_back({{"partition", p}, {"from_offset", from}, {"to_offset", to}});
      records += to - from;
    }
    data.push_back({{"mirror_topic_name", r.mirror_topic},
                    {"error_code", r.error.empty() ? json(nullptr) : json(400)},
                    {"error_message", r.error.empty() ? json(nullptr) : json(r.error)},
                    {"seconds", r.seconds},
                    {"records_not_copied", records},
                    {"not_copied", not_copied}});
  }
  return json{{"kind", "KafkaMirrorActionResultList"}, {"data", data}};
}

}  // namespace

asio::awaitable<AdminReply> AdminApi::handle(std::string method, std::string target,
                                             std::string body) {
  auto seg = split_path(target);
  // v3 clusters {c} links [...]
  if (seg.size() < 4 || seg[0] != "v3" || seg[1] != "clusters" || seg[3] != "links") {
    co_return error(404, 40401, "not found: " + target);
  }
  LinkStatus status = co_await link_.status();
  const LinkMetrics* metrics = link_.options().metrics.get();
  if (seg[2] != "-" && seg[2] != status.target_cluster) {
    co_return error(404, 40401, "cluster " + seg[2] + " not found");
  }
  if (seg.size() == 4 && method == "GET") {
    co_return AdminReply{200, json{{"kind", "KafkaLinkDataList"},
                                   {"data", json::array({link_json(status, metrics)})}}
                                  .dump()};
  }
  if (seg.size() < 5 || seg[4] != status.name) {
    co_return error(404, 40401, "link not found");
  }
  if (seg.size() == 5 && method == "GET") {
    co_return AdminReply{200, link_json(status, metrics).dump()};
  }
  if (seg.size() >= 6 && seg[5] == "mirrors" && method == "GET") {
    json data = json::array();
    for (const auto& m : status.mirrors) {
      if (seg.size() == 7 && m.mirror_topic == seg[6]) {
        co_return AdminReply{200, mirror_json(status, m).dump()};
      }
      data.push_back(mirror_json(status, m));
    }
    if (seg.size() == 7) {
      co_return error(404, 40403, "mirror topic " + seg[6] + " not found");
    }
    co_return AdminReply{200, json{{"kind", "KafkaMirrorDataList"}, {"data", data}}.dump()};
  }
  if (seg.size() == 6 && method == "POST" && seg[5].starts_with("mirrors:")) {
    std::string action = seg[5].substr(8);
    auto request = json::parse(body, nullptr, false);
    if (!request.is_object() || !request.contains("mirror_topic_names") ||
        !request["mirror_topic_names"].is_array()) {
      co_return error(400, 40002, "body must be {\"mirror_topic_names\": [...]}");
    }
    std::vector<std::string> topics;
    for (const auto& t : request["mirror_topic_names"]) {
      if (!t.is_string()) {
        co_return error(400, 40002, "mirror_topic_names must hold strings");
      }
      topics.push_back(t.get<std::string>());
    }
    std::vector<OperationResult> results;
    if (action == "pause") {
      results = co_await link_.pause(std::move(topics));
    } else if (action == "resume") {
      results = co_await link_.resume(std::move(topics));
    } else if (action == "promote") {
      auto timeout = std::chrono::milliseconds(request.value("timeout_ms", 30000));
      results = co_await link_.promote(std::move(topics), timeout);
    } else if (action == "failover") {
      results = co_await link_.failover(std::move(topics));
    } else if (action == "reverse-and-start-mirror" || action == "failback") {
      results = co_await link_.failback(std::move(topics));
    } else {
      co_return error(404, 40401, "unknown mirror action " + action);
    }
    bool any_error = std::any_of(results.begin(), results.end(),
                                 [](const auto& r) { return !r.error.empty(); });
    co_return AdminReply{any_error ? 400 : 200, results_json(results).dump()};
  }
  co_return error(405, 40501, method + " " + target + " is not supported");
}

}  // namespace meridian::mirror
