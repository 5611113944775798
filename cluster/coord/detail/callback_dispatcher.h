#pragma once
// One thread per store that runs its watch and session callbacks, in order, one at a time.
// Backends never call user code under their own locks or on the ZooKeeper client's threads:
// they post here. stop() may be called from a callback itself (a store destroyed by its own
// session callback): then the thread is detached and exits once that callback returns, which
// is why the state lives in a shared_ptr the thread co-owns.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace meridian::coord::detail {

class CallbackDispatcher {
 public:
  CallbackDispatcher();
  ~CallbackDispatcher();
  CallbackDispatcher(const CallbackDispatcher&) = delete;
  CallbackDispatcher& operator=(const CallbackDispatcher&) = delete;

  // Queues fn; dropped silently after stop().
  void post(std::function<void()> fn);
  // Drops queued callbacks, waits for a running one (unless called from it), ends the thread.
  // Idempotent. After it returns no callback starts.
  void stop();
  bool on_dispatcher_thread() const noexcept;

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
    bool stopping = false;
  };
  static void run(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
  std::thread thread_;
  std::thread::id thread_id_;
};

}  // namespace meridian::coord::detail
