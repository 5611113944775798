// `meridian group list|describe|reset-offsets|delete` over cluster/client's GroupClient
// (ListGroups, DescribeGroups, OffsetFetch, OffsetCommit, DeleteGroups) plus ListOffsets for
// the lag, in the style of `rpk group` and kafka-consumer-groups.
#include "cli/group_command.h"

#include <iostream>
#include <memory>

#include "cli/client_common.h"
#include "cli/record_format.h"
#include "cluster/client/group_client.h"

namespace meridian::cli {
namespace {

namespace asio = boost::asio;
using client::TopicPartition;

struct GroupOptions {
  ClientFlags flags;
  std::vector<std::string> groups;
  std::string topic;
  std::vector<int> partitions;
  std::string to;
  bool dry_run = false;
};

asio::awaitable<int> run_list(client::Client& client, std::shared_ptr<GroupOptions> o) {
  client::GroupClient groups(client);
  auto listed = co_await groups.list_groups();
  if (!listed) {
    co_return report_error("list groups", listed.error(), o->flags);
  }
  std::vector<std::vector<std::string>> rows{{"GROUP", "PROTOCOL-TYPE", "COORDINATOR"}};
  for (const auto& g : *listed) {
    rows.push_back({g.group_id, g.protocol_type.empty() ? "-" : g.protocol_type,
                    std::to_string(g.coordinator.value)});
  }
  print_table(std::cout, rows);
  co_return kExitOk;
}

// The member that owns `tp`, if any.
const client::GroupMemberDescription* owner(const client::GroupDescription& d,
                                            const TopicPartition& tp) {
  for (const auto& m : d.members) {
    for (const auto& a : m.assignment) {
      if (a == tp) {
        return &m;
      }
    }
  }
  return nullptr;
}

asio::awaitable<int> describe_one(client::Client& client, client::GroupClient& groups,
                                  const client::GroupDescription& d, const ClientFlags& flags) {
  std::string id = d.group_id;
  std::vector<TopicPartition> all;
  auto committed = co_await groups.fetch_offsets(id, all);
  if (!committed) {
    co_return report_error("fetch offsets of '" + d.group_id + "'", committed.error(), flags);
  }
  std::vector<std::vector<std::string>> rows{{"TOPIC", "PARTITION", "CURRENT-OFFSET",
                                              "LOG-END-OFFSET", "LAG", "MEMBER-ID", "CLIENT-ID",
                                              "HOST"}};
  int64_t total_lag = 0;
  for (const auto& [tp, c] : *committed) {
    std::string topic = tp.topic;
    auto end = co_await client.list_offsets(topic, tp.partition, client::kLatestTimestamp);
    std::string end_text = end ? std::to_string(end->offset.value) : error_text(end.error());
    std::string lag = "-";
    if (end && c.offset.value >= 0) {
      total_lag += end->offset.value - c.offset.value;
      lag = std::to_string(end->offset.value - c.offset.value);
    }
    const auto* m = owner(d, tp);
    rows.push_back({tp.topic, std::to_string(tp.partition.value),
                    c.offset.value >= 0 ? std::to_string(c.offset.value) : "-", end_text, lag,
                    m ? m->member_id : "-", m ? m->client_id : "-", m ? m->client_host : "-"});
  }
  print_table(std::cout, {{"GROUP", d.group_id},
                          {"COORDINATOR", std::to_string(d.coordinator.value)},
                          {"STATE", d.state},
                          {"BALANCER", d.protocol.empty() ? "-" : d.protocol},
                          {"MEMBERS", std::to_string(d.members.size())},
                          {"TOTAL-LAG", std::to_string(total_lag)}});
  std::cout << "\n";
  print_table(std::cout, rows);
  co_return kExitOk;
}

asio::awaitable<int> run_describe(client::Client& client, std::shared_ptr<GroupOptions> o) {
  client::GroupClient groups(client);
  std::vector<std::string> wanted = o->groups;
  auto described = co_await groups.describe_groups(std::move(wanted));
  if (!described) {
    co_return report_error("describe groups", described.error(), o->flags);
  }
  int code = kExitOk;
  for (size_t i = 0; i < described->size(); ++i) {
    const auto& d = (*described)[i];
    if (d.error) {
      code = report_error("describe group '" + d.group_id + "'", d.error, o->flags);
      continue;
    }
    if (d.state == "Dead") {
      std::cerr << "meridian: group '" << d.group_id << "' not found (see `meridian group list`)\n";
      code = kExitError;
      continue;
    }
    if (i > 0) {
      std::cout << "\n";
    }
    const int one = co_await describe_one(client, groups, d, o->flags);
    code = one != kExitOk ? one : code;
  }
  co_return code;
}

// Kafka refuses offset changes from outside while members are consuming (they would overwrite
// them at their next commit): the group must be Empty (or unknown: then it is created).
asio::awaitable<int> run_reset(client::Client& client, std::shared_ptr<GroupOptions> o) {
  auto spec = parse_offset_spec(o->to);
  if (!spec) {
    std::cerr << "meridian: bad --to '" << o->to
              << "' (beginning, end, N, +N, -N or @timestamp_ms)\n";
    co_return kExitUsage;
  }
  const std::string group = o->groups.front();
  client::GroupClient groups(client);
  std::vector<std::string> wanted{group};
  auto described = co_await groups.describe_groups(std::move(wanted));
  if (!described) {
    co_return report_error("describe group '" + group + "'", described.error(), o->flags);
  }
  if (!described->empty() && described->front().state != "Empty" &&
      described->front().state != "Dead") {
    std::cerr << "meridian: group '" << group << "' is " << described->front().state << " with "
              << described->front().members.size()
              << " member(s); stop its consumers before resetting offsets\n";
    co_return kExitError;
  }
  std::vector<std::string> topics{o->topic};
  auto metadata = co_await client.metadata(std::move(topics));
  if (!metadata) {
    co_return report_error("reset offsets", metadata.error(), o->flags);
  }
  auto topic = (*metadata)->topics.find(o->topic);
  if (topic == (*metadata)->topics.end() || topic->second.partitions.empty()) {
    std::cerr << "meridian: topic '" << o->topic << "' not found\n";
    co_return kExitError;
  }
  std::vector<int> partitions = o->partitions;
  if (partitions.empty()) {
    for (const auto& p : topic->second.partitions) {
      partitions.push_back(p.id.value);
    }
  }
  std::vector<client::OffsetToCommit> offsets;
  std::vector<std::vector<std::string>> rows{{"TOPIC", "PARTITION", "NEW-OFFSET"}};
  for (int p : partitions) {
    std::string name = o->topic;
    PartitionId id(p);
    auto start = co_await client.list_offsets(name, id, client::kEarliestTimestamp);
    auto end = co_await client.list_offsets(name, id, client::kLatestTimestamp);
    int64_t by_time = -1;
    if (start && end && spec->kind == OffsetSpec::Kind::kTimestamp) {
      auto found = co_await client.list_offsets(name, id, spec->value);
      by_time = found ? found->offset.value : -1;
    }
    if (!start || !end) {
      co_return report_error("list offsets of " + o->topic + "/" + std::to_string(p),
                             start ? end.error() : start.error(), o->flags);
    }
    const int64_t to = resolve_offset(*spec, start->offset.value, end->offset.value, by_time);
    offsets.push_back({{o->topic, id}, Offset(to), ""});
    rows.push_back({o->topic, std::to_string(p), std::to_string(to)});
  }
  if (!o->dry_run) {
    auto committed = co_await groups.commit_offsets(group, std::move(offsets));
    if (!committed) {
      co_return report_error("commit offsets of '" + group + "'", committed.error(), o->flags);
    }
  }
  print_table(std::cout, rows);
  if (o->dry_run) {
    std::cout << "(dry run: nothing committed)\n";
  }
  co_return kExitOk;
}

asio::awaitable<int> run_delete(client::Client& client, std::shared_ptr<GroupOptions> o) {
  client::GroupClient groups(client);
  std::vector<std::string> wanted = o->groups;
  auto deleted = co_await groups.delete_groups(std::move(wanted));
  if (!deleted) {
    co_return report_error("delete groups", deleted.error(), o->flags);
  }
  std::vector<std::vector<std::string>> rows{{"GROUP", "STATUS"}};
  int code = kExitOk;
  for (const auto& d : *deleted) {
    rows.push_back({d.group_id, d.error ? error_text(d.error) : "OK"});
    code = d.error ? kExitError : code;
  }
  print_table(std::cout, rows);
  co_return code;
}

}  // namespace

void register_group_commands(CLI::App& app, int& exit_code) {
  auto* group = app.add_subcommand("group", "List, describe, reset and delete consumer groups");
  group->require_subcommand(1);

  auto* list = group->add_subcommand("list", "List consumer groups");
  auto l = std::make_shared<GroupOptions>();
  add_client_flags(*list, l->flags);
  on_run(list, l, exit_code, run_list);

  auto* describe = group->add_subcommand("describe", "Members, committed offsets and lag");
  auto d = std::make_shared<GroupOptions>();
  describe->add_option("groups", d->groups, "Group ids")->required();
  add_client_flags(*describe, d->flags);
  on_run(describe, d, exit_code, run_describe);

  auto* reset = group->add_subcommand(
      "reset-offsets", "Commit new offsets for an inactive group (alias: seek)");
  reset->alias("seek");
  auto r = std::make_shared<GroupOptions>();
  reset->add_option("group", r->groups, "Group id")->required()->expected(1);
  reset->add_option("-t,--topic", r->topic, "Topic")->required();
  reset->add_option("-p,--partition", r->partitions, "Partition (repeatable; default all)")
      ->check(CLI::Range(0, 1000000));
  reset->add_option("--to", r->to, "beginning|start, end, N, +N, -N, @timestamp_ms")->required();
  reset->add_flag("--dry-run", r->dry_run, "Print the new offsets without committing");
  add_client_flags(*reset, r->flags);
  on_run(reset, r, exit_code, run_reset);

  auto* remove = group->add_subcommand("delete", "Delete inactive groups and their offsets");
  auto x = std::make_shared<GroupOptions>();
  remove->add_option("groups", x->groups, "Group ids")->required();
  add_client_flags(*remove, x->flags);
  on_run(remove, x, exit_code, run_delete);
}

}  // namespace meridian::cli
