#pragma once
// `meridian mirror ...` (docs/mirror.md):
//   mirror run --config mirror.yaml [--set key=value]   a link process: source DC -> target DC,
//       serving the Cluster-Linking-shaped admin API (mirror/admin_api.h) on admin.port.
//   mirror status|pause|resume|promote|failover|failback [TOPIC...] --admin URL [--link NAME]
//       clients of that API; exit 0 on success, 1 when any topic's operation failed.
// MirrorProcess is the same link embedded in another process (`meridian dev --mirror-from`).

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

#include "mirror/link.h"

namespace meridian::cli {

class MirrorProcess {
 public:
  // Starts the link on its own thread and the admin HTTP server on admin_host:admin_port
  // (0: any free port). Returns null (and says why on `err`) when the server cannot start.
  static std::unique_ptr<MirrorProcess> start(mirror::LinkOptions options,
                                              const std::string& admin_host, int admin_port,
                                              std::ostream& err);
  ~MirrorProcess();
  uint16_t admin_port() const;
  void stop();

  struct Impl;

 private:
  explicit MirrorProcess(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Adds the `mirror` command and its subcommands to `app`; they set `exit_code`.
void register_mirror_commands(CLI::App& app, int& exit_code);

}  // namespace meridian::cli
