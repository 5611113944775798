#pragma once
// `meridian group list|describe|reset-offsets (seek)|delete`: consumer groups over the Kafka
// protocol (cluster/client/group_client.h), in the style of `rpk group`.

#include <CLI/CLI.hpp>

namespace meridian::cli {

void register_group_commands(CLI::App& app, int& exit_code);

}  // namespace meridian::cli
