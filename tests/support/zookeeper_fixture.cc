#include "tests/support/zookeeper_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef MERIDIAN_SOURCE_DIR
#error "MERIDIAN_SOURCE_DIR must be defined (meridian_test does it)"
#endif

namespace meridian::test {
namespace {

using namespace std::chrono_literals;

int loopback_socket(uint16_t port, bool connect_to) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
  const int rc = connect_to ? ::connect(fd, sa, sizeof addr) : ::bind(fd, sa, sizeof addr);
  if (rc != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Asks the kernel for a free port. Another process may take it before the JVM binds it; the
// caller retries with a fresh port when the server dies at start-up.
uint16_t free_loopback_port() {
  const int fd = loopback_socket(0, false);
  if (fd < 0) {
    return 0;
  }
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string tail_of(const std::filesystem::path& file, std::size_t max_bytes) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string all = buffer.str();
  return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
}

}  // namespace

std::string zookeeper_four_letter_word(uint16_t port, const std::string& word) {
  const int fd = loopback_socket(port, true);
  if (fd < 0) {
    return "";
  }
  std::string out;
  if (::send(fd, word.data(), word.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(word.size())) {
    char buf[4096];
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 200) <= 0) {
        continue;
      }
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        break;  // the server closes after answering
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

ZooKeeperServer::ZooKeeperServer() : ZooKeeperServer(Options{}) {}

ZooKeeperServer::ZooKeeperServer(Options options) : options_(std::move(options)) {
  port_ = options_.port;
  if (options_.dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/meridian-zk-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) {
      dir_ = pattern;
      owns_dir_ = true;
    }
  } else {
    dir_ = options_.dir;
    std::filesystem::create_directories(dir_);
  }
}

ZooKeeperServer::~ZooKeeperServer() {
  stop();
  if (owns_dir_) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

bool ZooKeeperServer::spawn() {
  const std::string script = std::string(MERIDIAN_SOURCE_DIR) + "/tests/support/start_zookeeper.sh";
  const std::string port = std::to_string(port_);
  const std::string tick = std::to_string(options_.tick.count());
  const std::string max_timeout = std::to_string(options_.max_session_timeout.count());
  const std::string log = log_file().string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    return false;
  }
  if (pid == 0) {
    // Child: own process group (kill the whole tree at once), die with the parent, log to file.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);
    }
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::setenv("ZK_TICK_MS", tick.c_str(), 1);
    ::setenv("ZK_MAX_SESSION_TIMEOUT_MS", max_timeout.c_str(), 1);
    ::execl("/bin/bash", "bash", script.c_str(), port.c_str(), dir_.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // both sides, so kill(-pid) works whoever runs first
  pid_ = pid;
  return true;
}

bool ZooKeeperServer::start(std::chrono::milliseconds timeout) {
  if (pid_ > 0) {
    return is_serving();
  }
  const bool fixed_port = port_ != 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (!fixed_port) {
      port_ = free_loopback_port();
    }
    if (port_ == 0 || !spawn()) {
      break;
    }
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // died at start-up, most likely the port was taken meanwhile
        break;
      }
      if (is_serving()) {
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    if (pid_ > 0) {
      break;  // timed out while running
    }
  }
  std::fprintf(stderr, "ZooKeeperServer: no ZooKeeper serving on 127.0.0.1:%u; log tail:\n%s\n",
               port_, tail_of(log_file(), 4000).c_str());
  stop();
  return false;
}

bool ZooKeeperServer::is_serving() const {
  return zookeeper_four_letter_word(port_, "srvr").find("Mode:") != std::string::npos;
}

std::string ZooKeeperServer::connect_string() const { return "127.0.0.1:" + std::to_string(port_); }

void ZooKeeperServer::stop() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(-pid_, SIGCONT);  // a paused JVM cannot handle SIGTERM
  ::kill(-pid_, SIGTERM);
  reap(5s);
}

void ZooKeeperServer::kill_for_test() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(-pid_, SIGKILL);
  reap(0ms);
}

void ZooKeeperServer::pause_for_test() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGSTOP);
  }
}

void ZooKeeperServer::resume_for_test() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGCONT);
  }
}

void ZooKeeperServer::reap(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      ::kill(-pid_, SIGKILL);  // anything the script left in the group
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace meridian::test
