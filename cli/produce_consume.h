#pragma once
// `meridian produce TOPIC` (records from stdin, split by a format; key, headers, partition,
// acks, compression) and `meridian consume TOPIC` (from an offset, the beginning, the end, a
// timestamp, or a consumer group; text, JSON or a custom format), in the style of
// `rpk topic produce|consume`. Both talk to the cluster through cluster/client only.

#include <CLI/CLI.hpp>

namespace meridian::cli {

void register_produce_command(CLI::App& app, int& exit_code);
void register_consume_command(CLI::App& app, int& exit_code);

}  // namespace meridian::cli
