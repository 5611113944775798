#pragma once
// The control port of `meridian dev` (off unless --control-port is given): fault injection for
// tests and benchmarks, which cannot SIGKILL one broker of a single-process datacenter.
//   POST /v1/dev/brokers/{id}/crash    the broker looks SIGKILLed to the others
//                                      (Broker::crash_for_test); its session expires after the
//                                      session timeout
//   POST /v1/dev/brokers/{id}/restart  a new broker on the same data dir and port
// Answers 200 with a one-line JSON body, 404 for unknown paths or brokers, 409 when the broker
// is not in the right state, 405 for other methods. Dev only: nothing here is authenticated.
//
// Threading: one thread of its own serves one connection at a time (requests are rare and the
// handler blocks while a broker starts). Lifetime: stop() or the destructor joins the thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"

namespace meridian::cli {

struct DevControlReply {
  int status = 200;
  std::string body;  // JSON
};
// method ("POST"), target ("/v1/dev/brokers/2/crash") -> reply. Runs on the control thread.
using DevControlHandler =
    std::function<DevControlReply(const std::string& method, const std::string& target)>;

class DevControl {
 public:
  // Binds host:port (0: the OS picks) and serves. Errors: the socket's (e.g. address in use).
  static Result<std::unique_ptr<DevControl>> start(const std::string& host, uint16_t port,
                                                   DevControlHandler handler);
  ~DevControl();
  DevControl(const DevControl&) = delete;
  DevControl& operator=(const DevControl&) = delete;

  uint16_t port() const noexcept;
  void stop();

  struct Impl;  // opaque

 private:
  explicit DevControl(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::cli
