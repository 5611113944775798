#pragma once
// `meridian topic describe TOPIC`: summary, configs and partitions (leader, epoch, replicas,
// ISR, log start offset, high watermark), as `rpk topic describe`.

#include <CLI/CLI.hpp>

namespace meridian::cli {

// Adds `describe` under the `topic` noun.
void register_topic_describe(CLI::App& topic, int& exit_code);

}  // namespace meridian::cli
