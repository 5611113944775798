#include "gateway/gateway_config.h"

#include <charconv>
#include <cmath>

namespace meridian::gateway {
namespace {

using config::KeySpec;
using config::Type;

constexpr int64_t kIntMax = INT32_MAX;

// The primary keys. Aliases are derived from these in make_schema().
std::vector<KeySpec> primary_keys() {
  return {
      {"id", Type::kString, "", "Instance id; prefixes generated consumer instance ids."},
      {"listeners", Type::kList, "http://0.0.0.0:8082", "HTTP listeners, http://host:port."},
      {"advertised.listeners", Type::kList, "", "Base URIs returned as consumer base_uri."},
      {"bootstrap.servers", Type::kList, "", "Brokers of the cluster, host:port."},
      {"admin.listener", Type::kString, "127.0.0.1:9648",
       "Admin HTTP (/metrics, /livez, /readyz), host:port; broker 9644, mirror 9647."},
      {"consumer.request.timeout.ms", Type::kInt, "1000", "Longest wait of GET .../records.", 0,
       kIntMax},
      {"consumer.request.max.bytes", Type::kInt, "67108864", "Largest GET .../records response.", 1,
       INT64_MAX},
      {"consumer.instance.timeout.ms", Type::kInt, "300000",
       "Idle consumer instances expire after this.", 1, kIntMax},
      {"fetch.min.bytes", Type::kInt, "-1", "Bytes a records fetch waits for (-1: any).", -1,
       kIntMax},
      {"threads", Type::kInt, "2", "Threads running the HTTP server.", 1, 256},
      {"body.limit.bytes", Type::kInt, "16777216", "Largest request body (413 beyond).", 1024,
       kIntMax},
      {"header.limit.bytes", Type::kInt, "16384", "Largest request header block (431 beyond).",
       1024, 1048576},
      {"read.timeout.ms", Type::kInt, "30000", "Deadline for reading one whole request.", 1,
       kIntMax},
      {"idle.timeout.ms", Type::kInt, "60000", "Keep-alive connections idle this long close.", 1,
       kIntMax},
      {"shutdown.drain.ms", Type::kInt, "10000", "In-flight requests get this long on shutdown.", 0,
       kIntMax},
      {"rate.limit.enable", Type::kBool, "false", "Per-client rate limits (429/42901)."},
      {"rate.limit.permits.per.sec", Type::kInt, "50", "Requests per second per client IP.", 1,
       kIntMax},
      {"rate.limit.bytes.per.sec", Type::kInt, "0",
       "Body bytes per second per client IP (0: none).", 0, INT64_MAX},
      {"streaming.connection.max.duration.ms", Type::kInt, "86400000",
       "v3 streaming produce connection cap.", 1, INT64_MAX},
      {"streaming.connection.max.duration.grace.period.ms", Type::kInt, "500",
       "After the cap, records already sent are still answered for this long.", 0, 10000},
      {"api.v3.produce.batch.maximum.entries", Type::kInt, "10000",
       "Entries allowed in records:batch.", 1, 1000000},
      {"producer.linger.ms", Type::kString, "0.5",
       "linger.ms of the gateway's producer: how long a produced record waits for others to share "
       "its Produce request; fractions allowed (0: send at once)."},
  };
}

// Redpanda's pandaproxy names for some of the keys.
const std::vector<std::pair<std::string, std::string>>& redpanda_aliases() {
  static const std::vector<std::pair<std::string, std::string>> aliases = {
      {"pandaproxy_api", "listeners"},
      {"advertised_pandaproxy_api", "advertised.listeners"},
      {"brokers", "bootstrap.servers"},
  };
  return aliases;
}

std::string underscored(std::string key) {
  for (char& c : key) {
    if (c == '.') {
      c = '_';
    }
  }
  return key;
}

// Every alias -> its primary key.
std::vector<std::pair<std::string, std::string>> all_aliases() {
  std::vector<std::pair<std::string, std::string>> out = redpanda_aliases();
  for (const auto& k : primary_keys()) {
    if (std::string u = underscored(k.name); u != k.name) {
      out.emplace_back(u, k.name);
    }
  }
  return out;
}

config::Schema make_schema() {
  config::Schema s;
  auto keys = primary_keys();
  for (const auto& k : keys) {
    s.add(k);
  }
  for (const auto& [alias, primary] : all_aliases()) {
    KeySpec spec = *s.find(primary);
    spec.name = alias;
    spec.default_value = std::nullopt;  // unset unless given, so the primary's default stands
    spec.doc = "Alias of " + primary + ".";
    s.add(std::move(spec));
  }
  return s;
}

// The value of `key` after aliases: a configured alias beats the primary's default; both
// configured is ambiguous.
const config::Value& resolve(const config::Values& v, const std::string& key,
                             const std::vector<std::pair<std::string, std::string>>& aliases) {
  const config::Value* chosen = &v.raw(key);
  const std::string* chosen_name = &key;
  for (const auto& [alias, primary] : aliases) {
    if (primary != key || !v.has(alias)) {
      continue;
    }
    const config::Value& a = v.raw(alias);
    if (chosen->source != config::Source::kDefault) {
      if (a.text == chosen->text) {
        continue;  // one environment variable sets both names
      }
      throw config::ConfigError(*chosen_name + " and " + alias + " are both set; use one");
    }
    chosen = &a;
    chosen_name = &alias;
  }
  return *chosen;
}

}  // namespace

Listener parse_listener(const std::string& text) {
  Listener l;
  auto scheme_end = text.find("://");
  std::string rest = text;
  l.scheme = "http";
  if (scheme_end != std::string::npos) {
    l.scheme = text.substr(0, scheme_end);
    rest = text.substr(scheme_end + 3);
  }
  if (l.scheme != "http") {
    throw config::ConfigError("listener " + text + ": only http:// is supported");
  }
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    throw config::ConfigError("listener " + text + ": expected host:port");
  }
  l.host = rest.substr(0, colon);
  if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']') {
    l.host = l.host.substr(1, l.host.size() - 2);
  }
  if (l.host.empty()) {
    l.host = "0.0.0.0";
  }
  std::string port = rest.substr(colon + 1);
  int value = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || ptr != port.data() + port.size() || value < 0 || value > 65535) {
    throw config::ConfigError("listener " + text + ": bad port");
  }
  l.port = static_cast<uint16_t>(value);
  return l;
}

const config::Schema& gateway_schema() {
  static const config::Schema schema = make_schema();
  return schema;
}

GatewayConfig GatewayConfig::from_values(const config::Values& v) {
  const auto aliases = all_aliases();
  auto text = [&](const std::string& key) -> const std::string& {
    return resolve(v, key, aliases).text;
  };
  // Values were validated per key by config::load (ints parse, bounds hold).
  auto integer = [&](const std::string& key) { return std::stoll(text(key)); };
  auto list = [&](const std::string& key) {
    std::vector<std::string> out;
    std::string all = text(key);
    size_t start = 0;
    while (start <= all.size()) {
      size_t comma = all.find(',', start);
      std::string item =
          all.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      auto first = item.find_first_not_of(" \t");
      if (first != std::string::npos) {
        out.push_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  };
  GatewayConfig c;
  c.id = text("id");
  for (const auto& l : list("listeners")) {
    c.listeners.push_back(parse_listener(l));
  }
  if (c.listeners.empty()) {
    throw config::ConfigError("listeners must name at least one listener");
  }
  c.advertised_listeners = list("advertised.listeners");
  c.bootstrap_servers = list("bootstrap.servers");
  c.admin_listener = text("admin.listener");
  c.consumer_request_timeout = std::chrono::milliseconds(integer("consumer.request.timeout.ms"));
  c.consumer_request_max_bytes = integer("consumer.request.max.bytes");
  c.consumer_instance_timeout = std::chrono::milliseconds(integer("consumer.instance.timeout.ms"));
  c.fetch_min_bytes = integer("fetch.min.bytes");
  c.threads = static_cast<int>(integer("threads"));
  c.body_limit_bytes = static_cast<size_t>(integer("body.limit.bytes"));
  c.header_limit_bytes = static_cast<uint32_t>(integer("header.limit.bytes"));
  c.read_timeout = std::chrono::milliseconds(integer("read.timeout.ms"));
  c.idle_timeout = std::chrono::milliseconds(integer("idle.timeout.ms"));
  c.shutdown_drain = std::chrono::milliseconds(integer("shutdown.drain.ms"));
  c.rate_limit.enabled = text("rate.limit.enable") == "true" ||
                         text("rate.limit.enable") == "TRUE" || text("rate.limit.enable") == "True";
  c.rate_limit.requests_per_sec = static_cast<double>(integer("rate.limit.permits.per.sec"));
  c.rate_limit.bytes_per_sec = static_cast<double>(integer("rate.limit.bytes.per.sec"));
  c.streaming_connection_max_duration =
      std::chrono::milliseconds(integer("streaming.connection.max.duration.ms"));
  c.streaming_connection_max_duration_grace_period =
      std::chrono::milliseconds(integer("streaming.connection.max.duration.grace.period.ms"));
  c.produce_batch_max_entries =
      static_cast<size_t>(integer("api.v3.produce.batch.maximum.entries"));
  c.producer_linger = parse_linger_ms(text("producer.linger.ms"));
  return c;
}

std::chrono::microseconds parse_linger_ms(const std::string& text) {
  double ms = -1;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc() || ptr != text.data() + text.size() || !(ms >= 0 && ms <= kMaxLingerMs)) {
    throw config::ConfigError("producer.linger.ms: '" + text +
                              "' is not a number of milliseconds from 0 to " +
                              std::to_string(static_cast<int64_t>(kMaxLingerMs)));
  }
  return std::chrono::microseconds(std::llround(ms * 1000));
}

ServerOptions GatewayConfig::server_options() const {
  ServerOptions o;
  o.host = listeners.front().host;
  o.port = listeners.front().port;
  o.threads = threads;
  o.body_limit = body_limit_bytes;
  o.header_limit = header_limit_bytes;
  o.read_timeout = read_timeout;
  o.idle_timeout = idle_timeout;
  o.rate_limit = rate_limit;
  o.stream_max_duration = streaming_connection_max_duration;
  o.stream_grace_period = streaming_connection_max_duration_grace_period;
  return o;
}

GatewayConfig load_gateway_config(const config::LoadOptions& options) {
  return GatewayConfig::from_values(config::load(gateway_schema(), options));
}

}  // namespace meridian::gateway
