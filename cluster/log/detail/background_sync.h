#pragma once
// BackgroundSync: one process-wide thread that does the log's slow disk work off the partition
// strands (which run on io threads): starting writeback of freshly appended bytes
// (sync_file_range WRITE) and the fdatasync/fsync that seals a rolled segment.
//
// Why: the kernel starts writing dirty pages back only at dirty_background_ratio (2.4 GB on a
// 24 GB host); at three log writes per produced byte the dirty set then reaches the throttling
// point within seconds and balance_dirty_pages() stalls pwrite() on the io thread for up to
// seconds. Issuing writeback every few MiB keeps the dirty set small; doing it here, not inline,
// keeps its own latency (ext4 block allocation, a full request queue: up to ~100 ms measured)
// off the produce path. A roll's fdatasync of a 1 GiB segment likewise used to block every
// append of that partition (bench/RESULTS.md, issue 4 session 6).
//
// Jobs hold shared_ptr<File>, so a segment deleted or truncated meanwhile stays a valid fd.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "cluster/log/detail/file.h"

namespace meridian::log::detail {

// Completion of a seal job, polled by the PartitionLog on its strand.
struct SealTicket {
  std::atomic<bool> done{false};
  std::error_code error;  // valid once done (written before done is released)
};

// What a seal syncs: the .log (fdatasync), the index files (fsync by path; a missing file was
// deleted or replaced meanwhile and is skipped) and the directory (the new segment's entries).
struct SealJob {
  std::shared_ptr<File> log;
  std::vector<std::filesystem::path> indexes;
  std::filesystem::path dir;
};

class BackgroundSync {
 public:
  // Writeback jobs beyond this many queued are dropped: the kernel writes those pages later.
  static constexpr size_t kMaxQueuedWritebacks = 1024;

  static BackgroundSync& instance();
  BackgroundSync();
  ~BackgroundSync();  // runs what is queued, then joins
  BackgroundSync(const BackgroundSync&) = delete;
  BackgroundSync& operator=(const BackgroundSync&) = delete;

  // Starts writeback of [position, position + length) of `file`. Never blocks.
  void start_writeback(std::shared_ptr<File> file, uint64_t position, uint64_t length);
  // Queues a seal; the ticket is done when every file is synced (or one failed).
  std::shared_ptr<SealTicket> seal(SealJob job);

  // Blocks until every job queued before the call has run (tests, tools).
  void drain();
  // Tests: while paused, jobs queue up but do not run.
  void pause_for_test(bool paused);
  uint64_t writebacks_done() const noexcept { return writebacks_done_.load(); }
  uint64_t writebacks_dropped() const noexcept { return writebacks_dropped_.load(); }

 private:
  struct Job {
    std::shared_ptr<File> file;  // writeback
    uint64_t position = 0;
    uint64_t length = 0;
    std::optional<SealJob> seal;
    std::shared_ptr<SealTicket> ticket;
  };
  void run();
  void execute(Job& job);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Job> queue_;
  size_t queued_writebacks_ = 0;
  uint64_t queued_total_ = 0;  // jobs ever queued
  uint64_t done_total_ = 0;    // jobs ever finished
  bool paused_ = false;
  bool stopping_ = false;
  std::atomic<uint64_t> writebacks_done_{0};
  std::atomic<uint64_t> writebacks_dropped_{0};
  std::thread thread_;
};

}  // namespace meridian::log::detail
