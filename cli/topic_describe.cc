#include "cli/topic_describe.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "cli/client_common.h"
#include "cluster/client/admin_configs.h"

namespace meridian::cli {
namespace {

namespace asio = boost::asio;

struct DescribeOptions {
  ClientFlags flags;
  std::string topic;
  bool partitions_only = false;
  bool configs_only = false;
  std::string format = "text";
};

std::string join_ids(const std::vector<BrokerId>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    out += (i ? " " : "") + std::to_string(ids[i].value);
  }
  return out + "]";
}

struct PartitionRow {
  const client::PartitionMetadata* meta;
  int64_t log_start = -1;
  int64_t high_watermark = -1;
  std::string error;  // why the offsets are missing
};

asio::awaitable<std::vector<PartitionRow>> partition_rows(client::Client& client,
                                                          const client::TopicMetadata& topic) {
  std::vector<PartitionRow> rows;
  for (const auto& p : topic.partitions) {
    PartitionRow row{&p};
    std::string name = topic.name;
    auto start = co_await client.list_offsets(name, p.id, client::kEarliestTimestamp);
    auto end = co_await client.list_offsets(name, p.id, client::kLatestTimestamp);
    if (start && end) {
      row.log_start = start->offset.value;
      row.high_watermark = end->offset.value;
    } else {
      row.error = error_text(start ? end.error() : start.error());
    }
    rows.push_back(std::move(row));
  }
  co_return rows;
}

void print_text(const DescribeOptions& o, const client::TopicMetadata& topic,
                const Result<std::vector<client::ConfigEntry>>& configs,
                const std::vector<PartitionRow>& partitions) {
  const bool all = !o.partitions_only && !o.configs_only;
  if (all) {
    const size_t rf = topic.partitions.empty() ? 0 : topic.partitions[0].replicas.size();
    std::cout << "SUMMARY\n=======\n";
    print_table(std::cout, {{"NAME", topic.name},
                            {"PARTITIONS", std::to_string(topic.partitions.size())},
                            {"REPLICAS", std::to_string(rf)},
                            {"INTERNAL", topic.internal ? "true" : "false"}});
    std::cout << "\n";
  }
  if (all || o.configs_only) {
    std::cout << "CONFIGS\n=======\n";
    if (!configs) {
      std::cout << "(not available: " << error_text(configs.error()) << ")\n";
    } else {
      std::vector<std::vector<std::string>> rows{{"KEY", "VALUE", "SOURCE"}};
      for (const auto& c : *configs) {
        rows.push_back({c.name, c.value.value_or(c.sensitive ? "(sensitive)" : "(null)"),
                        c.source.empty() ? (c.is_default ? "default" : "topic") : c.source});
      }
      print_table(std::cout, rows);
    }
    if (all) {
      std::cout << "\n";
    }
  }
  if (all || o.partitions_only) {
    if (all) {
      std::cout << "PARTITIONS\n==========\n";
    }
    std::vector<std::vector<std::string>> rows{{"PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR",
                                                "LOG-START-OFFSET", "HIGH-WATERMARK"}};
    for (const auto& r : partitions) {
      const auto& p = *r.meta;
      rows.push_back({std::to_string(p.id.value),
                      p.leader.value < 0 ? "none" : std::to_string(p.leader.value),
                      std::to_string(p.leader_epoch.value), join_ids(p.replicas), join_ids(p.isr),
                      r.error.empty() ? std::to_string(r.log_start) : r.error,
                      r.error.empty() ? std::to_string(r.high_watermark) : r.error});
    }
    print_table(std::cout, rows);
  }
}

nlohmann::json to_json(const client::TopicMetadata& topic,
                       const Result<std::vector<client::ConfigEntry>>& configs,
                       const std::vector<PartitionRow>& partitions) {
  nlohmann::json out{{"name", topic.name}, {"internal", topic.internal}};
  out["configs"] = nlohmann::json::object();
  if (configs) {
    for (const auto& c : *configs) {
      out["configs"][c.name] = {{"value", c.value ? nlohmann::json(*c.value) : nlohmann::json()},
                                {"source", c.source},
                                {"default", c.is_default}};
    }
  }
  out["partitions"] = nlohmann::json::array();
  for (const auto& r : partitions) {
    nlohmann::json replicas = nlohmann::json::array();
    nlohmann::json isr = nlohmann::json::array();
    for (auto b : r.meta->replicas) replicas.push_back(b.value);
    for (auto b : r.meta->isr) isr.push_back(b.value);
    out["partitions"].push_back({{"partition", r.meta->id.value},
                                 {"leader", r.meta->leader.value},
                                 {"leader_epoch", r.meta->leader_epoch.value},
                                 {"replicas", replicas},
                                 {"isr", isr},
                                 {"log_start_offset", r.log_start},
                                 {"high_watermark", r.high_watermark}});
  }
  return out;
}

asio::awaitable<int> run_describe(client::Client& client, std::shared_ptr<DescribeOptions> o) {
  std::vector<std::string> wanted{o->topic};
  auto metadata = co_await client.metadata(std::move(wanted));
  if (!metadata) {
    co_return report_error("describe topic", metadata.error(), o->flags);
  }
  auto it = (*metadata)->topics.find(o->topic);
  if (it == (*metadata)->topics.end() || it->second.partitions.empty()) {
    std::cerr << "meridian: topic '" << o->topic << "' not found (see `meridian topic list`)\n";
    co_return kExitError;
  }
  const client::TopicMetadata topic = it->second;
  auto configs = co_await client::describe_configs(client, client::ConfigResourceType::kTopic,
                                                   o->topic);
  std::vector<PartitionRow> partitions;
  if (!o->configs_only) {
    partitions = co_await partition_rows(client, topic);
  }
  if (o->format == "json") {
    std::cout << to_json(topic, configs, partitions).dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    print_text(*o, topic, configs, partitions);
  }
  co_return kExitOk;
}

}  // namespace

void register_topic_describe(CLI::App& topic, int& exit_code) {
  auto* cmd = topic.add_subcommand("describe", "Describe a topic: summary, configs, partitions");
  auto o = std::make_shared<DescribeOptions>();
  cmd->add_option("topic", o->topic, "Topic name")->required();
  cmd->add_flag("-p,--print-partitions", o->partitions_only, "Print only the partitions");
  cmd->add_flag("-c,--print-configs", o->configs_only, "Print only the configs");
  cmd->add_option("--format", o->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  add_client_flags(*cmd, o->flags);
  on_run(cmd, o, exit_code, run_describe);
}

}  // namespace meridian::cli
