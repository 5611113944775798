#pragma once
// `meridian log dump <segment|index|partition dir>...`: prints what is on disk, batch by batch,
// like kafka-dump-log. Reads files only; never opens a PartitionLog (no recovery, no writes).

#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace meridian::cli {

struct LogDumpOptions {
  std::vector<std::string> paths;  // .log, .index, .timeindex files or partition directories
  bool records = false;            // also decode and print every record
  bool json = false;               // one JSON object per line instead of text
};

// Exit status: 0 when every file is a valid segment/index; 1 when one is corrupt or foreign
// (a one-line error naming the file and the problem goes to `err`); 2 for a missing path.
int run_log_dump(const LogDumpOptions& options, std::ostream& out, std::ostream& err);

// Adds `dump` under `log_cmd`; the callback stores run_log_dump's status in `exit_code`.
void register_log_dump(CLI::App& log_cmd, int& exit_code);

}  // namespace meridian::cli
