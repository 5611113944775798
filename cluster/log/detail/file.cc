#include "cluster/log/detail/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meridian::log::detail {

std::error_code last_errno() noexcept { return {errno, std::generic_category()}; }

Result<std::shared_ptr<File>> File::open(const std::filesystem::path& path, Mode mode) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case Mode::kReadOnly:
      flags |= O_RDONLY;
      break;
    case Mode::kReadWrite:
      flags |= O_RDWR;
      break;
    case Mode::kCreateTruncate:
      flags |= O_RDWR | O_CREAT | O_TRUNC;
      break;
  }
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) {
    return last_errno();
  }
  return std::shared_ptr<File>(new File(fd, path));
}

File::~File() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Result<size_t> File::pread(std::span<uint8_t> dst, uint64_t position) const noexcept {
  size_t done = 0;
  while (done < dst.size()) {
    ssize_t n =
        ::pread(fd_, dst.data() + done, dst.size() - done, static_cast<off_t>(position + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return last_errno();
    }
    if (n == 0) {
      break;
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

Result<void> File::pwrite(std::span<const uint8_t> src, uint64_t position) noexcept {
  size_t done = 0;
  while (done < src.size()) {
    ssize_t n =
        ::pwrite(fd_, src.data() + done, src.size() - done, static_cast<off_t>(position + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return last_errno();
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<void> File::truncate(uint64_t size) noexcept {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return last_errno();
  }
  return {};
}

Result<void> File::sync() noexcept {
  if (::fdatasync(fd_) != 0) {
    return last_errno();
  }
  return {};
}

Result<uint64_t> File::size() const noexcept {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    return last_errno();
  }
  return static_cast<uint64_t>(st.st_size);
}

Result<void> fsync_dir(const std::filesystem::path& dir) noexcept {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return last_errno();
  }
  int rc = ::fsync(fd);
  auto ec = rc != 0 ? last_errno() : std::error_code();
  ::close(fd);
  if (ec) {
    return ec;
  }
  return {};
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  auto tmp = path;
  tmp += ".tmp";
  auto file = File::open(tmp, File::Mode::kCreateTruncate);
  if (!file) {
    return file.error();
  }
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(contents.data()),
                                 contents.size());
  if (auto r = (*file)->pwrite(bytes, 0); !r) {
    return r.error();
  }
  if (::fsync((*file)->fd()) != 0) {
    return last_errno();
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return last_errno();
  }
  return fsync_dir(path.parent_path());
}

Result<std::string> read_small_file(const std::filesystem::path& path) {
  auto file = File::open(path, File::Mode::kReadOnly);
  if (!file) {
    return file.error();
  }
  auto size = (*file)->size();
  if (!size) {
    return size.error();
  }
  std::string out(*size, '\0');
  auto n = (*file)->pread({reinterpret_cast<uint8_t*>(out.data()), out.size()}, 0);
  if (!n) {
    return n.error();
  }
  out.resize(*n);
  return out;
}

WindowReader::WindowReader(const File& file, uint64_t file_size, size_t window_bytes)
    : file_(file), file_size_(file_size), window_bytes_(window_bytes) {}

Result<std::span<const uint8_t>> WindowReader::read(uint64_t position, size_t len) {
  if (position >= file_size_) {
    return std::span<const uint8_t>();
  }
  len = static_cast<size_t>(std::min<uint64_t>(len, file_size_ - position));
  bool covered = position >= buffer_pos_ && position + len <= buffer_pos_ + buffer_len_;
  if (!covered) {
    size_t want = static_cast<size_t>(
        std::min<uint64_t>(std::max(len, window_bytes_), file_size_ - position));
    if (buffer_.size() < want) {
      buffer_.resize(want);
    }
    auto n = file_.pread({buffer_.data(), want}, position);
    if (!n) {
      return n.error();
    }
    buffer_pos_ = position;
    buffer_len_ = *n;
    len = std::min(len, *n);
  }
  return std::span<const uint8_t>(buffer_.data() + (position - buffer_pos_), len);
}

}  // namespace meridian::log::detail
