#pragma once
// `meridian bench produce|consume`: a bounded load tool over the Kafka protocol (cluster/client
// only). produce reports MB/s, records/s and produce latency p50/p99/p999; consume reports
// MB/s and end-to-end latency from the send time stamped into each value. bench/e2e.sh drives
// both against `meridian dev` and records the figures in bench/RESULTS.md.

#include <CLI/CLI.hpp>

namespace meridian::cli {

void register_bench_commands(CLI::App& app, int& exit_code);

}  // namespace meridian::cli
