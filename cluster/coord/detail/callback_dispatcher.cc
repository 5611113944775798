#include "cluster/coord/detail/callback_dispatcher.h"

namespace meridian::coord::detail {

CallbackDispatcher::CallbackDispatcher() : state_(std::make_shared<State>()) {
  thread_ = std::thread(&CallbackDispatcher::run, state_);
  thread_id_ = thread_.get_id();
}

CallbackDispatcher::~CallbackDispatcher() { stop(); }

void CallbackDispatcher::post(std::function<void()> fn) {
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopping) {
      return;
    }
    state_->queue.push_back(std::move(fn));
  }
  state_->cv.notify_one();
}

void CallbackDispatcher::stop() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
    state_->queue.clear();
  }
  state_->cv.notify_one();
  if (!thread_.joinable()) {
    return;
  }
  if (on_dispatcher_thread()) {
    thread_.detach();  // we are inside a callback; the loop ends when it returns
  } else {
    thread_.join();
  }
}

bool CallbackDispatcher::on_dispatcher_thread() const noexcept {
  return std::this_thread::get_id() == thread_id_;
}

void CallbackDispatcher::run(std::shared_ptr<State> state) {
  std::unique_lock lock(state->mu);
  for (;;) {
    state->cv.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
    if (state->stopping) {
      return;
    }
    auto fn = std::move(state->queue.front());
    state->queue.pop_front();
    lock.unlock();
    fn();
    fn = nullptr;  // destroy captures outside the lock too
    lock.lock();
  }
}

}  // namespace meridian::coord::detail
