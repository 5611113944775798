#pragma once
// The gateway's configuration with the Confluent REST Proxy's key names and defaults
// (KafkaRestConfig.java; CONVENTIONS.md §5b), loaded through common/config.h (YAML < MERIDIAN_*
// environment < --set). Every dotted key also has an underscore alias
// (consumer_request_timeout_ms), and Redpanda's pandaproxy names are accepted (pandaproxy_api,
// advertised_pandaproxy_api, brokers). Aliases are extra schema keys merged in from_values();
// giving a key and its alias both is an error.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/config.h"
#include "gateway/server.h"

namespace meridian::gateway {

struct Listener {
  std::string scheme;  // "http"
  std::string host;
  uint16_t port = 0;
};

// Parses "http://0.0.0.0:8082" (also "[::1]:8082" hosts). Throws config::ConfigError.
Listener parse_listener(const std::string& text);

inline constexpr double kMaxLingerMs = 60000;
// Parses producer.linger.ms: milliseconds, fractions allowed ("0.25"), 0 to kMaxLingerMs.
// Throws config::ConfigError naming the key and the value.
std::chrono::microseconds parse_linger_ms(const std::string& text);

struct GatewayConfig {
  std::string id;
  std::vector<Listener> listeners;
  std::vector<std::string> advertised_listeners;  // base URIs for consumer instances
  std::vector<std::string> bootstrap_servers;
  std::string admin_listener = "127.0.0.1:9648";  // /metrics, /livez, /readyz (host:port)
  std::chrono::milliseconds consumer_request_timeout{1000};
  int64_t consumer_request_max_bytes = 67108864;
  std::chrono::milliseconds consumer_instance_timeout{300000};
  int64_t fetch_min_bytes = -1;
  int threads = 2;
  size_t body_limit_bytes = 16 * 1024 * 1024;
  uint32_t header_limit_bytes = 16 * 1024;
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds shutdown_drain{10000};
  RateLimitOptions rate_limit;
  std::chrono::milliseconds streaming_connection_max_duration{86400000};
  std::chrono::milliseconds streaming_connection_max_duration_grace_period{500};
  size_t produce_batch_max_entries = 10000;
  // producer.linger.ms (GatewayAppOptions::producer_linger): 0.5 ms measured best for
  // single-record produce (bench/RESULTS.md, gateway linger, session 7).
  std::chrono::microseconds producer_linger{500};

  // The server options for the first listener.
  ServerOptions server_options() const;

  // Throws config::ConfigError for bad combinations (alias and key both set, bad listener).
  static GatewayConfig from_values(const config::Values& values);
};

const config::Schema& gateway_schema();

// Loads and validates; throws config::ConfigError with a one-line message.
GatewayConfig load_gateway_config(const config::LoadOptions& options);

}  // namespace meridian::gateway
