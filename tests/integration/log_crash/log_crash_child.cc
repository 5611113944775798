// Child of log_crash_test: appends crash_batch(n) forever, flushing every `flush_every` batches
// and, after each flush, appending the flushed offset as a line to a side file (write + fsync).
// The parent SIGKILLs it at a random moment.
//
// usage: log_crash_child <partition dir> <side file> <flush_every>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cluster/log/partition_log.h"
#include "common/log.h"
#include "crash_batches.h"

int main(int argc, char** argv) {
  using namespace meridian;
  if (argc != 4) {
    std::fprintf(stderr, "usage: log_crash_child <dir> <side file> <flush_every>\n");
    return 2;
  }
  set_log_level("warn");
  int flush_every = std::atoi(argv[3]);
  auto opened = log::PartitionLog::open(argv[1], log::crash::crash_config());
  if (!opened) {
    std::fprintf(stderr, "open failed: %s\n", opened.error().message().c_str());
    return 1;
  }
  auto& plog = **opened;
  int side = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (side < 0) {
    std::perror("side file");
    return 1;
  }
  int64_t n = plog.log_end_offset().value / log::crash::kRecordsPerBatch;
  for (int i = 1;; ++i, ++n) {
    auto batch = log::crash::crash_batch(n);
    auto appended = plog.append(batch, log::crash::kEpoch);
    if (!appended) {
      std::fprintf(stderr, "append failed: %s\n", appended.error().message().c_str());
      return 1;
    }
    if (i % flush_every == 0) {
      auto flushed = plog.flush();
      if (!flushed) {
        std::fprintf(stderr, "flush failed: %s\n", flushed.error().message().c_str());
        return 1;
      }
      std::string line = std::to_string(flushed->value) + "\n";
      if (::write(side, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
          ::fsync(side) != 0) {
        std::perror("side write");
        return 1;
      }
    }
  }
}
