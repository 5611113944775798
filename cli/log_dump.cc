#include "cli/log_dump.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cluster/log/detail/file.h"
#include "cluster/log/detail/sparse_index.h"
#include "cluster/log/format.h"
#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"

namespace meridian::cli {
namespace {
namespace fs = std::filesystem;
namespace lf = log::format;
namespace rf = record::format;
using nlohmann::json;

// Concatenates anything streamable (avoids g++ 12's false -Wrestrict on "lit" + std::string&&).
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) {
      out += kAlphabet[(v >> s) & 63];
    }
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) {
      v |= uint8_t(in[i + 1]) << 8;
    }
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Printable ASCII as is, anything else as "base64:<...>"; null as "null".
std::string show(const std::optional<std::string>& bytes) {
  if (!bytes) {
    return "null";
  }
  bool printable =
      std::all_of(bytes->begin(), bytes->end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  return printable ? *bytes : cat("base64:", base64(*bytes));
}

struct Dumper {
  const LogDumpOptions& options;
  std::ostream& out;
  std::ostream& err;
  int status = 0;

  void fail(const fs::path& file, const std::string& problem) {
    err << file.string() << ": " << problem << "\n";
    status = std::max(status, 1);
  }

  void print_records(const record::BatchView& batch) {
    auto records = record::decode_records(batch);
    if (!records) {
      out << "  | records not decodable: " << records.error().message() << "\n";
      return;
    }
    for (const auto& r : *records) {
      if (options.json) {
        json j{{"offset", r.offset.value},
               {"timestamp", r.timestamp},
               {"key", show(r.key)},
               {"value", show(r.value)}};
        j["headers"] = json::array();
        for (const auto& h : r.headers) {
          j["headers"].push_back({{"key", show(h.key)}, {"value", show(h.value)}});
        }
        out << j.dump() << "\n";
        continue;
      }
      out << "  | offset: " << r.offset.value << " timestamp: " << r.timestamp
          << " key: " << show(r.key) << " value: " << show(r.value) << " headers: [";
      for (size_t i = 0; i < r.headers.size(); ++i) {
        out << (i ? ", " : "") << show(r.headers[i].key) << "=" << show(r.headers[i].value);
      }
      out << "]\n";
    }
  }

  void print_batch(const record::BatchView& b, uint64_t position, bool crc_ok) {
    if (options.json) {
      out << json{{"baseOffset", b.base_offset().value},
                  {"lastOffset", b.last_offset().value},
                  {"count", b.records_count()},
                  {"leaderEpoch", b.leader_epoch().value},
                  {"baseTimestamp", b.base_timestamp()},
                  {"maxTimestamp", b.max_timestamp()},
                  {"compression", record::compression_name(b.compression())},
                  {"size", b.size_bytes()},
                  {"position", position},
                  {"crcValid", crc_ok},
                  {"producerId", b.producer_id()},
                  {"transactional", b.is_transactional()},
                  {"control", b.is_control()}}
                 .dump()
          << "\n";
    } else {
      out << "baseOffset: " << b.base_offset().value << " lastOffset: " << b.last_offset().value
          << " count: " << b.records_count() << " leaderEpoch: " << b.leader_epoch().value
          << " baseTimestamp: " << b.base_timestamp() << " maxTimestamp: " << b.max_timestamp()
          << " compression: " << record::compression_name(b.compression())
          << " size: " << b.size_bytes() << " position: " << position
          << " crcValid: " << (crc_ok ? "true" : "false") << "\n";
    }
    if (options.records && crc_ok) {
      print_records(b);
    }
  }

  void dump_segment(const fs::path& path) {
    auto file = log::detail::File::open(path, log::detail::File::Mode::kReadOnly);
    if (!file) {
      fail(path, cat("cannot open: ", file.error().message()));
      return;
    }
    auto file_size = (*file)->size();
    if (!file_size) {
      return fail(path, cat("cannot stat: ", file_size.error().message()));
    }
    uint64_t size = *file_size;
    log::detail::WindowReader reader(**file, size, 1 << 20);
    if (!options.json) {
      out << "Dumping " << path.string() << "\n";
    }
    uint64_t pos = 0;
    int64_t next = -1;
    while (pos < size) {
      auto head = reader.read(pos, rf::kLogOverhead + 5);
      if (!head) {
        return fail(path, cat("read error at position ", pos));
      }
      auto length = head->size() >= rf::kLogOverhead
                        ? load_be<int32_t>(head->data() + rf::kBatchLengthPos)
                        : 0;
      auto bytes = reader.read(pos, static_cast<size_t>(std::clamp<int64_t>(
                                        int64_t{length} + int64_t{rf::kLogOverhead}, 0,
                                        rf::kMaxBatchSize + int64_t{rf::kLogOverhead})));
      auto batch =
          bytes ? record::BatchView::parse(*bytes) : Result<record::BatchView>(bytes.error());
      if (!batch) {
        const char* what = pos == 0 ? "not a Meridian segment: " : "corrupt batch: ";
        return fail(path, cat(what, batch.error().message(), " at position ", pos));
      }
      bool crc_ok = batch->crc_valid();
      print_batch(*batch, pos, crc_ok);
      if (!crc_ok) {
        fail(path, cat("CRC32C mismatch in batch at position ", pos));
      }
      if (batch->base_offset().value < next) {
        fail(path, cat("offsets go backwards at position ", pos));
      }
      next = batch->next_offset().value;
      pos += batch->size_bytes();
    }
  }

  template <class Entry>
  void dump_index(const fs::path& path, uint64_t base) {
    log::detail::SparseIndex<Entry> index(path);
    if (auto problem = index.load(UINT64_MAX, UINT32_MAX)) {
      return fail(path, cat("invalid index: ", *problem));
    }
    if (!options.json) {
      out << "Dumping " << path.string() << "\n";
    }
    for (const auto& e : index.entries()) {
      if constexpr (std::is_same_v<Entry, log::detail::OffsetIndexEntry>) {
        if (options.json) {
          out << json{{"offset", base + e.relative_offset}, {"position", e.position}}.dump()
              << "\n";
        } else {
          out << "offset: " << base + e.relative_offset << " position: " << e.position << "\n";
        }
      } else if (options.json) {
        out << json{{"timestamp", e.timestamp}, {"offset", base + e.relative_offset}}.dump()
            << "\n";
      } else {
        out << "timestamp: " << e.timestamp << " offset: " << base + e.relative_offset << "\n";
      }
    }
  }

  // Segment base offset from a "<20 digits>.<ext>" name.
  std::optional<uint64_t> base_of(const fs::path& path) {
    std::string stem = path.stem().string();
    if (stem.size() != lf::kOffsetDigits ||
        !std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::stoull(stem);
  }

  // .log files are judged by their content; index entries need the base offset in the name.
  void dump_file(const fs::path& path) {
    std::string ext = path.extension().string();
    if (ext == lf::kLogSuffix) {
      return dump_segment(path);
    }
    auto base = base_of(path);
    if (ext != lf::kIndexSuffix && ext != lf::kTimeIndexSuffix) {
      return fail(path, "not a Meridian segment or index file (expected .log, .index, .timeindex)");
    }
    if (!base) {
      return fail(path, cat("not a Meridian index: file name is not <20-digit base offset>", ext));
    }
    if (ext == lf::kIndexSuffix) {
      dump_index<log::detail::OffsetIndexEntry>(path, *base);
    } else {
      dump_index<log::detail::TimeIndexEntry>(path, *base);
    }
  }

  void dump_path(const fs::path& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> logs;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        if (entry.path().extension() == lf::kLogSuffix) {
          logs.push_back(entry.path());
        }
      }
      std::sort(logs.begin(), logs.end());
      if (logs.empty()) {
        fail(path, "no .log segment files in directory");
      }
      for (const auto& p : logs) {
        dump_file(p);
      }
    } else if (fs::exists(path, ec)) {
      dump_file(path);
    } else {
      err << path.string() << ": no such file or directory\n";
      status = 2;
    }
  }
};

}  // namespace

int run_log_dump(const LogDumpOptions& options, std::ostream& out, std::ostream& err) {
  Dumper dumper{options, out, err};
  if (options.paths.empty()) {
    err << "log dump: no path given\n";
    return 2;
  }
  for (const auto& p : options.paths) {
    dumper.dump_path(p);
  }
  return dumper.status;
}

void register_log_dump(CLI::App& log_cmd, int& exit_code) {
  auto options = std::make_shared<LogDumpOptions>();
  auto* dump = log_cmd.add_subcommand(
      "dump", "Print the batches of segment files (.log), index entries, or a partition dir");
  dump->add_option("paths", options->paths, "Segment/index files or partition directories")
      ->required();
  dump->add_flag("--records", options->records, "Also print every record");
  dump->add_flag("--json", options->json, "One JSON object per line");
  dump->callback(
      [options, &exit_code] { exit_code = run_log_dump(*options, std::cout, std::cerr); });
}

}  // namespace meridian::cli
