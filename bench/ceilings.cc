#include "bench/ceilings.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

namespace meridian::bench {
namespace {

namespace fs = std::filesystem;

// Segment size of the log benchmark; the write() ceiling rotates its files at the same size.
constexpr off_t kRotateAt = 512 * 1024 * 1024;

// Copies `size`-byte chunks out of a 256 MiB source, front to back: the same amount of memory a
// page-cache read of the benchmark's 256 MiB log streams through (a cache-resident memcpy would
// be a ceiling no read from RAM can approach).
void BM_Ceiling_Memcpy(benchmark::State& state) {
  size_t size = static_cast<size_t>(state.range(0));
  constexpr size_t kSourceBytes = 256u * 1024 * 1024;
  std::vector<char> src(kSourceBytes, 'x');
  std::vector<char> dst(size);
  size_t pos = 0;
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data() + pos, size);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
    pos += size;
    if (pos + size > kSourceBytes) {
      pos = 0;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(size));
}

// Appends with write() to files that rotate at 512 MiB, keeping the newest two (1 GiB), which is
// what the log benchmark's segment roll and retention do: both pay the same page-cache
// writeback, so the ratio compares code, not kernel dirty-page throttling.
void write_loop(benchmark::State& state, bool sync) {
  size_t size = static_cast<size_t>(state.range(0));
  std::vector<char> buf(size, 'w');
  int file_index = 0;
  auto path_of = [](int i) { return scratch_dir() + "/ceiling-write-" + std::to_string(i) + ".bin"; };
  int fd = ::open(path_of(file_index).c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) {
    state.SkipWithError("open failed");
    return;
  }
  off_t written = 0;
  for (auto _ : state) {
    if (::write(fd, buf.data(), size) != static_cast<ssize_t>(size)) {
      state.SkipWithError("write failed");
      break;
    }
    if (sync) {
      ::fdatasync(fd);
    }
    written += static_cast<off_t>(size);
    if (written >= kRotateAt) {
      ::fsync(fd);  // the log fsyncs a segment when it rolls
      ::close(fd);
      ::unlink(path_of(file_index - 1).c_str());
      fd = ::open(path_of(++file_index).c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
      written = 0;
    }
  }
  ::close(fd);
  for (int i = std::max(0, file_index - 1); i <= file_index; ++i) {
    ::unlink(path_of(i).c_str());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(size));
}

void BM_Ceiling_Write(benchmark::State& state) { write_loop(state, false); }
void BM_Ceiling_WriteFdatasync(benchmark::State& state) { write_loop(state, true); }

// One connection over 127.0.0.1: a writer thread sends `size`-byte chunks as fast as it can and
// the timed loop reads them. This is the ceiling for any single-stream protocol on loopback.
void BM_Ceiling_LoopbackTcp(benchmark::State& state) {
  size_t size = static_cast<size_t>(state.range(0));
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  ::listen(listener, 1);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    std::vector<char> buf(size, 't');
    while (!stop.load(std::memory_order_relaxed)) {
      if (::send(fd, buf.data(), size, MSG_NOSIGNAL) <= 0) {
        break;
      }
    }
    ::close(fd);
  });
  int conn = ::accept(listener, nullptr, nullptr);
  std::vector<char> buf(size);
  int64_t total = 0;
  for (auto _ : state) {
    size_t got = 0;
    while (got < size) {
      ssize_t n = ::recv(conn, buf.data() + got, size - got, 0);
      if (n <= 0) {
        state.SkipWithError("recv failed");
        break;
      }
      got += static_cast<size_t>(n);
    }
    total += static_cast<int64_t>(got);
  }
  stop = true;
  ::close(conn);  // unblocks the writer's send
  writer.join();
  ::close(listener);
  state.SetBytesProcessed(total);
}

}  // namespace

const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* base = std::getenv("MERIDIAN_BENCH_DIR");
    fs::path p = fs::path(base ? base : "/var/tmp") / ("meridian-bench-" + std::to_string(::getpid()));
    fs::create_directories(p);
    std::atexit([] { std::error_code ec; fs::remove_all(scratch_dir(), ec); });
    return p.string();
  }();
  return dir;
}

void register_ceilings() {
  for (int64_t size : {16 * 1024, 1024 * 1024}) {
    benchmark::RegisterBenchmark("BM_Ceiling_Memcpy", BM_Ceiling_Memcpy)->Arg(size)->UseRealTime();
    benchmark::RegisterBenchmark("BM_Ceiling_Write", BM_Ceiling_Write)->Arg(size)->UseRealTime();
    benchmark::RegisterBenchmark("BM_Ceiling_WriteFdatasync", BM_Ceiling_WriteFdatasync)->Arg(size)->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_Ceiling_LoopbackTcp", BM_Ceiling_LoopbackTcp)->Arg(64 * 1024)->UseRealTime();
}

}  // namespace meridian::bench
