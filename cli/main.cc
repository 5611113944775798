// The `meridian` binary: one executable, noun-verb subcommands (CONVENTIONS.md §3).
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/bench_command.h"
#include "cli/client_common.h"
#include "cli/cluster_command.h"
#include "cli/config_command.h"
#include "cli/group_command.h"
#include "cli/gateway_command.h"
#include "cli/mirror_command.h"
#include "cli/produce_consume.h"
#include "cli/server_commands.h"
#include "cli/topic_command.h"
#include "cli/version.h"
#include "common/log.h"
#ifdef MERIDIAN_HAVE_LOG_DUMP
#include "cli/log_dump.h"
#include "cli/log_generate.h"
#endif

namespace {

std::string version_line() {
  return std::string("meridian ") + meridian::cli::kVersion + " (" + meridian::cli::kRevision + ")";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Meridian: multi-datacenter replication gateway (Kafka protocol + REST)", "meridian"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_line());
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  int exit_code = 0;

  app.add_subcommand("version", "Print the version")->callback([&] {
    std::cout << version_line() << "\n";
  });

  auto* config_cmd = app.add_subcommand("config", "Inspect configuration");
  config_cmd->require_subcommand(1);
  auto* print_cmd = config_cmd->add_subcommand("print", "Print the broker configuration");
  meridian::cli::ConfigPrintOptions print_opts;
  std::string config_file;
  print_cmd->add_option("-c,--config", config_file, "YAML configuration file");
  print_cmd->add_option("--set", print_opts.overrides, "Override a key: key=value (repeatable)");
  print_cmd->add_flag("--effective,!--explicit", print_opts.effective,
                      "Print every key with its source (default), or only explicitly set keys");
  print_cmd->callback([&] {
    if (!config_file.empty()) {
      print_opts.config_file = config_file;
    }
    exit_code = meridian::cli::run_config_print(print_opts, std::cout, std::cerr);
  });

  auto* broker_cmd = app.add_subcommand("broker", "Run one broker (ZooKeeper coordination)");
  meridian::cli::BrokerCommandOptions broker_opts;
  std::string broker_config;
  broker_cmd->add_option("-c,--config", broker_config, "YAML configuration file");
  broker_cmd->add_option("--set", broker_opts.overrides, "Override a key: key=value (repeatable)");
  broker_cmd->callback([&] {
    if (!broker_config.empty()) {
      broker_opts.config_file = broker_config;
    }
    exit_code = meridian::cli::run_broker(broker_opts);
  });

  auto* dev_cmd = app.add_subcommand("dev", "Run a whole datacenter in one process");
  meridian::cli::DevCommandOptions dev_opts;
  std::string dev_data;
  dev_cmd->add_option("--brokers", dev_opts.brokers, "Brokers in the datacenter")
      ->capture_default_str();
  dev_cmd->add_option("--host", dev_opts.host, "Address to listen on")->capture_default_str();
  dev_cmd->add_option("--port", dev_opts.port, "Kafka port of the bootstrap broker")
      ->capture_default_str();
  dev_cmd->add_option("--gateway-port", dev_opts.gateway_port,
                      "REST proxy (HTTP) port; 0: any free port")
      ->capture_default_str();
  dev_cmd->add_option("--admin-port", dev_opts.admin_port,
                      "Admin port (/metrics, /livez, /readyz); 0: any free port")
      ->capture_default_str();
  dev_cmd->add_option("--dc", dev_opts.datacenter, "Datacenter name (metric label)")
      ->capture_default_str();
  dev_cmd->add_option("--mirror-from", dev_opts.mirror_from,
                      "Run a mirror link into this DC from the Kafka cluster at HOST:PORT");
  dev_cmd->add_option("--mirror-topics", dev_opts.mirror_topics,
                      "Regex of source topics to mirror (default: all)");
  dev_cmd->add_option("--mirror-groups", dev_opts.mirror_groups,
                      "Regex of consumer groups whose committed offsets the mirror syncs");
  dev_cmd->add_option("--mirror-admin-port", dev_opts.mirror_admin_port,
                      "Mirror admin API port (with --mirror-from); 0: any free port")
      ->capture_default_str();
  dev_cmd->add_option("--data-dir", dev_data, "Keep data here across restarts (default: temp)");
  dev_cmd->add_option("--set", dev_opts.overrides, "Broker config key=value (repeatable)");
  dev_cmd->add_option("--control-port", dev_opts.control_port,
                      "Serve POST /v1/dev/brokers/{id}/crash|restart here (tests; off if unset)");
  dev_cmd->callback([&] {
    if (!dev_data.empty()) {
      dev_opts.data_dir = dev_data;
    }
    exit_code = meridian::cli::run_dev(dev_opts);
  });

  meridian::cli::register_topic_commands(app, exit_code);
  meridian::cli::register_produce_command(app, exit_code);
  meridian::cli::register_consume_command(app, exit_code);
  meridian::cli::register_cluster_commands(app, exit_code);
  meridian::cli::register_bench_commands(app, exit_code);
  meridian::cli::register_group_commands(app, exit_code);
  meridian::cli::register_mirror_commands(app, exit_code);
  meridian::cli::register_gateway_command(app, exit_code);

#ifdef MERIDIAN_HAVE_LOG_DUMP
  auto* log_cmd = app.add_subcommand("log", "Inspect partition logs on disk");
  log_cmd->require_subcommand(1);
  meridian::cli::register_log_dump(*log_cmd, exit_code);
  auto* generate_cmd =
      log_cmd->add_subcommand("generate", "Append sample records to a partition log directory");
  meridian::cli::LogGenerateOptions generate;
  generate_cmd->add_option("dir", generate.dir, "Partition directory (created if missing)")
      ->required();
  generate_cmd->add_option("-n,--records", generate.records, "Records to append")
      ->capture_default_str();
  generate_cmd->add_option("--batch-records", generate.batch_records, "Records per batch")
      ->capture_default_str();
  generate_cmd->add_option("-z,--compression", generate.compression,
                           "none, gzip, snappy, lz4 or zstd")
      ->capture_default_str();
  generate_cmd->add_option("--value-bytes", generate.value_bytes, "Size of each value")
      ->capture_default_str();
  generate_cmd->add_option("--leader-epoch", generate.leader_epoch, "Leader epoch to stamp")
      ->capture_default_str();
  generate_cmd->add_option("--segment-bytes", generate.segment_bytes, "Roll segments at this size")
      ->capture_default_str();
  generate_cmd->callback([&] {
    exit_code = meridian::cli::run_log_generate(generate, std::cout, std::cerr);
  });
#endif

  app.parse_complete_callback([&] {
    if (!meridian::set_log_level(log_level)) {
      throw CLI::ValidationError("--log-level", "unknown level '" + log_level + "'");
    }
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Client commands promise exit code 2 for usage errors; the others keep CLI11's codes.
    return meridian::cli::usage_exit_code(app, app.exit(e));
  }
  return exit_code;
}
