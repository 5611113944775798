#pragma once
// `meridian config print --effective`: every broker key with its value and where it came from.

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace meridian::cli {

struct ConfigPrintOptions {
  std::optional<std::string> config_file;
  std::vector<std::string> overrides;  // key=value
  bool effective = true;
};

// Returns the process exit code: 0, or 2 on a configuration error (message on `err`).
int run_config_print(const ConfigPrintOptions& options, std::ostream& out, std::ostream& err);

}  // namespace meridian::cli
