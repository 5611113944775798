// Controller: event loop, election and terms. State reading/writing is in controller_state.cc,
// the watch handlers in controller_events.cc.
#include "cluster/controller/controller.h"

#include <future>

#include "common/log.h"

namespace meridian::controller {

namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> log() { return logger("controller"); }

bool is_session_gone(std::error_code ec) {
  return ec == coord::errc::session_expired || ec == coord::errc::closed;
}

}  // namespace

Controller::Controller(coord::CoordinationStore& store, ControllerConfig config,
                       BrokerChannel& channel)
    : store_(store), config_(config), channel_(channel) {}

Controller::~Controller() { stop(); }

void Controller::start() {
  thread_ = std::thread([this] { run(); });
  enqueue([this] { elect(); });
}

void Controller::stop() { shut_down(/*release=*/true); }

void Controller::halt_for_test() { shut_down(/*release=*/false); }

void Controller::shut_down(bool release) {
  std::call_once(stopped_, [this, release] {
    {
      std::lock_guard lock(queue_->mu);
      queue_->closed = true;
    }
    queue_->cv.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
    // The event thread is gone: this thread may touch the state now.
    if (release && active_ && !dead_) {
      resign(/*release=*/true);
    }
  });
}

void Controller::on_session_event(coord::SessionState state) {
  if (state == coord::SessionState::kExpired) {
    enqueue([this] {
      log()->warn("broker {}: coordination session expired; controller resigns",
                  config_.broker_id.value);
      dead_ = true;
      resign(/*release=*/false);
    });
  }
}

void Controller::push(const std::shared_ptr<Queue>& queue, std::function<void()> event) {
  {
    std::lock_guard lock(queue->mu);
    if (queue->closed) {
      return;
    }
    queue->events.push_back(std::move(event));
  }
  queue->cv.notify_one();
}

void Controller::enqueue(std::function<void()> event) { push(queue_, std::move(event)); }

coord::WatchCallback Controller::watch(std::function<void()> handler) {
  // Runs on the store's callback thread: only enqueue. The weak queue makes a watch that fires
  // after the controller is gone a no-op; the generation drops watches of an older term.
  return [queue = std::weak_ptr<Queue>(queue_), this, gen = generation_,
          handler = std::move(handler)](const coord::WatchEvent&) {
    if (auto q = queue.lock()) {
      push(q, [this, gen, handler] {
        if (gen == generation_) {
          handler();
        }
      });
    }
  };
}

template <class T>
Result<T> Controller::call_blocking(std::function<Result<T>()> body,
                                    std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  {
    std::lock_guard lock(queue_->mu);
    if (queue_->closed) {
      return make_error_code(errc::shutting_down);
    }
    queue_->events.push_back([promise, body = std::move(body)] { promise->set_value(body()); });
  }
  queue_->cv.notify_one();
  if (future.wait_for(timeout) != std::future_status::ready) {
    return make_error_code(errc::timed_out);
  }
  try {
    return future.get();
  } catch (const std::future_error&) {  // the event was dropped by stop()
    return make_error_code(errc::shutting_down);
  }
}

void Controller::run() {
  for (;;) {
    std::function<void()> event;
    {
      std::unique_lock lock(queue_->mu);
      auto deadline = Clock::now() + std::chrono::seconds(1);
      if (retry_at_) {
        deadline = std::min(deadline, *retry_at_);
      }
      if (active_ && config_.preferred_leader_interval.count() > 0) {
        deadline = std::min(deadline, next_rebalance_);
      }
      if (!stop_replica_retry_.empty()) {
        deadline = std::min(deadline, stop_replica_retry_.begin()->first);
      }
      queue_->cv.wait_until(lock, deadline,
                            [&] { return queue_->closed || !queue_->events.empty(); });
      if (queue_->closed) {
        return;
      }
      if (!queue_->events.empty()) {
        event = std::move(queue_->events.front());
        queue_->events.pop_front();
      }
    }
    if (event) {
      event();
    }
    tick();
  }
}

void Controller::tick() {
  auto now = Clock::now();
  if (retry_at_ && now >= *retry_at_) {
    retry_at_.reset();
    elect();
  }
  if (active_ && config_.preferred_leader_interval.count() > 0 && now >= next_rebalance_) {
    next_rebalance_ = now + config_.preferred_leader_interval;
    do_auto_rebalance();
  }
  retry_stop_replicas();
}

bool Controller::handle_store_error(std::error_code ec, const char* what) {
  if (is_session_gone(ec)) {
    if (!dead_) {
      log()->warn("broker {}: {}: {}; controller stops", config_.broker_id.value, what,
                  ec.message());
    }
    dead_ = true;
    resign(/*release=*/false);
    return true;
  }
  // Transient (connection loss, timeout) or unexpected: start a fresh term from a clean read
  // after a back-off; our /controller node, if still ours, lets us win again at once.
  log()->warn("broker {}: {}: {}; retrying", config_.broker_id.value, what, ec.message());
  resign(/*release=*/false);
  retry_at_ = Clock::now() + config_.retry_backoff;
  return false;
}

void Controller::elect() {
  if (active_ || dead_) {
    return;
  }
  ControllerData me{config_.broker_id, now_ms()};
  auto created =
      store_.create(kControllerPath, encode_controller(me), coord::CreateMode::kEphemeral);
  if (created) {
    become_controller();
    return;
  }
  if (created.error() != coord::errc::node_exists) {
    handle_store_error(created.error(), "controller election");
    return;
  }
  auto existing = store_.exists(kControllerPath, watch([this] { elect(); }));
  if (!existing) {
    handle_store_error(existing.error(), "controller election");
    return;
  }
  if (!existing->has_value()) {
    enqueue([this] { elect(); });  // deleted between our create and exists: race again
  } else if ((*existing)->ephemeral_owner == store_.session_id()) {
    become_controller();  // still ours from a term we left after a transient error
  }
}

Result<void> Controller::bump_epoch() {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto node = store_.get(kControllerEpochPath);
    if (!node) {
      if (node.error() != coord::errc::no_node) {
        return node.error();
      }
      auto created = store_.create(kControllerEpochPath, encode_controller_epoch(1),
                                   coord::CreateMode::kPersistent);
      if (created) {
        epoch_ = 1;
        epoch_version_ = coord::NodeVersion(0);
        return {};
      }
      if (created.error() != coord::errc::node_exists) {
        return created.error();
      }
      continue;
    }
    auto epoch = decode_controller_epoch(node->data);
    if (!epoch) {
      return epoch.error();
    }
    auto set =
        store_.set(kControllerEpochPath, encode_controller_epoch(*epoch + 1), node->stat.version);
    if (set) {
      epoch_ = *epoch + 1;
      epoch_version_ = set->version;
      return {};
    }
    if (set.error() != coord::errc::bad_version) {
      return set.error();
    }
  }
  return make_error_code(errc::fenced);
}

void Controller::become_controller() {
  if (auto bumped = bump_epoch(); !bumped) {
    handle_store_error(bumped.error(), "controller epoch bump");
    return;
  }
  active_ = true;
  ++generation_;
  active_flag_ = true;
  epoch_flag_ = epoch_;
  next_rebalance_ = Clock::now() + config_.preferred_leader_interval;
  log()->info("broker {} is the controller, epoch {}", config_.broker_id.value, epoch_);
  for (const char* path :
       {kBrokerIdsPath, kTopicsPath, kDeleteTopicsPath, kIsrChangePath, kTopicConfigsPath}) {
    if (auto ok = coord::ensure_path(store_, path); !ok) {
      handle_store_error(ok.error(), "controller paths");
      return;
    }
  }
  std::vector<TopicPartition> missing;
  if (!load_all(missing)) {
    return;
  }
  // Kafka's onControllerFailover: start new partitions, elect for those without a live
  // leader, then tell every live broker the state of each of its replicas.
  std::vector<TopicPartition> all;
  for (const auto& [tp, entry] : states_) {
    all.push_back(tp);
  }
  update_partitions(all, [this](const TopicPartition& tp, const PartitionEntry* current) {
    return decide_repair(tp, current);
  });
  send_to_replicas(all);
  initialize_partitions(missing);
  publish_stats();
  on_delete_topics();
  on_isr_changes();
}

void Controller::resign(bool release) {
  bool was_active = active_;
  active_ = false;
  ++generation_;
  active_flag_ = false;
  live_brokers_ = 0;
  live_.clear();
  broker_czxid_.clear();
  topics_.clear();
  states_.clear();
  shutting_down_.clear();
  stop_replica_retry_.clear();  // a new term re-sends for the deletions still queued
  if (release && !dead_) {
    auto node = store_.exists(kControllerPath);
    if (node && node->has_value() && (*node)->ephemeral_owner == store_.session_id()) {
      (void)store_.remove(kControllerPath, (*node)->version);
    }
  }
  if (was_active) {
    log()->info("broker {} resigned as controller (epoch {})", config_.broker_id.value, epoch_);
  }
}

Result<int32_t> Controller::controlled_shutdown(BrokerId broker,
                                                std::chrono::milliseconds timeout) {
  auto remaining = controlled_shutdown_partitions(broker, timeout);
  if (!remaining) {
    return remaining.error();
  }
  return static_cast<int32_t>(remaining->size());
}

Result<std::vector<TopicPartition>> Controller::controlled_shutdown_partitions(
    BrokerId broker, std::chrono::milliseconds timeout) {
  return call_blocking<std::vector<TopicPartition>>(
      [this, broker]() -> Result<std::vector<TopicPartition>> {
        if (!active_) {
          return make_error_code(errc::not_controller);
        }
        return do_controlled_shutdown(broker);
      },
      timeout);
}

Result<int32_t> Controller::elect_preferred_leaders(std::chrono::milliseconds timeout) {
  return call_blocking<int32_t>(
      [this]() -> Result<int32_t> {
        if (!active_) {
          return make_error_code(errc::not_controller);
        }
        return do_preferred_election();
      },
      timeout);
}

}  // namespace meridian::controller
