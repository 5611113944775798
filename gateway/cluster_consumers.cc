#include "gateway/cluster_consumers.h"
#include "gateway/consumer_instance.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <regex>
#include <set>

#include "cluster/client/consumer.h"
#include "cluster/client/group_client.h"
#include "gateway/cluster_admin.h"

namespace meridian::gateway {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;


namespace {

client::TopicPartition to_client(const TopicPartition& tp) { return {tp.topic, tp.partition}; }
TopicPartition from_client(const client::TopicPartition& tp) { return {tp.topic, tp.partition}; }

ApiError not_found_hint(const std::string& group, const std::string& instance) {
  return api_error(errc::consumer_instance_not_found,
                   "Consumer instance not found. Instance '" + instance + "' of group '" + group +
                       "' is not on this gateway: it expired, or it was created on another "
                       "gateway. The group's committed offsets are kept in the cluster; create a "
                       "new instance in group '" + group + "' to resume from them.");
}


}  // namespace

ClusterConsumerService::ClusterConsumerService(ClusterContext& ctx, ConsumerServiceOptions options)
    : ctx_(ctx), options_(std::move(options)) {
  start_sweeper();
}

ClusterConsumerService::~ClusterConsumerService() { close(); }

ApiResult<ClusterConsumerService::InstancePtr> ClusterConsumerService::find(
    const std::string& group, const std::string& instance) {
  auto it = instances_.find(group + "/" + instance);
  if (it == instances_.end() || it->second->closed) {
    return not_found_hint(group, instance);
  }
  return it->second;
}

void ClusterConsumerService::close() {
  if (!*alive_) {
    return;
  }
  *alive_ = false;
  auto work = [this]() -> asio::awaitable<void> {
    auto all = std::move(instances_);
    instances_.clear();
    for (auto& [key, inst] : all) {
      inst->closed = true;
      if (inst->member) {
        auto left = co_await inst->member->leave();
        (void)left;
      }
    }
  };
  auto done = asio::co_spawn(ctx_.executor(), std::move(work), asio::use_future);
  done.wait_for(std::chrono::seconds(5));
}

size_t ClusterConsumerService::instance_count_for_test() {
  auto work = [this]() -> asio::awaitable<size_t> { co_return instances_.size(); };
  return asio::co_spawn(ctx_.executor(), std::move(work), asio::use_future).get();
}

void ClusterConsumerService::start_sweeper() {
  auto alive = alive_;
  auto loop = [this, alive]() -> asio::awaitable<void> {
    asio::steady_timer timer(ctx_.executor());
    const auto period = std::min(options_.instance_timeout / 4 + std::chrono::milliseconds(1),
                                 std::chrono::milliseconds(5000));
    while (*alive) {
      timer.expires_after(period);
      [[maybe_unused]] auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (!*alive) {
        co_return;
      }
      std::vector<InstancePtr> expired;
      for (auto it = instances_.begin(); it != instances_.end();) {
        auto& inst = it->second;
        if (inst->busy == 0 && Clock::now() - inst->last_used > options_.instance_timeout) {
          inst->closed = true;
          expired.push_back(inst);
          it = instances_.erase(it);
        } else {
          ++it;
        }
      }
      for (auto& inst : expired) {
        if (inst->member) {
          auto left = co_await inst->member->leave();
          (void)left;
        }
      }
    }
  };
  asio::co_spawn(ctx_.executor(), std::move(loop), asio::detached);
}

ClusterConsumerService::Async<std::string> ClusterConsumerService::create(
    std::string group, ConsumerCreateRequest request) {
  auto work = [this, group, request]() -> Async<std::string> {
    if (request.auto_offset_reset == OffsetReset::kNone) {
      co_return api_error(errc::invalid_consumer_config,
                          "Invalid consumer configuration: auto.offset.reset=none is not "
                          "supported by this gateway; use earliest or latest.");
    }
    std::string id = request.name.value_or("");
    if (id.empty()) {
      id = "rest-consumer-" + std::to_string(::getpid()) + "-" + std::to_string(next_id_++);
    }
    const std::string key = group + "/" + id;
    if (instances_.contains(key)) {
      co_return api_error(errc::consumer_already_exists);
    }
    auto inst = std::make_shared<Instance>();
    inst->group = group;
    inst->id = id;
    inst->config = request;
    client::ConsumerOptions co;
    co.auto_offset_reset = request.auto_offset_reset == OffsetReset::kEarliest
                               ? client::OffsetReset::kEarliest
                               : client::OffsetReset::kLatest;
    inst->consumer = std::make_unique<client::Consumer>(ctx_.client(), co);
    instances_[key] = inst;
    co_return id;
  };
  co_return co_await ctx_.run<ApiResult<std::string>>(std::move(work));
}

ClusterConsumerService::Async<void> ClusterConsumerService::remove(std::string group,
                                                                   std::string instance) {
  auto work = [this, group, instance]() -> Async<void> {
    auto inst = find(group, instance);
    if (!inst) {
      co_return inst.error();
    }
    instances_.erase(group + "/" + instance);
    (*inst)->closed = true;
    if ((*inst)->member) {
      auto left = co_await (*inst)->member->leave();
      (void)left;  // the coordinator expires the member anyway
    }
    co_return ApiResult<void>{};
  };
  co_return co_await ctx_.run<ApiResult<void>>(std::move(work));
}

ClusterConsumerService::Async<void> ClusterConsumerService::subscribe(std::string group,
                                                                      std::string instance,
                                                                      Subscription s) {
  auto work = [this, group, instance, s]() -> Async<void> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    Instance& inst = **found;
    if (inst.assigned) {
      co_return api_error(errc::illegal_state,
                          "Illegal state: Subscription to topics, partitions and pattern are "
                          "mutually exclusive.");
    }
    if (s.topic_pattern) {
      try {
        inst.pattern.emplace(*s.topic_pattern, std::regex::ECMAScript);
      } catch (const std::regex_error&) {  // third-party throw: a bad pattern is the client's
        co_return api_error(errc::unprocessable, "Invalid topic_pattern.");
      }
      inst.pattern_text = *s.topic_pattern;
      inst.topics.clear();
    } else {
      inst.pattern.reset();
      inst.pattern_text.clear();
      inst.topics = s.topics;
    }
    if (!inst.member) {
      client::GroupMemberOptions mo;
      mo.group_id = group;
      mo.session_timeout = options_.session_timeout;
      mo.heartbeat_interval = options_.heartbeat_interval;
      inst.member = std::make_unique<client::GroupMember>(ctx_.groups(), mo);
    }
    inst.member->subscribe(inst.topics);
    co_return ApiResult<void>{};
  };
  co_return co_await ctx_.run<ApiResult<void>>(std::move(work));
}

ClusterConsumerService::Async<std::vector<std::string>> ClusterConsumerService::subscription(
    std::string group, std::string instance) {
  auto work = [this, group, instance]() -> Async<std::vector<std::string>> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    co_return (*found)->member ? (*found)->member->subscription() : std::vector<std::string>{};
  };
  co_return co_await ctx_.run<ApiResult<std::vector<std::string>>>(std::move(work));
}

ClusterConsumerService::Async<void> ClusterConsumerService::unsubscribe(std::string group,
                                                                        std::string instance) {
  auto work = [this, group, instance]() -> Async<void> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    auto inst = *found;
    InstanceUse use(inst);
    if (inst->member) {
      auto left = co_await inst->member->leave();
      (void)left;
      inst->member.reset();
    }
    inst->topics.clear();
    inst->pattern.reset();
    inst->generation = -2;
    inst->consumer->assign({});
    co_return ApiResult<void>{};
  };
  co_return co_await ctx_.run<ApiResult<void>>(std::move(work));
}

ClusterConsumerService::Async<void> ClusterConsumerService::assign(
    std::string group, std::string instance, std::vector<TopicPartition> partitions) {
  auto work = [this, group, instance, partitions]() -> Async<void> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    Instance& inst = **found;
    if (inst.member) {
      co_return api_error(errc::illegal_state,
                          "Illegal state: Subscription to topics, partitions and pattern are "
                          "mutually exclusive.");
    }
    std::vector<client::TopicPartition> tps;
    for (const auto& tp : partitions) {
      tps.push_back(to_client(tp));
    }
    inst.assigned = !tps.empty();
    inst.consumer->assign(std::move(tps));
    co_return ApiResult<void>{};
  };
  co_return co_await ctx_.run<ApiResult<void>>(std::move(work));
}

ClusterConsumerService::Async<std::vector<TopicPartition>> ClusterConsumerService::assignments(
    std::string group, std::string instance) {
  auto work = [this, group, instance]() -> Async<std::vector<TopicPartition>> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    std::vector<TopicPartition> out;
    for (const auto& tp : (*found)->consumer->assignment()) {
      out.push_back(from_client(tp));
    }
    co_return out;
  };
  co_return co_await ctx_.run<ApiResult<std::vector<TopicPartition>>>(std::move(work));
}

ClusterConsumerService::Async<EmbeddedFormat> ClusterConsumerService::format(
    std::string group, std::string instance) {
  auto work = [this, group, instance]() -> Async<EmbeddedFormat> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    (*found)->last_used = Clock::now();
    co_return (*found)->config.format;
  };
  co_return co_await ctx_.run<ApiResult<EmbeddedFormat>>(std::move(work));
}

}  // namespace meridian::gateway
