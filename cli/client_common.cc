#include "cli/client_common.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <exception>
#include <iostream>
#include <optional>

namespace meridian::cli {

namespace asio = boost::asio;

void add_client_flags(CLI::App& cmd, ClientFlags& flags) {
  cmd.add_option("-b,--bootstrap,--brokers", flags.bootstrap,
                 "Kafka bootstrap servers host:port[,host:port]")
      ->envname("MERIDIAN_BROKERS")
      ->capture_default_str();
  cmd.add_option("--request-timeout-ms", flags.timeout_ms, "Timeout of each request")
      ->check(CLI::Range(1, 3600 * 1000))
      ->capture_default_str();
}

client::ClientOptions client_options(const ClientFlags& flags) {
  client::ClientOptions options;
  options.bootstrap_servers = flags.bootstrap;
  options.client_id = "meridian-cli";
  options.request_timeout = std::chrono::milliseconds(flags.timeout_ms);
  options.connect_timeout = std::chrono::milliseconds(std::min(flags.timeout_ms, 5000));
  // A user waits on every retry: fail within about a second when nothing answers.
  options.max_retries = 3;
  options.retry_backoff = std::chrono::milliseconds(200);
  return options;
}

int run_with_client(const ClientFlags& flags, const ClientBody& body) {
  asio::io_context io;
  client::Client client(io.get_executor(), client_options(flags));
  std::optional<int> code;
  std::exception_ptr failure;
  asio::co_spawn(io, body(client), [&](std::exception_ptr e, int rc) {
    failure = e;
    code = rc;
    // Connection readers, heartbeat loops and linger timers would keep run() going.
    client.close();
    io.stop();
  });
  io.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {  // a third-party throw (json, allocation): report once
      std::cerr << "meridian: " << e.what() << "\n";
    }
    return kExitError;
  }
  return code.value_or(kExitError);
}

std::string error_text(const std::error_code& ec) {
  if (auto kafka = client::as_kafka_error(ec)) {
    return std::string(protocol::error_code_name(*kafka));
  }
  return ec.message();
}

int report_error(std::string_view what, const std::error_code& ec, const ClientFlags& flags) {
  std::cerr << "meridian: " << what << ": " << error_text(ec);
  int code = kExitError;
  if (ec == client::errc::bad_bootstrap) {
    std::cerr << " (got '" << flags.bootstrap << "')";
    code = kExitUsage;
  } else if (ec == client::errc::no_broker_reachable || ec == client::errc::disconnected) {
    std::cerr << " at " << flags.bootstrap
              << " (is a broker running? start one with `meridian dev`, or pass -b host:port)";
  } else if (ec == client::errc::request_timeout) {
    std::cerr << " after " << flags.timeout_ms << " ms (raise --request-timeout-ms?)";
  } else if (ec == client::errc::no_common_version) {
    std::cerr << " (the broker does not implement this request yet)";
  }
  std::cerr << "\n";
  return code;
}

bool split_assignment(std::string_view text, std::string& key, std::string& value) {
  size_t at = text.find('=');
  if (at == std::string_view::npos) {
    at = text.find(':');
  }
  if (at == std::string_view::npos || at == 0) {
    return false;
  }
  key = std::string(text.substr(0, at));
  value = std::string(text.substr(at + 1));
  return true;
}

std::string format_timestamp(int64_t ms) {
  if (ms < 0) {
    return "-";
  }
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

bool parse_int(std::string_view text, int64_t& out) {
  if (text.empty()) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::optional<client::Acks> parse_acks(std::string_view text) {
  if (text == "all" || text == "-1") {
    return client::Acks::kAll;
  }
  if (text == "1") {
    return client::Acks::kLeader;
  }
  if (text == "0") {
    return client::Acks::kNone;
  }
  return std::nullopt;
}

std::optional<record::Compression> parse_compression(std::string_view text) {
  for (auto c : {record::Compression::kNone, record::Compression::kGzip,
                 record::Compression::kSnappy, record::Compression::kLz4,
                 record::Compression::kZstd}) {
    if (text == record::compression_name(c)) {
      return c;
    }
  }
  return std::nullopt;
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line.append(widths[i] - row[i].size() + 2, ' ');
      }
    }
    out << line << "\n";
  }
}

int usage_exit_code(const CLI::App& app, int code) {
  if (code == 0) {
    return code;  // --help
  }
  for (const char* name : {"topic", "produce", "consume", "group", "cluster", "bench"}) {
    try {
      if (app.get_subcommand(name)->parsed()) {
        return kExitUsage;
      }
    } catch (const CLI::OptionNotFound&) {
      // not registered in this build
    }
  }
  return code;
}

}  // namespace meridian::cli
