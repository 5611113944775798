#include "cluster/log/detail/background_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/log.h"

namespace meridian::log::detail {

BackgroundSync& BackgroundSync::instance() {
  static BackgroundSync sync;
  return sync;
}

BackgroundSync::BackgroundSync() : thread_([this] { run(); }) {}

BackgroundSync::~BackgroundSync() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    paused_ = false;
  }
  wake_.notify_all();
  thread_.join();
}

void BackgroundSync::start_writeback(std::shared_ptr<File> file, uint64_t position,
                                     uint64_t length) {
  {
    std::lock_guard lock(mutex_);
    if (queued_writebacks_ >= kMaxQueuedWritebacks) {
      writebacks_dropped_.fetch_add(1);
      return;
    }
    ++queued_writebacks_;
    ++queued_total_;
    queue_.push_back(Job{std::move(file), position, length, std::nullopt, nullptr});
  }
  wake_.notify_one();
}

std::shared_ptr<SealTicket> BackgroundSync::seal(SealJob job) {
  auto ticket = std::make_shared<SealTicket>();
  {
    std::lock_guard lock(mutex_);
    ++queued_total_;
    queue_.push_back(Job{nullptr, 0, 0, std::move(job), ticket});
  }
  wake_.notify_one();
  return ticket;
}

void BackgroundSync::drain() {
  std::unique_lock lock(mutex_);
  uint64_t target = queued_total_;
  idle_.wait(lock, [&] { return done_total_ >= target; });
}

void BackgroundSync::pause_for_test(bool paused) {
  {
    std::lock_guard lock(mutex_);
    paused_ = paused;
  }
  wake_.notify_all();
}

void BackgroundSync::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return (!queue_.empty() && !paused_) || stopping_; });
    if (queue_.empty()) {
      return;  // stopping with nothing left
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    if (!job.seal) {
      --queued_writebacks_;
    }
    lock.unlock();
    execute(job);
    job = Job{};  // drop the file references outside the lock
    lock.lock();
    ++done_total_;
    idle_.notify_all();
  }
}

namespace {
std::error_code fsync_path(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? std::error_code{} : last_errno();
  }
  std::error_code ec;
  if (::fsync(fd) != 0) {
    ec = last_errno();
  }
  ::close(fd);
  return ec;
}

std::error_code run_seal(const SealJob& job) {
  if (auto r = job.log->sync(); !r) {
    return r.error();
  }
  for (const auto& index : job.indexes) {
    if (auto ec = fsync_path(index)) {
      return ec;
    }
  }
  if (auto r = fsync_dir(job.dir); !r) {
    return r.error();
  }
  return {};
}
}  // namespace

void BackgroundSync::execute(Job& job) {
  if (job.seal) {
    job.ticket->error = run_seal(*job.seal);
    job.ticket->done.store(true, std::memory_order_release);
    return;
  }
  // WRITE only: queue the pages for I/O without waiting for it to finish. Failures are not
  // errors of the log: the pages stay dirty and a later flush or roll syncs (and reports) them.
  if (::sync_file_range(job.file->fd(), static_cast<off64_t>(job.position),
                        static_cast<off64_t>(job.length), SYNC_FILE_RANGE_WRITE) != 0) {
    logger("log")->debug("{}: sync_file_range failed: {}", job.file->path().string(),
                         last_errno().message());
  }
  writebacks_done_.fetch_add(1);
}

}  // namespace meridian::log::detail
