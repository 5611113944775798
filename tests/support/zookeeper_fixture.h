#pragma once
// ZooKeeperServer: a real, standalone Apache ZooKeeper for tests, started through
// tests/support/start_zookeeper.sh (the same script shell-based tests run by hand).
//
//   meridian::test::ZooKeeperServer zk;           // temp dir, free loopback port
//   ASSERT_TRUE(zk.start());                      // ~0.5-2 s: a JVM starts
//   config.connect = zk.connect_string();         // "127.0.0.1:<port>"
//   zk.kill_for_test(); ASSERT_TRUE(zk.start());  // crash and restart, same port and data
//
// The JVM runs in its own process group and gets SIGKILL when the creating thread dies
// (PR_SET_PDEATHSIG), so a crashed or killed test leaves no ZooKeeper behind; the destructor
// stops it and removes the temp dir. Start it from the main thread (gtest Environment SetUp):
// JVM start-up is slow, so share one server per test binary and use a unique path per test.
// Not thread-safe: drive one instance from one thread. Add zookeeper_fixture.cc to the test
// target's SOURCES (tests/support has no CMakeLists.txt of its own).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace meridian::test {

class ZooKeeperServer {
 public:
  struct Options {
    std::chrono::milliseconds tick{200};  // session timeouts: 2..max ticks
    std::chrono::milliseconds max_session_timeout{60000};
    std::filesystem::path dir;  // config + data; empty: a fresh temp dir, removed at the end
    uint16_t port = 0;          // 0: pick a free loopback port
  };

  ZooKeeperServer();
  explicit ZooKeeperServer(Options options);
  ~ZooKeeperServer();
  ZooKeeperServer(const ZooKeeperServer&) = delete;
  ZooKeeperServer& operator=(const ZooKeeperServer&) = delete;

  // Starts the server and waits until it serves requests. Keeps the port of an earlier start,
  // so clients reconnect after a restart. On failure prints the log tail and returns false.
  [[nodiscard]] bool start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGTERM, then SIGKILL after 5 s. Idempotent.
  void stop();
  // SIGKILL: a crash. Data already written stays in dir() for a restart.
  void kill_for_test();
  // SIGSTOP/SIGCONT: a hung server (clients see connection loss, sessions do not expire).
  void pause_for_test();
  void resume_for_test();

  // True when `srvr` answers with a Mode line.
  bool is_serving() const;
  bool is_running() const { return pid_ > 0; }
  std::string connect_string() const;  // "127.0.0.1:<port>"
  uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path log_file() const { return dir_ / "zookeeper.log"; }

 private:
  bool spawn();
  void reap(std::chrono::milliseconds grace);

  Options options_;
  std::filesystem::path dir_;
  bool owns_dir_ = false;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// The 4-letter-word answer of a ZooKeeper at 127.0.0.1:port ("" when it does not answer).
std::string zookeeper_four_letter_word(uint16_t port, const std::string& word);

}  // namespace meridian::test
