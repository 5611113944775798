#pragma once
// `meridian gateway --config gateway.yaml [--set key=value]`: the REST gateway (Confluent REST
// Proxy v2/v3 compatible) as its own process over a cluster's `bootstrap.servers`. Keys are the
// Confluent ones (gateway/gateway_config.h): listeners (default http://0.0.0.0:8082),
// bootstrap.servers, threads, body.limit.bytes, consumer.*, rate.limit.*. SIGTERM/SIGINT drain:
// stop accepting, /readyz 503, finish in-flight requests up to shutdown.drain.ms, leave groups.

#include <CLI/CLI.hpp>

namespace meridian::cli {

// Adds the `gateway` command to `app`; it sets `exit_code` (2: bad configuration, 1: cannot
// listen).
void register_gateway_command(CLI::App& app, int& exit_code);

}  // namespace meridian::cli
