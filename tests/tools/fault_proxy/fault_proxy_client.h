#pragma once
// FaultProxyProcess: runs meridian-fault-proxy for a test and drives its control port.
// Link `meridian_fault_proxy_client`; it defines MERIDIAN_FAULT_PROXY_BINARY and builds the proxy.
//
//   FaultProxyProcess proxy;
//   ASSERT_TRUE(proxy.start({{.target = "127.0.0.1:" + std::to_string(east_port)}}));
//   connect_to(proxy.port(0));
//   ASSERT_EQ(proxy.control("cut").value().rfind("ok", 0), 0u);
//
// Lifetime: the child is SIGKILLed by kill() or the destructor, and by the kernel if the test
// process dies first (PR_SET_PDEATHSIG), so a crashed test never leaks a proxy.
// Threads: not thread-safe; use one instance from one thread at a time.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/result.h"

#ifndef MERIDIAN_FAULT_PROXY_BINARY
#define MERIDIAN_FAULT_PROXY_BINARY "meridian-fault-proxy"
#endif

namespace meridian::fault_proxy {

struct ProxyRoute {
  std::string target;                  // "127.0.0.1:9092"
  std::string listen = "127.0.0.1:0";  // port 0: the proxy picks one; read it with port()
};

class FaultProxyProcess {
 public:
  explicit FaultProxyProcess(std::string binary = MERIDIAN_FAULT_PROXY_BINARY)
      : binary_(std::move(binary)) {}
  ~FaultProxyProcess() { kill(); }
  FaultProxyProcess(const FaultProxyProcess&) = delete;
  FaultProxyProcess& operator=(const FaultProxyProcess&) = delete;

  // Spawns the proxy with one listener per route plus `extra_args` (e.g. {"--delay-ms", "20"})
  // and waits up to 10 s for its ports. Errors: errno of a failed call, timed_out, or
  // protocol_error when the proxy exits or prints something unexpected (see its stderr).
  Result<void> start(const std::vector<ProxyRoute>& routes,
                     const std::vector<std::string>& extra_args = {}) {
    kill();
    std::vector<std::string> args = {binary_};
    for (const ProxyRoute& route : routes) {
      args.insert(args.end(), {"--route", route.listen + "=" + route.target});
    }
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    if (auto spawned = spawn(args); !spawned) {
      return spawned.error();
    }
    ports_.assign(routes.size(), 0);
    if (auto ready = read_ports(); !ready) {
      kill();
      return ready.error();
    }
    return connect_control();
  }

  // Sends one command line and returns the reply line without its newline: "ok ..." or
  // "error ...". Errors: errno of the socket call, or timed_out after 10 s.
  Result<std::string> control(std::string_view command) {
    if (control_fd_ < 0) {
      return std::make_error_code(std::errc::not_connected);
    }
    std::string line = std::string(command) + "\n";
    for (size_t sent = 0; sent < line.size();) {
      ssize_t n = ::send(control_fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
      if (n < 0) {
        return last_error();
      }
      sent += static_cast<size_t>(n);
    }
    std::string reply;
    for (char c = 0; c != '\n';) {
      ssize_t n = ::recv(control_fd_, &c, 1, 0);
      if (n <= 0) {
        return n == 0 ? std::make_error_code(std::errc::connection_reset) : last_error();
      }
      if (c != '\n') {
        reply.push_back(c);
      }
    }
    return reply;
  }

  uint16_t port(size_t route) const { return ports_.at(route); }
  uint16_t control_port() const { return control_port_; }
  pid_t pid() const { return pid_; }

  // SIGKILLs and reaps the proxy; safe to call at any time, and twice.
  void kill() {
    for (int* fd : {&control_fd_, &stdout_fd_}) {
      if (*fd >= 0) {
        ::close(*fd);
        *fd = -1;
      }
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  static std::error_code last_error() { return {errno, std::generic_category()}; }

  Result<void> spawn(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& arg : args) {
      argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) {
      return last_error();
    }
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return last_error();
    }
    if (pid_ == 0) {  // child: async-signal-safe calls only until exec
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) {
        ::_exit(127);
      }
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    stdout_fd_ = fds[0];
    return {};
  }

  // Reads "listening <route> <port>" lines until "control <port>".
  Result<void> read_ports() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string pending;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{stdout_fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 100) <= 0) {
        continue;
      }
      char buffer[256];
      ssize_t n = ::read(stdout_fd_, buffer, sizeof(buffer));
      if (n <= 0) {
        return std::make_error_code(std::errc::protocol_error);
      }
      pending.append(buffer, static_cast<size_t>(n));
      for (size_t eol; (eol = pending.find('\n')) != std::string::npos; pending.erase(0, eol + 1)) {
        unsigned route = 0;
        unsigned port = 0;
        const std::string line = pending.substr(0, eol);
        if (std::sscanf(line.c_str(), "listening %u %u", &route, &port) == 2 && route < 4096) {
          ports_.resize(std::max<size_t>(ports_.size(), route + 1));  // extra_args may add routes
          ports_[route] = static_cast<uint16_t>(port);
        } else if (std::sscanf(line.c_str(), "control %u", &port) == 1) {
          control_port_ = static_cast<uint16_t>(port);
          return {};
        } else {
          return std::make_error_code(std::errc::protocol_error);
        }
      }
    }
    return std::make_error_code(std::errc::timed_out);
  }

  Result<void> connect_control() {
    control_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (control_fd_ < 0) {
      return last_error();
    }
    timeval timeout{10, 0};
    ::setsockopt(control_fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(control_fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(control_port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(control_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      return last_error();
    }
    return {};
  }

  std::string binary_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int control_fd_ = -1;
  uint16_t control_port_ = 0;
  std::vector<uint16_t> ports_;
};

}  // namespace meridian::fault_proxy
