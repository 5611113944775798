#pragma once
// Shared plumbing of the client commands (topic, produce, consume, group, cluster, bench): the
// bootstrap flags, running one command coroutine on its own io_context, and turning client
// errors into one helpful line and an exit code. Everything here runs on the calling thread.
//
// Exit codes (CONVENTIONS.md §3): 0 ok, 1 runtime error (cluster unreachable, request
// refused), 2 usage or configuration error (bad flag value, bad bootstrap list), 10 cluster
// unhealthy (`cluster health`, as rpk does).

#include <CLI/CLI.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cluster/client/client.h"
#include "cluster/record/batch_view.h"

namespace meridian::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnhealthy = 10;

inline constexpr char kDefaultBootstrap[] = "localhost:9092";

struct ClientFlags {
  std::string bootstrap = kDefaultBootstrap;
  int timeout_ms = 10000;  // per request, and the connect timeout
};

// Adds -b/--bootstrap/--brokers (env MERIDIAN_BROKERS) and --request-timeout-ms to `cmd`.
void add_client_flags(CLI::App& cmd, ClientFlags& flags);

client::ClientOptions client_options(const ClientFlags& flags);

// Runs `body` on a fresh single-threaded io_context with a Client of `flags` until it
// completes, and returns its exit code. A bad bootstrap list is reported here (exit 2).
using ClientBody = std::function<boost::asio::awaitable<int>(client::Client&)>;
int run_with_client(const ClientFlags& flags, const ClientBody& body);

// "meridian: <what>: <reason>" plus a hint for the common causes (nothing listening, unknown
// topic, ...). Returns the exit code that fits the error (2 for a bad bootstrap list, else 1).
int report_error(std::string_view what, const std::error_code& ec, const ClientFlags& flags);

// Makes `cmd` run `fn(client, options)` (a coroutine returning the exit code) with a Client of
// `options->flags`. The options live as long as the callback (CLI11 binds flags to them).
template <class Options, class Fn>
void on_run(CLI::App* cmd, std::shared_ptr<Options> options, int& exit_code, Fn fn) {
  cmd->callback([options, &exit_code, fn] {
    exit_code = run_with_client(options->flags,
                                [options, fn](client::Client& c) { return fn(c, options); });
  });
}

// A human name for an error: the Kafka error name for broker errors, else the message.
std::string error_text(const std::error_code& ec);

// Splits "key=value" (or "key:value" when there is no '='). Returns false if neither is found
// or the key is empty.
bool split_assignment(std::string_view text, std::string& key, std::string& value);

// ISO-8601 UTC with milliseconds, e.g. 2026-11-25T16:30:58.123Z.
std::string format_timestamp(int64_t ms);

// Parses a whole string as a (signed) integer; false on any trailing garbage.
bool parse_int(std::string_view text, int64_t& out);

// "all"/"-1", "1", "0" (Kafka's acks), or nullopt.
std::optional<client::Acks> parse_acks(std::string_view text);
// "none", "gzip", "snappy", "lz4", "zstd", or nullopt.
std::optional<record::Compression> parse_compression(std::string_view text);

// Prints rows as left-aligned columns two spaces apart (the first row is the header), as rpk.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

// Maps a CLI11 parse error inside a client command to exit code 2 (usage); other commands keep
// CLI11's codes. `code` is what app.exit(error) returned.
int usage_exit_code(const CLI::App& app, int code);

}  // namespace meridian::cli
