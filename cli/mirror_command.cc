#include "cli/mirror_command.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <iomanip>
#include <iostream>
#include <thread>

#include "common/admin/admin_runtime.h"
#include "common/config.h"
#include "common/log.h"
#include "gateway/response.h"
#include "gateway/server.h"
#include "mirror/admin_api.h"
#include "mirror/link_metrics.h"

namespace meridian::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;

struct MirrorProcess::Impl {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{
      io.get_executor()};
  std::thread thread;
  std::unique_ptr<mirror::Link> link;
  std::shared_ptr<mirror::LinkMetrics> metrics;  // LinkOptions::metrics; sampled on `io`
  std::unique_ptr<mirror::AdminApi> api;
  std::unique_ptr<gateway::Server> server;
  bool stopped = false;
};

MirrorProcess::MirrorProcess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MirrorProcess::~MirrorProcess() { stop(); }
uint16_t MirrorProcess::admin_port() const { return impl_->server->port(); }

std::unique_ptr<MirrorProcess> MirrorProcess::start(mirror::LinkOptions options,
                                                    const std::string& admin_host,
                                                    int admin_port, std::ostream& err) {
  auto impl = std::make_unique<Impl>();
  impl->metrics = options.metrics;
  impl->link = std::make_unique<mirror::Link>(impl->io.get_executor(), std::move(options));
  impl->api = std::make_unique<mirror::AdminApi>(*impl->link);
  gateway::Router router;
  mirror::AdminApi* api = impl->api.get();
  auto handler = [api](gateway::RequestContext& ctx) -> asio::awaitable<gateway::Response> {
    std::string method(ctx.request.method_string());
    std::string target(ctx.request.target());
    std::string body = ctx.request.body();
    auto reply = co_await api->handle(std::move(method), std::move(target), std::move(body));
    co_return gateway::make_response(static_cast<http::status>(reply.status),
                                     std::move(reply.body), "application/json",
                                     ctx.request.version());
  };
  const char* base = "/v3/clusters/{cluster}/links";
  std::string links(base);
  router.add(http::verb::get, links, handler, "mirror.links");
  router.add(http::verb::get, links + "/{link}", handler, "mirror.link");
  router.add(http::verb::get, links + "/{link}/mirrors", handler, "mirror.mirrors");
  router.add(http::verb::get, links + "/{link}/mirrors/{topic}", handler, "mirror.mirror");
  router.add(http::verb::post, links + "/{link}/{action}", handler, "mirror.action");
  gateway::ServerOptions so;
  so.host = admin_host;
  so.port = static_cast<uint16_t>(admin_port);
  so.threads = 1;
  so.body_limit = 64 * 1024;
  impl->server = std::make_unique<gateway::Server>(so, std::move(router),
                                                   [] { return gateway::Readiness{true, ""}; });
  if (auto started = impl->server->start(); !started) {
    err << "meridian: mirror admin API failed to start on " << admin_host << ":" << admin_port
        << ": " << started.error().message() << "\n";
    return nullptr;
  }
  impl->link->start();
  if (impl->metrics) {
    auto sampler = [metrics = impl->metrics, link = impl->link.get()]() -> asio::awaitable<void> {
      co_await metrics->run(*link, std::chrono::milliseconds(1000));
    };
    asio::co_spawn(impl->io, sampler, asio::detached);
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<MirrorProcess>(new MirrorProcess(std::move(impl)));
}

void MirrorProcess::stop() {
  auto& d = *impl_;
  if (d.stopped) {
    return;
  }
  d.stopped = true;
  d.server->shutdown_input();
  d.server->stop(std::chrono::milliseconds(2000));
  if (d.metrics) {
    d.metrics->stop();
  }
  asio::co_spawn(d.io, d.link->stop(), asio::use_future).wait();
  d.work.reset();
  d.io.stop();
  if (d.thread.joinable()) {
    d.thread.join();
  }
}

namespace {

config::Schema mirror_schema() {
  config::Schema s;
  auto str = [&](const char* name, std::optional<std::string> def, const char* doc,
                 bool required = false) {
    config::KeySpec k;
    k.name = name;
    k.type = config::Type::kString;
    k.default_value = std::move(def);
    k.doc = doc;
    k.required = required;
    s.add(k);
  };
  str("link.name", "link", "Name of the link (admin API path, mirror state owner)");
  str("source.bootstrap.servers", std::nullopt, "Source DC bootstrap host:port[,...]", true);
  str("target.bootstrap.servers", std::nullopt, "Target DC bootstrap host:port[,...]", true);
  str("source.cluster.name", "source", "Source DC name (prefix mode, status)");
  str("target.cluster.name", "target", "Target DC name (admin API cluster id)");
  str("topics.include", "", "Regex of source topics to mirror (empty: all)");
  str("topics.exclude", "^__.*|.*\\.recovered$", "Regex of source topics never mirrored");
  str("admin.host", "127.0.0.1", "Admin API address");
  str("groups.include", "", "Regex of consumer groups whose offsets are synced (empty: none)");
  str("admin.listener", "127.0.0.1:9647",
      "host:port of /metrics, /livez, /readyz, /healthz (the broker's admin.listener)");
  config::KeySpec topics{"topics", config::Type::kList, "", "Source topics to mirror", {}, {},
                         {}, false};
  s.add(topics);
  config::KeySpec prefix{"topic.prefix.enable", config::Type::kBool, "false",
                         "Active/active: mirror topic is <source.cluster.name>.<topic>", {}, {},
                         {}, false};
  s.add(prefix);
  config::KeySpec port{"admin.port", config::Type::kInt, "9645", "Admin API port (0: any)", 0,
                       65535, {}, false};
  s.add(port);
  config::KeySpec rf{"replication.factor", config::Type::kInt, "-1",
                     "Replication factor of created mirror topics (-1: target default)", -1, 16,
                     {}, false};
  s.add(rf);
  config::KeySpec throttle{"throttle.bytes.per.second", config::Type::kInt, "0",
                           "Link bandwidth throttle: source bytes fetched per second (0: none)",
                           0, {}, {}, false};
  s.add(throttle);
  config::KeySpec sync{"config.sync.enable", config::Type::kBool, "true",
                       "Copy source topic configs to the mirror topics", {}, {}, {}, false};
  s.add(sync);
  config::KeySpec sync_ms{"config.sync.interval.ms", config::Type::kInt, "5000",
                          "Topic-config sync poll interval", 100, {}, {}, false};
  s.add(sync_ms);
  config::KeySpec sync_exclude{"config.sync.exclude", config::Type::kList,
                               "min.insync.replicas",
                               "Topic configs never copied nor removed by the sync", {}, {}, {},
                               false};
  s.add(sync_exclude);
  config::KeySpec codec{"compression.type", config::Type::kString, "none",
                        "Compress uncompressed source batches before MirrorAppend",
                        {}, {}, {"none", "gzip", "snappy", "lz4", "zstd"}, false};
  s.add(codec);
  return s;
}

int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

// /metrics, /livez, /readyz of `mirror run` (CONVENTIONS.md §4): ready while the link's last
// sample saw both clusters reachable and its tasks running (active or paused).
std::unique_ptr<admin::AdminRuntime> start_metrics_listener(
    const std::string& listener, std::shared_ptr<mirror::LinkMetrics> metrics) {
  auto options = admin::parse_admin_listener(listener);
  if (!options) {
    std::cerr << "meridian: configuration error: admin.listener '" << listener
              << "' is not host:port\n";
    return nullptr;
  }
  auto rt = std::make_unique<admin::AdminRuntime>(*options);
  rt->server().add_readiness_check("link", [metrics] {
    auto state = metrics->state();
    bool ok = state == admin::LinkState::kActive || state == admin::LinkState::kPaused;
    return admin::CheckResult{ok, "link " + metrics->link() + " " +
                                      std::string(admin::to_string(state))};
  });
  if (auto port = rt->start(); !port) {
    std::cerr << "meridian: admin.listener " << listener << " failed: " << port.error().message()
              << "\n";
    return nullptr;
  }
  return rt;
}

int run_mirror(const std::optional<std::string>& file, const std::vector<std::string>& overrides) {
  mirror::LinkOptions o;
  std::string admin_host, listener;
  int admin_port = 0;
  try {
    config::LoadOptions load;
    load.file = file;
    for (const auto& s : overrides) {
      load.overrides.push_back(config::parse_assignment(s));
    }
    auto v = config::load(mirror_schema(), load);
    o.name = v.get_string("link.name");
    o.source_bootstrap = v.get_string("source.bootstrap.servers");
    o.target_bootstrap = v.get_string("target.bootstrap.servers");
    o.source_cluster = v.get_string("source.cluster.name");
    o.target_cluster = v.get_string("target.cluster.name");
    o.include = v.get_string("topics.include");
    o.exclude = v.get_string("topics.exclude");
    o.topics = v.get_list("topics");
    o.prefix = v.get_bool("topic.prefix.enable");
    o.replication_factor = static_cast<int16_t>(v.get_int("replication.factor"));
    o.groups_include = v.get_string("groups.include");
    o.throttle_bytes_per_second = v.get_int("throttle.bytes.per.second");
    o.config_sync = v.get_bool("config.sync.enable");
    o.config_sync_interval = std::chrono::milliseconds(v.get_int("config.sync.interval.ms"));
    o.config_sync_exclude = v.get_list("config.sync.exclude");
    o.compression = v.get_string("compression.type");
    admin_host = v.get_string("admin.host");
    admin_port = static_cast<int>(v.get_int("admin.port"));
    listener = v.get_string("admin.listener");
  } catch (const config::ConfigError& e) {
    std::cerr << "meridian: configuration error: " << e.what() << "\n";
    return 2;
  }
  // Masked before any thread starts, so sigwait below receives SIGINT/SIGTERM.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::string name = o.name, source = o.source_bootstrap, target = o.target_bootstrap;
  o.metrics = std::make_shared<mirror::LinkMetrics>(o.name);
  auto metrics_port = start_metrics_listener(listener, o.metrics);
  if (!metrics_port) {
    return 1;
  }
  auto process = MirrorProcess::start(std::move(o), admin_host, admin_port, std::cerr);
  if (!process) {
    return 1;
  }
  std::cout << "meridian mirror: link " << name << " " << source << " -> " << target
            << ", admin http://" << admin_host << ":" << process->admin_port() << ", metrics http://"
            << admin::parse_admin_listener(listener)->address << ":" << metrics_port->server().port()
            << std::endl;
  int sig = wait_for_signal();
  logger("mirror")->info("signal {}: shutting down", sig);
  metrics_port->server().begin_shutdown();  // readiness 503 while the link drains
  process->stop();
  metrics_port->stop();
  return 0;
}

// One HTTP request to the mirror's admin API. Returns (status, body) or status 0 on failure.
std::pair<int, std::string> http_call(const std::string& url, http::verb method,
                                      const std::string& target, const std::string& body) {
  std::string rest = url.starts_with("http://") ? url.substr(7) : url;
  auto colon = rest.rfind(':');
  std::string host = rest.substr(0, colon);
  std::string port = colon == std::string::npos ? "9645" : rest.substr(colon + 1);
  while (!port.empty() && port.back() == '/') {
    port.pop_back();
  }
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(120));
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return {static_cast<int>(res.result_int()), res.body()};
  } catch (const std::exception& e) {
    return {0, e.what()};
  }
}

struct ClientArgs {
  std::string admin = "http://127.0.0.1:9645";
  std::string link;
  std::vector<std::string> topics;
  int timeout_ms = 30000;
  bool json_output = false;
};

// The link's name: given, or the only link the process runs.
std::optional<std::string> resolve_link(const ClientArgs& a) {
  if (!a.link.empty()) {
    return a.link;
  }
  auto [status, body] = http_call(a.admin, http::verb::get, "/v3/clusters/-/links", "");
  auto j = json::parse(body, nullptr, false);
  if (status != 200 || !j.is_object() || j["data"].empty()) {
    std::cerr << "meridian: mirror admin API at " << a.admin << " unreachable or no link: "
              << (status == 0 ? body : std::to_string(status)) << "\n";
    return std::nullopt;
  }
  return j["data"][0].value("link_name", "");
}

// The link's state, its newest error of any kind (copy loops clear a partition's last_error once
// they recover, so a flapping link would otherwise look healthy) and its nonzero error counts.
void print_link(const std::string& link, const json& l) {
  std::cout << "link " << link << ": " << l.value("state", "?") << ", "
            << l.value("records_mirrored", 0) << " records mirrored"
            << (l.value("last_error", "").empty() ? "" : ", last error: ")
            << l.value("last_error", "") << "\n";
  if (const auto& recent = l.value("recent_error", json()); recent.is_object()) {
    auto age_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count() -
                  recent.value("timestamp_ms", int64_t{0});
    std::cout << "recent error (" << recent.value("kind", "?") << ", " << std::fixed
              << std::setprecision(1) << static_cast<double>(age_ms) / 1000.0
              << " s ago): " << recent.value("message", "") << "\n";
  }
  std::string counts;
  const json errors = l.value("errors", json::object());
  for (const auto& [kind, n] : errors.items()) {
    if (n.is_number() && n.get<int64_t>() > 0) {
      counts += " " + kind + "=" + std::to_string(n.get<int64_t>());
    }
  }
  if (!counts.empty()) {
    std::cout << "errors:" << counts << "\n";
  }
}

void print_status(const json& mirrors) {
  std::cout << std::left << std::setw(24) << "TOPIC" << std::setw(6) << "PART" << std::setw(11)
            << "STATE" << std::setw(12) << "MIRRORED" << std::setw(12) << "SOURCE-HW"
            << std::setw(10) << "LAG" << std::setw(10) << "LAG-S" << "ERROR\n";
  for (const auto& m : mirrors["data"]) {
    for (const auto& p : m["mirror_lags"]) {
      std::cout << std::left << std::setw(24) << m.value("mirror_topic_name", "")
                << std::setw(6) << p.value("partition", 0) << std::setw(11)
                << m.value("state", "") << std::setw(12) << p.value("mirrored_offset", -1)
                << std::setw(12) << p.value("source_high_watermark", -1) << std::setw(10)
                << p.value("lag_records", 0) << std::setw(10) << std::fixed
                << std::setprecision(2) << p.value("lag_seconds", 0.0)
                << p.value("last_error", "") << "\n";
    }
  }
}

int run_client(const std::string& action, const ClientArgs& a) {
  auto link = resolve_link(a);
  if (!link) {
    return 1;
  }
  std::string base = "/v3/clusters/-/links/" + *link;
  if (action == "status") {
    auto [status, body] = http_call(a.admin, http::verb::get, base + "/mirrors", "");
    auto j = json::parse(body, nullptr, false);
    if (status != 200 || !j.is_object()) {
      std::cerr << "meridian: mirror status failed (" << status << "): " << body << "\n";
      return 1;
    }
    auto [ls, lbody] = http_call(a.admin, http::verb::get, base, "");
    auto lj = json::parse(lbody, nullptr, false);
    if (a.json_output) {
      std::cout << json{{"link", lj}, {"mirrors", j["data"]}}.dump(2) << "\n";
      return 0;
    }
    if (lj.is_object()) {
      print_link(*link, lj);
    }
    print_status(j);
    return 0;
  }
  json request{{"mirror_topic_names", a.topics}, {"timeout_ms", a.timeout_ms}};
  std::string path = base + "/mirrors:" + (action == "failback" ? "reverse-and-start-mirror"
                                                                 : action);
  auto [status, body] = http_call(a.admin, http::verb::post, path, request.dump());
  auto j = json::parse(body, nullptr, false);
  if (status == 0 || !j.is_object()) {
    std::cerr << "meridian: mirror " << action << " failed: " << body << "\n";
    return 1;
  }
  if (a.json_output) {
    std::cout << j.dump(2) << "\n";
  } else if (j.contains("data")) {
    for (const auto& r : j["data"]) {
      std::cout << action << " " << r.value("mirror_topic_name", "") << ": "
                << (r["error_message"].is_string() ? r["error_message"].get<std::string>()
                                                   : std::string("ok"))
                << " (" << std::fixed << std::setprecision(3) << r.value("seconds", 0.0)
                << " s";
      if (action == "failover") {
        std::cout << ", records not copied: " << r.value("records_not_copied", 0);
      }
      std::cout << ")\n";
    }
  } else {
    std::cerr << "meridian: " << j.value("message", body) << "\n";
  }
  return status == 200 ? 0 : 1;
}

}  // namespace

void register_mirror_commands(CLI::App& app, int& exit_code) {
  auto* mirror = app.add_subcommand("mirror", "Cross-DC mirror links (docs/mirror.md)");
  mirror->require_subcommand(1);
  auto* run = mirror->add_subcommand("run", "Run a link: source DC -> target DC");
  auto file = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  run->add_option("-c,--config", *file, "mirror.yaml");
  run->add_option("--set", *overrides, "Override a key: key=value (repeatable)");
  run->callback([file, overrides, &exit_code] {
    std::optional<std::string> f;
    if (!file->empty()) {
      f = *file;
    }
    exit_code = run_mirror(f, *overrides);
  });
  for (const char* action : {"status", "pause", "resume", "promote", "failover", "failback"}) {
    auto args = std::make_shared<ClientArgs>();
    auto* cmd = mirror->add_subcommand(action, std::string("Mirror ") + action);
    cmd->add_option("topics", args->topics, "Mirror topics");
    cmd->add_option("--admin", args->admin, "Mirror admin API URL")->capture_default_str();
    cmd->add_option("--link", args->link, "Link name (default: the process's only link)");
    cmd->add_option("--timeout-ms", args->timeout_ms, "promote: wait this long to catch up")
        ->capture_default_str();
    cmd->add_flag("--json", args->json_output, "Print the API's JSON");
    std::string name = action;
    cmd->callback([name, args, &exit_code] {
      if (name != "status" && args->topics.empty()) {
        std::cerr << "meridian: mirror " << name << " needs at least one topic\n";
        exit_code = 2;
        return;
      }
      exit_code = run_client(name, *args);
    });
  }
}

}  // namespace meridian::cli
