#pragma once
// Text formats of `meridian produce` (how stdin is split into keys and values) and
// `meridian consume` (how a record is printed). Pure: tested without a cluster.
//
// Input format (produce -f): literal text with %k (key) and %v (value); escapes \n \t \\ and
// %%. Every field but the last must be followed by a literal, which ends it. Default "%v\n":
// one value per line. Example: "%k=%v\n" reads "user-1=hello\n" as key user-1, value hello.
//
// Output format (consume -f): %t topic, %p partition, %o offset, %k key, %v value, %T timestamp
// in ms, %d timestamp as ISO-8601 UTC, %h headers as k=v,k=v; escapes as above.

#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/client/consumer.h"

namespace meridian::cli {

struct FormatToken {
  enum class Kind { kLiteral, kKey, kValue, kTopic, kPartition, kOffset, kTimestamp, kDate,
                    kHeaders };
  Kind kind;
  std::string text;  // for kLiteral
};

// Parses a format string; on failure returns nullopt and sets `error`. `input` restricts the
// fields to %k and %v and requires a literal between two fields.
std::optional<std::vector<FormatToken>> parse_format(std::string_view format, bool input,
                                                     std::string& error);

struct InputRecord {
  std::optional<std::string> key;
  std::string value;
};

// Splits a stream into records by an input format. Not thread-safe.
class RecordReader {
 public:
  RecordReader(std::istream& in, std::vector<FormatToken> tokens);
  // The next record; nullopt at the end of input (or after a mismatch: see error()).
  std::optional<InputRecord> next();
  // Set when the input does not match the format (a literal was expected).
  const std::string& error() const noexcept { return error_; }

 private:
  // Reads up to (and consumes) `delimiter`, or to the end when it is empty. False at EOF
  // before any byte.
  bool read_until(const std::string& delimiter, std::string& out);

  std::istream& in_;
  std::vector<FormatToken> tokens_;
  std::string error_;
  size_t records_ = 0;
};

// Renders one consumed record with an output format.
std::string render_record(const std::vector<FormatToken>& tokens,
                          const client::ConsumerRecord& record);
// One JSON object (a line of `consume --format json`): topic, partition, offset, timestamp,
// key, value, headers [{key, value}]. Invalid UTF-8 is replaced, never thrown.
std::string render_record_json(const client::ConsumerRecord& record);

// Where `consume -o` starts, rpk's grammar: beginning|start|oldest, end|newest, N (exact),
// +N (N after the start), -N (N before the end), @T (first record with timestamp >= T ms).
struct OffsetSpec {
  enum class Kind { kBeginning, kEnd, kExact, kAfterStart, kBeforeEnd, kTimestamp };
  Kind kind = Kind::kBeginning;
  int64_t value = 0;
};
std::optional<OffsetSpec> parse_offset_spec(std::string_view text);
// The offset to start from given the partition's log start and high watermark (clamped into
// [log_start, high_watermark]); for kTimestamp pass the offset ListOffsets found (-1: none).
int64_t resolve_offset(const OffsetSpec& spec, int64_t log_start, int64_t high_watermark,
                       int64_t by_timestamp);

// The default text format of `consume`.
inline constexpr char kDefaultOutputFormat[] = "%t/%p@%o  %d  key=%k  headers={%h}  %v\\n";

}  // namespace meridian::cli
