#pragma once
// Long-running server commands: `meridian broker` (one broker, ZooKeeper coordination) and
// `meridian dev` (a whole datacenter in one process, embedded coordination). Both run until
// SIGINT/SIGTERM, then shut down cleanly (logs closed, sessions ended).

#include <optional>
#include <string>
#include <vector>

namespace meridian::cli {

struct BrokerCommandOptions {
  std::optional<std::string> config_file;
  std::vector<std::string> overrides;  // key=value
};

struct DevCommandOptions {
  int brokers = 3;
  std::string host = "127.0.0.1";
  int port = 9092;  // the bootstrap broker; the others get ports the OS picks
  int gateway_port = 8082;  // the REST proxy (gateway/) on `host`; 0: a port the OS picks
  int admin_port = 9644;    // /metrics, /livez, /readyz on `host`; 0: a port the OS picks
  std::string datacenter = "east";  // `datacenter` label on every metric series
  // A mirror link from another cluster into this DC (issue 7): source HOST:PORT, topic regex
  // (empty: every topic), and the port of its admin API (docs/mirror.md).
  std::string mirror_from;
  std::string mirror_topics;
  std::string mirror_groups;  // regex of consumer groups whose offsets are synced
  int mirror_admin_port = 9645;
  std::optional<std::string> data_dir;  // default: a fresh temporary directory
  std::vector<std::string> overrides;   // broker config key=value for every broker
  // The fault-injection port (cli/dev_control.h: crash/restart a broker); -1: off, 0: OS picks.
  int control_port = -1;
};

// Exit codes: 0 after a clean shutdown, 1 on a start-up failure, 2 on a configuration error.
int run_broker(const BrokerCommandOptions& options);
int run_dev(const DevCommandOptions& options);

}  // namespace meridian::cli
