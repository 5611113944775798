#pragma once
// Thin POSIX file helpers for the log: an owning fd, full pread/pwrite loops, fsync, atomic
// small-file replacement, and a windowed reader for scanning segments without a syscall per
// batch. Errors are errno values in std::generic_category.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace meridian::log::detail {

std::error_code last_errno() noexcept;

// An open file descriptor. Shared (shared_ptr<File>) between a segment and in-flight reads so a
// segment deleted by retention stays readable until the last reader drops it.
class File {
 public:
  enum class Mode { kReadOnly, kReadWrite, kCreateTruncate };
  static Result<std::shared_ptr<File>> open(const std::filesystem::path& path, Mode mode);
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  int fd() const noexcept { return fd_; }
  const std::filesystem::path& path() const noexcept { return path_; }

  // Reads exactly dst.size() bytes unless EOF comes first; returns the bytes read.
  Result<size_t> pread(std::span<uint8_t> dst, uint64_t position) const noexcept;
  // Writes every byte or fails.
  Result<void> pwrite(std::span<const uint8_t> src, uint64_t position) noexcept;
  Result<void> truncate(uint64_t size) noexcept;
  Result<void> sync() noexcept;
  Result<uint64_t> size() const noexcept;

 private:
  File(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::filesystem::path path_;
};

Result<void> fsync_dir(const std::filesystem::path& dir) noexcept;

// Writes `contents` to path + ".tmp", fsyncs it, renames it over `path` and fsyncs the dir.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view contents);

// Reads a whole small file. Missing file: errc::no_such_file_or_directory.
Result<std::string> read_small_file(const std::filesystem::path& path);

// Serves byte ranges of a file from a sliding buffer: sequential scans of batch headers cost one
// pread per window instead of one per batch.
class WindowReader {
 public:
  WindowReader(const File& file, uint64_t file_size, size_t window_bytes);
  // Returns exactly `len` bytes at `position`, or fewer if the file ends first. The span is valid
  // until the next call.
  Result<std::span<const uint8_t>> read(uint64_t position, size_t len);

 private:
  const File& file_;
  uint64_t file_size_;
  size_t window_bytes_;
  std::vector<uint8_t> buffer_;
  uint64_t buffer_pos_ = 0;
  size_t buffer_len_ = 0;
};

}  // namespace meridian::log::detail
