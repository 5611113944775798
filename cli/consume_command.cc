// `meridian consume`: a Consumer (manual assignment) or, with --group, a GroupMember that owns
// the assignment and commits what was printed. Stops at -n records, at the end offsets seen at
// start (-e), or on SIGINT/SIGTERM (a group member commits and leaves first).
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>
#include <map>
#include <memory>

#include "cli/client_common.h"
#include "cli/produce_consume.h"
#include "cli/record_format.h"
#include "cluster/client/consumer.h"
#include "cluster/client/group_client.h"

namespace meridian::cli {
namespace {

namespace asio = boost::asio;
using client::TopicPartition;

struct ConsumeOptions {
  ClientFlags flags;
  std::string topic;
  std::vector<int> partitions;
  std::string offset = "beginning";
  int64_t num = -1;
  bool exit_at_end = false;
  std::string group;
  std::string format = "text";
  std::string print_format;
};

// What the loop needs between polls.
struct Session {
  std::shared_ptr<ConsumeOptions> o;
  OffsetSpec spec;
  std::vector<FormatToken> tokens;
  std::map<TopicPartition, int64_t> ends;          // -e: stop at these
  std::map<TopicPartition, int64_t> next_commit;  // the offset after the last printed record
  int64_t printed = 0;
  bool stop = false;
};

// Seeks every partition of `tps` to where -o says (or to `committed` when it has one).
asio::awaitable<Result<void>> position(client::Client& client, client::Consumer& consumer,
                                       Session& s, std::vector<TopicPartition> tps,
                                       std::map<TopicPartition, int64_t> committed) {
  for (const auto& tp : tps) {
    std::string topic = tp.topic;
    auto start = co_await client.list_offsets(topic, tp.partition, client::kEarliestTimestamp);
    if (!start) {
      co_return start.error();
    }
    auto end = co_await client.list_offsets(topic, tp.partition, client::kLatestTimestamp);
    if (!end) {
      co_return end.error();
    }
    int64_t by_time = -1;
    if (s.spec.kind == OffsetSpec::Kind::kTimestamp) {
      auto found = co_await client.list_offsets(topic, tp.partition, s.spec.value);
      if (!found) {
        co_return found.error();
      }
      by_time = found->offset.value;
    }
    auto c = committed.find(tp);
    const int64_t from = c != committed.end()
                             ? c->second
                             : resolve_offset(s.spec, start->offset.value, end->offset.value,
                                              by_time);
    consumer.seek(tp, Offset(from));
    s.ends[tp] = end->offset.value;
  }
  co_return Result<void>{};
}

bool at_end(const client::Consumer& consumer, const Session& s) {
  for (const auto& tp : consumer.assignment()) {
    auto pos = consumer.position(tp);
    auto end = s.ends.find(tp);
    if (!pos || end == s.ends.end() || pos->value < end->second) {
      return false;
    }
  }
  return true;
}

void print(Session& s, const std::vector<client::ConsumerRecord>& records) {
  for (const auto& r : records) {
    if (s.o->num >= 0 && s.printed >= s.o->num) {
      s.stop = true;
      break;
    }
    if (s.o->exit_at_end) {
      auto end = s.ends.find(r.tp);
      if (end != s.ends.end() && r.record.offset.value >= end->second) {
        continue;  // arrived after we started: not part of this run
      }
    }
    if (s.o->format == "json") {
      std::cout << render_record_json(r) << "\n";
    } else {
      std::cout << render_record(s.tokens, r);
    }
    s.next_commit[r.tp] = r.record.offset.value + 1;
    ++s.printed;
  }
  if (s.o->num >= 0 && s.printed >= s.o->num) {
    s.stop = true;
  }
  std::cout << std::flush;
}

asio::awaitable<Result<void>> commit(client::GroupMember& member, Session& s) {
  std::vector<client::OffsetToCommit> offsets;
  for (const auto& [tp, next] : s.next_commit) {
    offsets.push_back({tp, Offset(next), ""});
  }
  if (offsets.empty()) {
    co_return Result<void>{};
  }
  co_return co_await member.commit(std::move(offsets));
}

// Joins (or rejoins) the group and positions the consumer on the new assignment.
asio::awaitable<Result<void>> rebalance(client::Client& client, client::GroupClient& groups,
                                        client::GroupMember& member, client::Consumer& consumer,
                                        Session& s) {
  auto assignment = co_await member.ensure_active();
  if (!assignment) {
    co_return assignment.error();
  }
  std::vector<TopicPartition> tps = assignment->partitions;
  auto committed = co_await groups.fetch_offsets(s.o->group, tps);
  if (!committed) {
    co_return committed.error();
  }
  std::map<TopicPartition, int64_t> from;
  for (const auto& [tp, c] : *committed) {
    if (!c.error && c.offset.value >= 0) {
      from[tp] = c.offset.value;
    }
  }
  consumer.assign(tps);
  s.next_commit.clear();
  co_return co_await position(client, consumer, s, std::move(tps), std::move(from));
}

asio::awaitable<int> consume_loop(client::Client& client, client::Consumer& consumer,
                                  Session& s, client::GroupClient* groups,
                                  client::GroupMember* member) {
  while (!s.stop) {
    if (member != nullptr && member->needs_rejoin()) {
      auto committed = co_await commit(*member, s);
      (void)committed;  // a fenced member's commit fails; the new owner re-reads it
      auto joined = co_await rebalance(client, *groups, *member, consumer, s);
      if (!joined) {
        co_return report_error("rejoin group '" + s.o->group + "'", joined.error(), s.o->flags);
      }
    }
    if (s.o->exit_at_end && at_end(consumer, s)) {
      break;
    }
    auto records = co_await consumer.poll(std::chrono::milliseconds(500));
    if (!records) {
      co_return report_error("consume '" + s.o->topic + "'", records.error(), s.o->flags);
    }
    print(s, *records);
    if (member != nullptr && !records->empty()) {
      auto committed = co_await commit(*member, s);
      if (!committed && !member->needs_rejoin()) {
        co_return report_error("commit offsets", committed.error(), s.o->flags);
      }
    }
  }
  co_return kExitOk;
}

asio::awaitable<int> run_group(client::Client& client, client::Consumer& consumer, Session& s) {
  client::GroupClient groups(client);
  client::GroupMemberOptions options;
  options.group_id = s.o->group;
  client::GroupMember member(groups, options);
  member.subscribe({s.o->topic});
  auto joined = co_await rebalance(client, groups, member, consumer, s);
  int code = kExitOk;
  if (!joined) {
    code = report_error("join group '" + s.o->group + "'", joined.error(), s.o->flags);
  } else {
    code = co_await consume_loop(client, consumer, s, &groups, &member);
    auto committed = co_await commit(member, s);
    if (!committed && code == kExitOk) {
      code = report_error("commit offsets", committed.error(), s.o->flags);
    }
  }
  auto left = co_await member.leave();
  (void)left;  // the session timeout removes us anyway
  co_return code;
}

asio::awaitable<int> run_consume(client::Client& client, std::shared_ptr<ConsumeOptions> o) {
  Session s{o};
  auto spec = parse_offset_spec(o->offset);
  std::string error;
  auto tokens = parse_format(o->print_format.empty() ? kDefaultOutputFormat : o->print_format,
                             false, error);
  if (!spec || !tokens) {
    std::cerr << "meridian: " << (!spec ? "bad -o/--offset '" + o->offset +
                                              "' (beginning, end, N, +N, -N or @timestamp_ms)"
                                        : "bad -f/--print-format: " + error)
              << "\n";
    co_return kExitUsage;
  }
  if (!o->group.empty() && !o->partitions.empty()) {
    std::cerr << "meridian: -p/--partition and -g/--group exclude each other\n";
    co_return kExitUsage;
  }
  s.spec = *spec;
  s.tokens = std::move(*tokens);
  std::vector<std::string> wanted{o->topic};
  auto metadata = co_await client.metadata(std::move(wanted));
  if (!metadata) {
    co_return report_error("consume '" + o->topic + "'", metadata.error(), o->flags);
  }
  auto topic = (*metadata)->topics.find(o->topic);
  if (topic == (*metadata)->topics.end() || topic->second.partitions.empty()) {
    std::cerr << "meridian: topic '" << o->topic << "' not found (see `meridian topic list`)\n";
    co_return kExitError;
  }
  const int count = static_cast<int>(topic->second.partitions.size());
  std::vector<TopicPartition> tps;
  for (int p : o->partitions) {
    if (p >= count) {
      std::cerr << "meridian: topic '" << o->topic << "' has no partition " << p << " (it has "
                << count << ")\n";
      co_return kExitError;
    }
    tps.push_back({o->topic, PartitionId(p)});
  }
  for (int p = 0; o->partitions.empty() && p < count; ++p) {
    tps.push_back({o->topic, PartitionId(p)});
  }
  client::Consumer consumer(client, client::ConsumerOptions{});
  asio::signal_set signals(client.executor(), SIGINT, SIGTERM);
  signals.async_wait([&s](const boost::system::error_code& ec, int) {
    if (!ec) {
      s.stop = true;
    }
  });
  int code = kExitOk;
  if (!o->group.empty()) {
    code = co_await run_group(client, consumer, s);
  } else {
    consumer.assign(tps);
    std::map<TopicPartition, int64_t> none;
    auto positioned = co_await position(client, consumer, s, std::move(tps), std::move(none));
    if (positioned) {
      code = co_await consume_loop(client, consumer, s, nullptr, nullptr);
    } else {
      code = report_error("consume '" + o->topic + "'", positioned.error(), o->flags);
    }
  }
  signals.cancel();
  co_return code;
}

}  // namespace

void register_consume_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("consume", "Consume records and print them");
  auto o = std::make_shared<ConsumeOptions>();
  cmd->add_option("topic", o->topic, "Topic")->required();
  cmd->add_option("-o,--offset", o->offset,
                  "beginning|start, end, N, +N (after start), -N (before end), @timestamp_ms")
      ->capture_default_str();
  cmd->add_option("-p,--partition", o->partitions, "Partition (repeatable; default all)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("-n,--num", o->num, "Stop after this many records")->check(CLI::Range(0L, INT64_MAX));
  cmd->add_flag("-e,--exit-at-end", o->exit_at_end,
                "Stop at the end offsets the partitions had when consuming started");
  cmd->add_option("-g,--group", o->group, "Consume as a member of this group (commits offsets)");
  cmd->add_option("--format", o->format, "text (see -f), json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("-f,--print-format", o->print_format,
                  "Text format: %t topic %p partition %o offset %k key %v value %T timestamp(ms) "
                  "%d date %h headers, \\n \\t (default: '" +
                      std::string(kDefaultOutputFormat) + "')");
  add_client_flags(*cmd, o->flags);
  on_run(cmd, o, exit_code, run_consume);
}

}  // namespace meridian::cli
