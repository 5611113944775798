// The `topic` verbs. Each verb is a coroutine run by run_with_client(): parse flags (CLI11),
// one or two requests, then print a table (or JSON with --format json).
#include "cli/topic_command.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <map>
#include <memory>

#include "cli/client_common.h"
#include "cli/topic_describe.h"
#include "cluster/client/admin_configs.h"

namespace meridian::cli {
namespace {

namespace asio = boost::asio;
using protocol::ErrorCode;

struct CreateOptions {
  ClientFlags flags;
  std::vector<std::string> topics;
  int partitions = -1;
  int replicas = -1;
  std::vector<std::string> configs;  // key=value
  bool if_not_exists = false;
};

struct ListOptions {
  ClientFlags flags;
  bool internal = false;
  std::string format = "text";
};

struct DeleteOptions {
  ClientFlags flags;
  std::vector<std::string> topics;
};

struct AddPartitionsOptions {
  ClientFlags flags;
  std::string topic;
  int num = 0;  // partitions to add (rpk's -n)
  int total = 0;  // or the new total (kafka-topics --alter --partitions)
  bool dry_run = false;
};

struct AlterOptions {
  ClientFlags flags;
  std::string topic;
  std::vector<std::string> set;  // key=value
  std::vector<std::string> remove;
  bool dry_run = false;
};

// Prints one TOPIC/STATUS table and returns 0 when every topic succeeded.
int print_results(const std::vector<client::TopicResult>& results, ErrorCode tolerated) {
  std::vector<std::vector<std::string>> rows{{"TOPIC", "STATUS"}};
  int code = kExitOk;
  for (const auto& r : results) {
    std::string status = "OK";
    if (r.error && client::as_kafka_error(r.error) != tolerated) {
      status = error_text(r.error) + (r.message.empty() ? "" : ": " + r.message);
      code = kExitError;
    } else if (r.error) {
      status = "OK (" + error_text(r.error) + ")";
    }
    rows.push_back({r.name, status});
  }
  print_table(std::cout, rows);
  return code;
}

asio::awaitable<int> run_create(client::Client& client, std::shared_ptr<CreateOptions> o) {
  std::map<std::string, std::string> configs;
  for (const auto& c : o->configs) {
    std::string key;
    std::string value;
    if (!split_assignment(c, key, value)) {
      std::cerr << "meridian: -c/--topic-config wants key=value, got '" << c << "'\n";
      co_return kExitUsage;
    }
    configs[key] = value;
  }
  std::vector<client::NewTopic> topics;
  for (const auto& name : o->topics) {
    topics.push_back({name, o->partitions, static_cast<int16_t>(o->replicas), configs});
  }
  auto results = co_await client.create_topics(std::move(topics),
                                               std::chrono::milliseconds(o->flags.timeout_ms));
  if (!results) {
    co_return report_error("create topics", results.error(), o->flags);
  }
  co_return print_results(*results, o->if_not_exists ? ErrorCode::kTopicAlreadyExists
                                                     : ErrorCode::kNone);
}

asio::awaitable<int> run_list(client::Client& client, std::shared_ptr<ListOptions> o) {
  std::vector<std::string> all;
  auto metadata = co_await client.metadata(std::move(all));
  if (!metadata) {
    co_return report_error("list topics", metadata.error(), o->flags);
  }
  std::vector<std::vector<std::string>> rows{{"NAME", "PARTITIONS", "REPLICAS"}};
  nlohmann::json json = nlohmann::json::array();
  for (const auto& [name, topic] : (*metadata)->topics) {
    if (topic.internal && !o->internal) {
      continue;
    }
    const size_t replicas = topic.partitions.empty() ? 0 : topic.partitions[0].replicas.size();
    rows.push_back({name, std::to_string(topic.partitions.size()), std::to_string(replicas)});
    json.push_back({{"name", name},
                    {"partitions", topic.partitions.size()},
                    {"replicas", replicas},
                    {"internal", topic.internal}});
  }
  if (o->format == "json") {
    std::cout << json.dump() << "\n";
  } else {
    print_table(std::cout, rows);
  }
  co_return kExitOk;
}

asio::awaitable<int> run_delete(client::Client& client, std::shared_ptr<DeleteOptions> o) {
  std::vector<std::string> wanted = o->topics;
  auto results = co_await client.delete_topics(std::move(wanted),
                                               std::chrono::milliseconds(o->flags.timeout_ms));
  if (!results) {
    co_return report_error("delete topics", results.error(), o->flags);
  }
  co_return print_results(*results, ErrorCode::kNone);
}

asio::awaitable<int> run_alter(client::Client& client, std::shared_ptr<AlterOptions> o) {
  std::map<std::string, std::string> set;
  for (const auto& c : o->set) {
    std::string key;
    std::string value;
    if (!split_assignment(c, key, value)) {
      std::cerr << "meridian: --set wants key=value, got '" << c << "'\n";
      co_return kExitUsage;
    }
    set[key] = value;
  }
  if (set.empty() && o->remove.empty()) {
    std::cerr << "meridian: nothing to change: pass --set key=value and/or --delete key\n";
    co_return kExitUsage;
  }
  std::vector<std::string> removed = o->remove;
  auto done = co_await client::update_configs(client, client::ConfigResourceType::kTopic,
                                              o->topic, std::move(set), std::move(removed),
                                              o->dry_run);
  if (!done) {
    if (client::as_kafka_error(done.error()) == ErrorCode::kUnknownTopicOrPartition) {
      std::cerr << "meridian: topic '" << o->topic << "' not found\n";
      co_return kExitError;
    }
    co_return report_error("alter topic config", done.error(), o->flags);
  }
  print_table(std::cout, {{"TOPIC", "STATUS"}, {o->topic, o->dry_run ? "OK (dry run)" : "OK"}});
  co_return kExitOk;
}

// rpk topic add-partitions -n N: N more partitions; --total T: grow to T (kafka-topics --alter).
asio::awaitable<int> run_add_partitions(client::Client& client,
                                        std::shared_ptr<AddPartitionsOptions> o) {
  if ((o->num > 0) == (o->total > 0)) {
    std::cerr << "meridian: pass exactly one of -n/--num (partitions to add) or --total\n";
    co_return kExitUsage;
  }
  int32_t total = o->total;
  if (o->num > 0) {
    std::vector<std::string> wanted{o->topic};
    auto metadata = co_await client.metadata(std::move(wanted));
    if (!metadata) {
      co_return report_error("add partitions", metadata.error(), o->flags);
    }
    auto it = (*metadata)->topics.find(o->topic);
    if (it == (*metadata)->topics.end() || it->second.partitions.empty()) {
      std::cerr << "meridian: topic '" << o->topic << "' not found\n";
      co_return kExitError;
    }
    total = static_cast<int32_t>(it->second.partitions.size()) + o->num;
  }
  std::string message;
  auto done = co_await client::create_partitions(client, o->topic, total, o->dry_run, &message);
  if (!done) {
    if (client::as_kafka_error(done.error()) == ErrorCode::kUnknownTopicOrPartition) {
      std::cerr << "meridian: topic '" << o->topic << "' not found\n";
      co_return kExitError;
    }
    print_table(std::cout, {{"TOPIC", "ERROR"},
                            {o->topic, error_text(done.error()) +
                                           (message.empty() ? "" : ": " + message)}});
    co_return kExitError;
  }
  print_table(std::cout, {{"TOPIC", "PARTITIONS", "STATUS"},
                          {o->topic, std::to_string(total), o->dry_run ? "OK (dry run)" : "OK"}});
  co_return kExitOk;
}

}  // namespace

void register_topic_commands(CLI::App& app, int& exit_code) {
  auto* topic = app.add_subcommand("topic", "Create, list, describe, delete and configure topics");
  topic->require_subcommand(1);

  auto* create_cmd = topic->add_subcommand("create", "Create topics");
  auto c = std::make_shared<CreateOptions>();
  create_cmd->add_option("topics", c->topics, "Topic names")->required();
  create_cmd->add_option("-p,--partitions", c->partitions, "Partitions (-1: broker default)")
      ->check(CLI::Range(-1, 100000))
      ->capture_default_str();
  create_cmd->add_option("-r,--replicas", c->replicas, "Replication factor (-1: broker default)")
      ->check(CLI::Range(-1, 32767))
      ->capture_default_str();
  create_cmd->add_option("-c,--topic-config", c->configs, "Topic config key=value (repeatable)");
  create_cmd->add_flag("--if-not-exists", c->if_not_exists, "Succeed if the topic exists");
  add_client_flags(*create_cmd, c->flags);
  on_run(create_cmd, c, exit_code, run_create);

  auto* list_cmd = topic->add_subcommand("list", "List topics");
  auto l = std::make_shared<ListOptions>();
  list_cmd->add_flag("-i,--internal", l->internal, "Include internal topics");
  list_cmd->add_option("--format", l->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  add_client_flags(*list_cmd, l->flags);
  on_run(list_cmd, l, exit_code, run_list);

  register_topic_describe(*topic, exit_code);

  auto* delete_cmd = topic->add_subcommand("delete", "Delete topics");
  auto d = std::make_shared<DeleteOptions>();
  delete_cmd->add_option("topics", d->topics, "Topic names")->required();
  add_client_flags(*delete_cmd, d->flags);
  on_run(delete_cmd, d, exit_code, run_delete);

  auto* add_cmd = topic->add_subcommand("add-partitions", "Add partitions to a topic");
  auto ap = std::make_shared<AddPartitionsOptions>();
  add_cmd->add_option("topic", ap->topic, "Topic name")->required();
  add_cmd->add_option("-n,--num", ap->num, "Number of partitions to add")
      ->check(CLI::Range(1, 100000));
  add_cmd->add_option("--total", ap->total, "Grow to this many partitions instead")
      ->check(CLI::Range(1, 100000));
  add_cmd->add_flag("--dry-run", ap->dry_run, "Validate only");
  add_client_flags(*add_cmd, ap->flags);
  on_run(add_cmd, ap, exit_code, run_add_partitions);

  auto* alter_cmd = topic->add_subcommand("alter-config", "Set or delete topic configs");
  auto a = std::make_shared<AlterOptions>();
  alter_cmd->add_option("topic", a->topic, "Topic name")->required();
  alter_cmd->add_option("-s,--set", a->set, "Config key=value to set (repeatable)");
  alter_cmd->add_option("-d,--delete", a->remove, "Config key to delete (repeatable)");
  alter_cmd->add_flag("--dry-run", a->dry_run, "Validate only");
  add_client_flags(*alter_cmd, a->flags);
  on_run(alter_cmd, a, exit_code, run_alter);
}

}  // namespace meridian::cli
