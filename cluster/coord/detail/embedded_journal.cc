#include "cluster/coord/detail/embedded_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "common/log.h"

namespace meridian::coord::detail {
namespace {

namespace fs = std::filesystem;

constexpr const char* kJournalName = "journal";
constexpr const char* kTmpName = "journal.tmp";
constexpr uint8_t kUpsert = 1;
constexpr uint8_t kDelete = 2;
constexpr uint32_t kMaxRecord = 64u << 20;

std::error_code last_errno() { return {errno, std::generic_category()}; }

uint64_t fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    h = (h ^ p[i]) * 1099511628211ull;
  }
  return h;
}

template <class T>
void put(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));  // host order: the file never leaves this machine
  out.append(bytes, sizeof(T));
}

void put_string(std::string& out, const std::string& s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out += s;
}

class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), end_(p + n) {}
  template <class T>
  bool get(T& v) {
    if (static_cast<size_t>(end_ - p_) < sizeof(T)) {
      return false;
    }
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return true;
  }
  bool get_string(std::string& s) {
    uint32_t n = 0;
    if (!get(n) || static_cast<size_t>(end_ - p_) < n) {
      return false;
    }
    s.assign(p_, n);
    p_ += n;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

void encode(std::string& out, const JournalEntry& e, int64_t last_txid) {
  std::string payload;
  put<uint8_t>(payload, e.data ? kUpsert : kDelete);
  put_string(payload, e.path);
  put_string(payload, e.data.value_or(""));
  put<int32_t>(payload, e.stat.version.value);
  put<int32_t>(payload, e.stat.children_version);
  put<int64_t>(payload, e.stat.create_txid);
  put<int64_t>(payload, e.stat.modify_txid);
  put<int64_t>(payload, last_txid);
  put<uint32_t>(out, static_cast<uint32_t>(payload.size()));
  put<uint64_t>(out, fnv1a(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
  out += payload;
}

bool decode(const std::string& payload, JournalEntry& e, int64_t& last_txid) {
  Reader r(payload.data(), payload.size());
  uint8_t kind = 0;
  std::string data;
  int32_t version = 0;
  if (!r.get(kind) || !r.get_string(e.path) || !r.get_string(data) || !r.get(version) ||
      !r.get(e.stat.children_version) || !r.get(e.stat.create_txid) ||
      !r.get(e.stat.modify_txid) || !r.get(last_txid)) {
    return false;
  }
  e.stat.version = NodeVersion(version);
  e.data = kind == kUpsert ? std::optional<std::string>(std::move(data)) : std::nullopt;
  return kind == kUpsert || kind == kDelete;
}

Result<void> write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
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

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

// Replays whole, intact records; returns how many bytes they span.
uint64_t replay(const fs::path& file, const std::function<void(const JournalEntry&)>& apply,
                int64_t& last_txid) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Reader r(bytes.data(), bytes.size());
  uint64_t good = 0;
  size_t records = 0;
  for (;;) {
    uint32_t len = 0;
    uint64_t sum = 0;
    std::string payload;
    if (!r.get(len) || len > kMaxRecord || !r.get(sum)) {
      break;
    }
    payload.resize(len);
    bool whole = true;
    for (uint32_t i = 0; i < len && whole; ++i) {
      whole = r.get(payload[i]);
    }
    JournalEntry e;
    int64_t txid = 0;
    if (!whole || fnv1a(reinterpret_cast<const uint8_t*>(payload.data()), len) != sum ||
        !decode(payload, e, txid)) {
      break;
    }
    apply(e);
    last_txid = std::max(last_txid, txid);
    good += sizeof(uint32_t) + sizeof(uint64_t) + len;
    ++records;
  }
  if (good != bytes.size()) {
    logger("coord")->warn("{}: {} byte(s) of torn or corrupt tail ignored after {} record(s)",
                          file.string(), bytes.size() - good, records);
  }
  return good;
}

}  // namespace

Result<EmbeddedJournal> EmbeddedJournal::open(
    const fs::path& dir, const std::function<void(const JournalEntry&)>& apply,
    int64_t& last_txid, const std::function<std::vector<JournalEntry>()>& live) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return ec;
  }
  replay(dir / kJournalName, apply, last_txid);
  EmbeddedJournal journal(dir, -1, 0);
  if (auto done = journal.compact(live(), last_txid); !done) {
    return done.error();
  }
  return journal;
}

EmbeddedJournal::EmbeddedJournal(EmbeddedJournal&& other) noexcept
    : dir_(std::move(other.dir_)), fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

EmbeddedJournal& EmbeddedJournal::operator=(EmbeddedJournal&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    dir_ = std::move(other.dir_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
  }
  return *this;
}

EmbeddedJournal::~EmbeddedJournal() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Result<void> EmbeddedJournal::append(const std::vector<JournalEntry>& entries, int64_t last_txid) {
  if (entries.empty() || fd_ < 0) {
    return {};
  }
  std::string bytes;
  for (const auto& e : entries) {
    encode(bytes, e, last_txid);
  }
  if (auto w = write_all(fd_, bytes); !w) {
    return w.error();
  }
  if (::fdatasync(fd_) != 0) {
    return last_errno();
  }
  size_ += bytes.size();
  return {};
}

Result<void> EmbeddedJournal::compact(const std::vector<JournalEntry>& live, int64_t last_txid) {
  std::string bytes;
  for (const auto& e : live) {
    encode(bytes, e, last_txid);
  }
  const fs::path tmp = dir_ / kTmpName;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return last_errno();
  }
  auto written = write_all(fd, bytes);
  if (written && ::fsync(fd) != 0) {
    written = last_errno();
  }
  ::close(fd);
  if (!written) {
    return written.error();
  }
  std::error_code ec;
  fs::rename(tmp, dir_ / kJournalName, ec);
  if (ec) {
    return ec;
  }
  fsync_dir(dir_);
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = ::open((dir_ / kJournalName).c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) {
    return last_errno();
  }
  size_ = bytes.size();
  return {};
}

}  // namespace meridian::coord::detail
