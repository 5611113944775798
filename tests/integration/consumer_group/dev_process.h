#pragma once
// A `meridian dev` child process on port 0 for the consumer-group tests: started with its own
// temp data dir, its bootstrap address read from its stdout, SIGKILLed and reaped at teardown.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

namespace meridian::testing {

class DevProcess {
 public:
  // Returns an empty bootstrap when the binary is missing or did not come up in 60 s.
  std::string start() {
    const char* bin = std::getenv("MERIDIAN_BIN");
    if (bin == nullptr) {
      return {};
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("meridian-cg-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const std::string out = (dir_ / "dev.out").string();
    const std::string data = (dir_ / "data").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen(out.c_str(), "w", stdout);
      std::freopen((dir_ / "dev.err").c_str(), "w", stderr);
      ::execl(bin, bin, "dev", "--port", "0", "--gateway-port", "0", "--admin-port", "0",
              "--data-dir", data.c_str(), static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    const std::regex bootstrap("bootstrap ([0-9.]+:[0-9]+)");
    for (int i = 0; i < 600; ++i) {  // 60 s: a loaded CI machine starts 3 brokers slowly
      std::ifstream in(out);
      std::stringstream text;
      text << in.rdbuf();
      std::smatch m;
      const std::string s = text.str();
      if (std::regex_search(s, m, bootstrap)) {
        return m[1].str();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::ifstream err(dir_ / "dev.err");
    std::stringstream text;
    text << err.rdbuf();
    std::fprintf(stderr, "meridian dev (%s) did not print its bootstrap; stderr:\n%s\n", bin,
                 text.str().c_str());
    return {};
  }

  ~DevProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_, ec);
    }
  }

 private:
  pid_t pid_ = -1;
  std::filesystem::path dir_;
};

}  // namespace meridian::testing
