#include "cluster/log/detail/checkpoint.h"

#include <charconv>

#include "cluster/log/detail/file.h"
#include "cluster/log/errc.h"
#include "cluster/log/format.h"

namespace meridian::log::detail {

std::string encode_checkpoint(const CheckpointRows& rows) {
  std::string out = std::to_string(format::kCheckpointVersion);
  out += '\n';
  out += std::to_string(rows.size());
  out += '\n';
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) {
        out += ' ';
      }
      out += std::to_string(row[i]);
    }
    out += "\n";
  }
  return out;
}

namespace {
// Parses the next whitespace-separated integer; false at a malformed token or the end.
bool next_int(std::string_view& text, int64_t& value, bool& at_line_end) {
  size_t i = 0;
  while (i < text.size() && text[i] == ' ') {
    ++i;
  }
  auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
  if (ec != std::errc()) {
    return false;
  }
  text.remove_prefix(static_cast<size_t>(ptr - text.data()));
  at_line_end = !text.empty() && text.front() == '\n';
  if (at_line_end) {
    text.remove_prefix(1);
  }
  return at_line_end || (!text.empty() && text.front() == ' ');
}
}  // namespace

Result<CheckpointRows> decode_checkpoint(std::string_view text, size_t width) {
  int64_t version = 0;
  int64_t count = 0;
  bool eol = false;
  if (!next_int(text, version, eol) || !eol || version != format::kCheckpointVersion ||
      !next_int(text, count, eol) || !eol || count < 0 || count > 1'000'000) {
    return make_error_code(errc::corrupt_checkpoint);
  }
  CheckpointRows rows;
  for (int64_t r = 0; r < count; ++r) {
    std::vector<int64_t> row(width);
    for (size_t c = 0; c < width; ++c) {
      if (!next_int(text, row[c], eol) || eol != (c + 1 == width)) {
        return make_error_code(errc::corrupt_checkpoint);
      }
    }
    rows.push_back(std::move(row));
  }
  if (!text.empty()) {
    return make_error_code(errc::corrupt_checkpoint);
  }
  return rows;
}

Result<void> write_checkpoint(const std::filesystem::path& path, const CheckpointRows& rows) {
  return write_file_atomic(path, encode_checkpoint(rows));
}

Result<CheckpointRows> read_checkpoint(const std::filesystem::path& path, size_t width) {
  auto text = read_small_file(path);
  if (!text) {
    return text.error();
  }
  return decode_checkpoint(*text, width);
}

}  // namespace meridian::log::detail
