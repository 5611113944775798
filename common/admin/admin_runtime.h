#pragma once
// AdminRuntime: an AdminServer on its own io_context and thread, for processes whose other
// io_contexts belong to brokers or the gateway. A scrape then never queues behind broker work,
// and /livez answers as long as the process is scheduled.
//
// Threading: start/stop from one thread (the process's main thread); server() accessors as in
// AdminServer. Lifetime: stop() (or the destructor) joins the thread.

#include <memory>
#include <string_view>

#include "common/admin/admin_server.h"
#include "common/result.h"

namespace meridian::admin {

// "host:port" or ":port" (all interfaces) -> options. Errors: errc::bad_address.
Result<AdminServerOptions> parse_admin_listener(std::string_view listener);

class AdminRuntime {
 public:
  // Serves admin::registry() unless `collectable` is given (must outlive the runtime).
  explicit AdminRuntime(AdminServerOptions options,
                        const prometheus::Collectable* collectable = nullptr);
  ~AdminRuntime();
  AdminRuntime(const AdminRuntime&) = delete;
  AdminRuntime& operator=(const AdminRuntime&) = delete;

  // Binds and starts the thread. Returns the bound port; errors as AdminServer::start.
  [[nodiscard]] Result<std::uint16_t> start();
  AdminServer& server() noexcept;
  // begin_shutdown() is the caller's (readiness 503 while it drains); stop() closes the port.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::admin
