#pragma once
// `meridian topic create|list|describe|delete|alter-config`: topic administration over the
// Kafka protocol (CreateTopics, Metadata, ListOffsets, DescribeConfigs, DeleteTopics,
// AlterConfigs) through cluster/client, in the style of `rpk topic`.

#include <CLI/CLI.hpp>

namespace meridian::cli {

// Adds the `topic` noun and its verbs to `app`; each verb stores its exit code in `exit_code`
// (which must outlive `app`'s parse).
void register_topic_commands(CLI::App& app, int& exit_code);

}  // namespace meridian::cli
