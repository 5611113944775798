#pragma once
// `meridian cluster health|info|metadata`: the cluster as the Kafka protocol shows it
// (Metadata plus a connection attempt to every broker), in the style of `rpk cluster`.
// `cluster health` exits 10 when the cluster is unhealthy (cluster_health.h).

#include <CLI/CLI.hpp>

namespace meridian::cli {

void register_cluster_commands(CLI::App& app, int& exit_code);

}  // namespace meridian::cli
