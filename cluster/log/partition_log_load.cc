// PartitionLog::open: directory scan, checkpoints and crash recovery.
#include "cluster/log/partition_log.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "cluster/log/detail/checkpoint.h"
#include "cluster/log/detail/file.h"
#include "cluster/log/detail/leader_epoch_cache.h"
#include "cluster/log/detail/segment.h"
#include "common/log.h"

namespace meridian::log {
namespace fs = std::filesystem;

Result<std::unique_ptr<PartitionLog>> PartitionLog::open(const fs::path& dir, LogConfig config,
                                                         Clock clock) {
  if (auto r = config.validate(); !r) {
    return r.error();
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    logger("log")->error("{}: cannot create partition directory: {}", dir.string(),
                         ec ? ec.message() : "not a directory");
    return make_error_code(errc::bad_directory);
  }
  std::unique_ptr<PartitionLog> log(new PartitionLog(dir, config, std::move(clock)));
  if (auto r = log->load(); !r) {
    log->closed_ = true;  // nothing to flush; do not write a clean marker over a failed open
    return r.error();
  }
  return log;
}

namespace {
enum class Kind { kLog, kIndex, kTimeIndex, kForeign };

// "<20 digits><suffix>" -> base offset.
std::optional<Offset> parse_segment_name(const std::string& name, std::string_view suffix) {
  if (name.size() != format::kOffsetDigits + suffix.size() || !name.ends_with(suffix)) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (size_t i = 0; i < format::kOffsetDigits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) {
      return std::nullopt;
    }
    if (value > (INT64_MAX - 9) / 10) {
      return std::nullopt;
    }
    value = value * 10 + (name[i] - '0');
  }
  return Offset(value);
}

bool is_checkpoint_name(const std::string& name) {
  return name == format::kLeaderEpochCheckpoint || name == format::kRecoveryPointCheckpoint ||
         name == format::kLogStartOffsetCheckpoint || name == format::kCleanShutdownMarker ||
         name == format::kCleanerCheckpoint;
}
// "<offset>.snapshot.tmp" or "<base>.log.cleaned": see partition_log_snapshots.cc, log_cleaner.h.
bool is_interrupted_write(const std::string& name) {
  std::string snapshot_tmp = std::string(format::kSnapshotSuffix) + std::string(format::kTmpSuffix);
  std::string cleaned = std::string(format::kLogSuffix) + std::string(format::kCleanedSuffix);
  return parse_segment_name(name, snapshot_tmp) || parse_segment_name(name, cleaned);
}
}  // namespace

// Lists segment base offsets; reports (never deletes) anything that is not ours.
Result<std::vector<Offset>> PartitionLog::scan_directory() {
  std::set<int64_t> logs;
  std::vector<std::pair<int64_t, fs::path>> indexes;
  std::error_code ec;
  auto warn = [&](std::string line) {
    logger("log")->warn("{}", line);
    open_stats_.warnings.push_back(std::move(line));
  };
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file()) {
      warn(entry.path().string() + ": unexpected entry in partition directory; ignored");
      continue;
    }
    if (auto base = parse_segment_name(name, format::kLogSuffix)) {
      logs.insert(base->value);
    } else if (auto ibase = parse_segment_name(name, format::kIndexSuffix)) {
      indexes.emplace_back(ibase->value, entry.path());
    } else if (auto tbase = parse_segment_name(name, format::kTimeIndexSuffix)) {
      indexes.emplace_back(tbase->value, entry.path());
    } else if (auto sbase = parse_segment_name(name, format::kSnapshotSuffix)) {
      snapshots_.push_back(*sbase);
    } else if (is_checkpoint_name(name)) {
      continue;
    } else if (is_interrupted_write(name)) {
      // A snapshot write or a clean cut short: the file it was to replace is intact.
      warn(entry.path().string() + ": interrupted snapshot or clean; removed");
      fs::remove(entry.path(), ec);
    } else if (name.ends_with(format::kTmpSuffix) &&
               is_checkpoint_name(name.substr(0, name.size() - format::kTmpSuffix.size()))) {
      fs::remove(entry.path(), ec);  // an interrupted checkpoint write; the old file is intact
    } else if (name.ends_with(format::kLogSuffix)) {
      warn(entry.path().string() +
           ": not a segment file name (expected <20-digit base offset>.log); not opened");
    } else {
      warn(entry.path().string() + ": unexpected file in partition directory; ignored");
    }
  }
  if (ec) {
    logger("log")->error("{}: cannot list partition directory: {}", dir_.string(), ec.message());
    return make_error_code(errc::bad_directory);
  }
  for (const auto& [base, path] : indexes) {
    if (!logs.contains(base)) {
      // Our own file (by its name) left behind by an interrupted deletion.
      warn(path.string() + ": index without a .log file; removed");
      fs::remove(path, ec);
    }
  }
  std::sort(snapshots_.begin(), snapshots_.end());
  std::vector<Offset> bases;
  for (int64_t b : logs) {
    bases.emplace_back(b);
  }
  return bases;
}

Result<void> PartitionLog::load() {
  auto bases = scan_directory();
  if (!bases) {
    return bases.error();
  }
  bool is_new = bases->empty();
  fs::path marker = dir_ / format::kCleanShutdownMarker;
  std::error_code ec;
  open_stats_.clean_shutdown = fs::exists(marker, ec);
  Offset recovery_point(0);
  if (auto rows = detail::read_checkpoint(dir_ / format::kRecoveryPointCheckpoint, 1)) {
    recovery_point = Offset(std::max<int64_t>(0, (*rows).empty() ? 0 : (*rows)[0][0]));
  } else if (rows.error() != std::errc::no_such_file_or_directory) {
    open_stats_.warnings.push_back(format::kRecoveryPointCheckpoint.data() +
                                   std::string(": unreadable; recovering every segment"));
  }
  if (open_stats_.clean_shutdown) {
    recovery_point = Offset(INT64_MAX);
  }
  std::vector<EpochEntry> recovered_epochs;
  if (auto r = load_segments(*bases, recovery_point, recovered_epochs); !r) {
    return r.error();
  }
  if (auto r = load_checkpoints(!bases->empty(), recovered_epochs); !r) {
    return r.error();
  }
  recovery_point_ = std::min(recovery_point, log_end_offset());
  // A snapshot past the end describes batches a crash cut off (partition_log_snapshots.cc).
  (void)prune_state_snapshots(log_start_, log_end_offset());
  load_cleaner_checkpoint();
  if (open_stats_.clean_shutdown) {
    fs::remove(marker, ec);  // from here on a crash must trigger recovery
    if (auto r = detail::fsync_dir(dir_); !r) {
      return r.error();
    }
  }
  if (auto r = write_recovery_point(); !r) {
    return r.error();
  }
  last_flush_ms_ = clock_();
  open_stats_.segments = segments_.size();
  auto& lg = *logger("log");
  lg.log(open_stats_.bytes_dropped > 0 ? spdlog::level::warn : spdlog::level::info,
         "{}: opened ({}): {} segment(s), offsets [{}, {}), {} recovered, {} index(es) "
         "rebuilt, {} byte(s) dropped",
         dir_.filename().string(),
         open_stats_.clean_shutdown ? "clean" : (is_new ? "new" : "unclean"), segments_.size(),
         log_start_.value, log_end_offset().value, open_stats_.segments_recovered,
         open_stats_.indexes_rebuilt, open_stats_.bytes_dropped);
  return {};
}

Result<void> PartitionLog::load_segments(const std::vector<Offset>& bases, Offset recovery_point,
                                         std::vector<EpochEntry>& recovered_epochs) {
  // Segments from the one holding the recovery point on may hold unflushed bytes.
  size_t first_recovered = 0;
  for (size_t i = 0; i < bases.size(); ++i) {
    if (bases[i] <= recovery_point) {
      first_recovered = i;
    }
  }
  detail::Segment::Options options = detail::segment_options(config_);
  Offset min_base(0);
  for (size_t i = 0; i < bases.size(); ++i) {
    auto mode = i >= first_recovered && !open_stats_.clean_shutdown
                    ? detail::Segment::LoadMode::kRecover
                    : detail::Segment::LoadMode::kTrust;
    detail::Segment::LoadReport report;
    auto seg = detail::Segment::open(dir_, bases[i], options, mode, min_base, clock_(), report);
    if (!seg) {
      logger("log")->error("{}: cannot open segment {}: {}", dir_.string(), bases[i].value,
                           seg.error().message());
      return seg.error();
    }
    std::string name = detail::segment_path(dir_, bases[i], format::kLogSuffix).filename();
    if (mode == detail::Segment::LoadMode::kRecover) {
      ++open_stats_.segments_recovered;
    }
    if (!report.index_problem.empty()) {
      ++open_stats_.indexes_rebuilt;
      open_stats_.warnings.push_back(name + ": indexes rebuilt: " + report.index_problem);
    }
    recovered_epochs.insert(recovered_epochs.end(), report.epochs.begin(), report.epochs.end());
    min_base = (*seg)->next_offset();
    segments_.emplace(bases[i].value, std::move(*seg));
    if (report.dropped_bytes > 0) {
      open_stats_.bytes_dropped += report.dropped_bytes;
      std::string line = name + ": dropped " + std::to_string(report.dropped_bytes) +
                         " byte(s) from " + report.problem;
      logger("log")->warn("{}: {}", dir_.string(), line);
      open_stats_.warnings.push_back(line);
      // Nothing after an invalid byte can be trusted: later segments go too (as in Kafka).
      for (size_t j = i + 1; j < bases.size(); ++j) {
        auto path = detail::segment_path(dir_, bases[j], format::kLogSuffix);
        std::error_code ec;
        open_stats_.bytes_dropped += fs::file_size(path, ec);
        for (auto suffix : {format::kLogSuffix, format::kIndexSuffix, format::kTimeIndexSuffix}) {
          fs::remove(detail::segment_path(dir_, bases[j], suffix), ec);
        }
      }
      break;
    }
  }
  return {};
}

Result<void> PartitionLog::load_checkpoints(bool have_data,
                                            const std::vector<EpochEntry>& recovered_epochs) {
  Offset start(0);
  if (auto rows = detail::read_checkpoint(dir_ / format::kLogStartOffsetCheckpoint, 1)) {
    start = Offset(rows->empty() ? 0 : (*rows)[0][0]);
  }
  if (segments_.empty()) {
    auto created = detail::Segment::create(dir_, start, detail::segment_options(config_), clock_());
    if (!created) {
      return created.error();
    }
    segments_.emplace(start.value, std::move(*created));
  }
  log_start_ = std::clamp(start, Offset(segments_.begin()->first), log_end_offset());
  auto loaded = epochs_->load();
  bool rebuild = !loaded || (have_data && epochs_->entries().empty());
  if (!loaded) {
    open_stats_.warnings.push_back(std::string(format::kLeaderEpochCheckpoint) + ": " +
                                   loaded.error().message() + "; rebuilt from the segments");
  }
  if (rebuild) {
    epochs_->clear();
  }
  // Recovered batches may carry epochs the checkpoint missed (crash between data and
  // checkpoint write): walk the headers of every segment when rebuilding, else of none.
  if (rebuild) {
    for (const auto& [base, seg] : segments_) {
      detail::ScanOptions opts{detail::ScanOptions::Verify::kHeaders, 0, Offset(base),
                               Offset(base)};
      auto scanned = detail::scan_batches(*seg->file(), seg->size_bytes(), opts,
                                          [this](const detail::BatchHeader& h, uint64_t) {
                                            epochs_->assign(h.leader_epoch, h.base_offset);
                                          });
      if (!scanned) {
        return scanned.error();
      }
    }
  }
  bool changed = rebuild;
  for (const auto& e : recovered_epochs) {
    changed |= epochs_->assign(e.epoch, e.start_offset);
  }
  changed |= epochs_->truncate_from_end(log_end_offset());
  changed |= epochs_->truncate_from_start(log_start_);
  if (changed) {
    if (auto r = epochs_->persist(); !r) {
      return r.error();
    }
  }
  return {};
}

}  // namespace meridian::log
