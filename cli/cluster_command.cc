#include "cli/cluster_command.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "cli/client_common.h"
#include "cli/cluster_health.h"
#include "cluster/client/connection.h"
#include "cluster/protocol/messages.h"

namespace meridian::cli {
namespace {

namespace asio = boost::asio;

struct HealthOptions {
  ClientFlags flags;
  bool watch = false;
  bool exit_when_healthy = false;
  std::string format = "text";
};

struct InfoOptions {
  ClientFlags flags;
  bool topics = false;  // `metadata`: also list topics
  std::string format = "text";
};

// The full Metadata response (racks, offline replicas), asked of the controller when known.
asio::awaitable<Result<protocol::MetadataResponse>> full_metadata(client::Client& client) {
  std::vector<std::string> all;
  auto cached = co_await client.metadata(std::move(all));
  if (!cached) {
    co_return cached.error();
  }
  std::vector<BrokerId> order;
  if ((*cached)->controller.value >= 0) {
    order.push_back((*cached)->controller);
  }
  for (const auto& [id, addr] : (*cached)->brokers) {
    order.push_back(id);
  }
  std::error_code last = make_error_code(client::errc::no_broker_reachable);
  for (BrokerId id : order) {
    auto conn = co_await client.connection(id);
    if (!conn) {
      last = conn.error();
      continue;
    }
    protocol::MetadataRequest request;
    request.allow_auto_topic_creation = false;
    auto response = co_await (*conn)->request(request);
    if (response) {
      co_return std::move(*response);
    }
    last = response.error();
  }
  co_return last;
}

asio::awaitable<Result<HealthReport>> check_once(client::Client& client) {
  auto metadata = co_await full_metadata(client);
  if (!metadata) {
    co_return metadata.error();
  }
  std::set<int32_t> responding;
  for (const auto& b : metadata->brokers) {
    BrokerId id(b.node_id);
    auto conn = co_await client.connection(id);
    if (conn) {
      responding.insert(b.node_id);
    }
  }
  co_return evaluate_health(*metadata, responding);
}

asio::awaitable<int> run_health(client::Client& client, std::shared_ptr<HealthOptions> o) {
  const bool watch = o->watch || o->exit_when_healthy;
  for (;;) {
    auto report = co_await check_once(client);
    int code = kExitOk;
    if (!report) {
      code = report_error("cluster health", report.error(), o->flags);
    } else {
      std::cout << (o->format == "json" ? render_health_json(*report) + "\n"
                                        : render_health_text(*report))
                << std::flush;
      code = report->healthy ? kExitOk : kExitUnhealthy;
    }
    if (!watch || (o->exit_when_healthy && code == kExitOk)) {
      co_return code;
    }
    asio::steady_timer pause(client.executor());
    pause.expires_after(std::chrono::seconds(1));
    co_await pause.async_wait(asio::use_awaitable);
    if (o->format != "json") {
      std::cout << "\n";
    }
  }
}

nlohmann::json info_json(const protocol::MetadataResponse& m, bool topics) {
  nlohmann::json j{{"cluster_id", m.cluster_id ? nlohmann::json(*m.cluster_id) : nlohmann::json()},
                   {"controller_id", m.controller_id}};
  j["brokers"] = nlohmann::json::array();
  for (const auto& b : m.brokers) {
    j["brokers"].push_back({{"id", b.node_id},
                            {"host", b.host},
                            {"port", b.port},
                            {"rack", b.rack ? nlohmann::json(*b.rack) : nlohmann::json()}});
  }
  if (topics) {
    j["topics"] = nlohmann::json::array();
    for (const auto& t : m.topics) {
      j["topics"].push_back({{"name", t.name},
                             {"partitions", t.partitions.size()},
                             {"internal", t.is_internal}});
    }
  }
  return j;
}

void print_info_text(protocol::MetadataResponse m, bool topics) {
  std::cout << "CLUSTER\n=======\n";
  print_table(std::cout, {{"ID", m.cluster_id.value_or("-")},
                          {"CONTROLLER", std::to_string(m.controller_id)}});
  std::cout << "\nBROKERS\n=======\n";
  std::sort(m.brokers.begin(), m.brokers.end(),
            [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
  std::vector<std::vector<std::string>> rows{{"ID", "HOST", "PORT", "RACK"}};
  for (const auto& b : m.brokers) {
    rows.push_back({std::to_string(b.node_id) + (b.node_id == m.controller_id ? "*" : ""), b.host,
                    std::to_string(b.port), b.rack.value_or("-")});
  }
  print_table(std::cout, rows);
  if (!topics) {
    return;
  }
  std::cout << "\nTOPICS\n======\n";
  std::sort(m.topics.begin(), m.topics.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<std::vector<std::string>> trows{{"NAME", "PARTITIONS", "REPLICAS"}};
  for (const auto& t : m.topics) {
    const size_t rf = t.partitions.empty() ? 0 : t.partitions[0].replica_nodes.size();
    trows.push_back({t.name, std::to_string(t.partitions.size()), std::to_string(rf)});
  }
  print_table(std::cout, trows);
}

asio::awaitable<int> run_info(client::Client& client, std::shared_ptr<InfoOptions> o) {
  auto metadata = co_await full_metadata(client);
  if (!metadata) {
    co_return report_error("cluster metadata", metadata.error(), o->flags);
  }
  if (o->format == "json") {
    std::cout << info_json(*metadata, o->topics)
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    print_info_text(*metadata, o->topics);
  }
  co_return kExitOk;
}

void add_format(CLI::App* cmd, std::string& format) {
  cmd->add_option("--format", format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

}  // namespace

void register_cluster_commands(CLI::App& app, int& exit_code) {
  auto* cluster = app.add_subcommand("cluster", "Cluster health and metadata");
  cluster->require_subcommand(1);

  auto* health = cluster->add_subcommand(
      "health", "Healthy when a controller is present, no broker is down and every partition "
                "has a leader; exit code 10 when unhealthy");
  auto h = std::make_shared<HealthOptions>();
  health->add_flag("-w,--watch", h->watch, "Check again every second until interrupted");
  health->add_flag("-e,--exit-when-healthy", h->exit_when_healthy,
                   "Watch until the cluster is healthy, then exit 0");
  add_format(health, h->format);
  add_client_flags(*health, h->flags);
  on_run(health, h, exit_code, run_health);

  for (const char* name : {"info", "metadata"}) {
    const bool topics = std::string(name) == "metadata";
    auto* cmd = cluster->add_subcommand(
        name, topics ? "Cluster id, controller, brokers and topics" : "Cluster id, controller and brokers");
    auto o = std::make_shared<InfoOptions>();
    o->topics = topics;
    add_format(cmd, o->format);
    add_client_flags(*cmd, o->flags);
    on_run(cmd, o, exit_code, run_info);
  }
}

}  // namespace meridian::cli
