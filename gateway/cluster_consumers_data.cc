// ClusterConsumerService: positions (seek), records (long poll), commits and committed offsets.
#include <regex>
#include <set>

#include "cluster/client/consumer.h"
#include "cluster/client/group_client.h"
#include "gateway/cluster_admin.h"
#include "gateway/cluster_consumers.h"
#include "gateway/consumer_instance.h"

namespace meridian::gateway {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;


namespace {

using InstancePtr = std::shared_ptr<ClusterConsumerService::Instance>;


bool assigned_to(const client::Consumer& c, const client::TopicPartition& tp) {
  for (const auto& a : c.assignment()) {
    if (a == tp) {
      return true;
    }
  }
  return false;
}

ApiError not_assigned(const std::string& topic, PartitionId p) {
  return api_error(errc::illegal_state, "Illegal state: No current assignment for partition " +
                                            topic + "-" + std::to_string(p.value) + ".");
}

// Partitions without a position start at the group's committed offset when there is one (the
// consumer then falls back to auto.offset.reset for the rest).
asio::awaitable<Result<void>> start_from_committed(client::GroupClient& groups,
                                                   ClusterConsumerService::Instance& inst) {
  std::vector<client::TopicPartition> unset;
  for (const auto& tp : inst.consumer->assignment()) {
    if (!inst.consumer->position(tp)) {
      unset.push_back(tp);
    }
  }
  if (unset.empty()) {
    co_return Result<void>{};
  }
  auto committed = co_await groups.fetch_offsets(inst.group, std::move(unset));
  if (!committed) {
    co_return committed.error();
  }
  for (const auto& [tp, c] : *committed) {
    if (!c.error && c.offset.value >= 0) {
      inst.consumer->seek(tp, c.offset);
    }
  }
  co_return Result<void>{};
}

// Brings a subscribed instance's assignment up to date with its group membership.
asio::awaitable<Result<void>> sync_membership(ClusterContext& ctx,
                                              ClusterConsumerService::Instance& inst) {
  if (inst.pattern) {
    auto meta = ctx.client().cached_metadata();
    if (meta->topics.empty()) {
      std::vector<std::string> none;
      auto refreshed = co_await ctx.client().metadata(std::move(none));
      if (refreshed) {
        meta = *refreshed;
      }
    }
    std::vector<std::string> matched;
    for (const auto& [name, t] : meta->topics) {
      if (!t.internal && std::regex_match(name, *inst.pattern)) {
        matched.push_back(name);
      }
    }
    inst.topics = matched;
    inst.member->subscribe(std::move(matched));
  }
  auto active = co_await inst.member->ensure_active();
  if (!active) {
    co_return active.error();
  }
  if (active->generation_id != inst.generation) {
    inst.generation = active->generation_id;
    inst.consumer->assign(active->partitions);
  }
  co_return Result<void>{};
}

// Sum of key and value sizes, the measure max_bytes bounds (as kafka-rest counts it).
size_t record_size(const client::ConsumerRecord& r) {
  return (r.record.key ? r.record.key->size() : 0) + (r.record.value ? r.record.value->size() : 0);
}

}  // namespace

ClusterConsumerService::Async<void> ClusterConsumerService::seek(std::string group,
                                                                 std::string instance,
                                                                 SeekRequest request) {
  auto work = [this, group, instance, request]() -> Async<void> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    auto inst = *found;
    InstanceUse use(inst);
    for (const auto& o : request.offsets) {
      client::TopicPartition tp{o.topic, o.partition};
      if (!assigned_to(*inst->consumer, tp)) {
        co_return not_assigned(o.topic, o.partition);
      }
      inst->consumer->seek(tp, o.offset);
    }
    for (const auto& t : request.timestamps) {
      client::TopicPartition tp{t.topic, t.partition};
      if (!assigned_to(*inst->consumer, tp)) {
        co_return not_assigned(t.topic, t.partition);
      }
      auto at = co_await ctx_.client().list_offsets(t.topic, t.partition, t.timestamp_ms);
      if (!at) {
        co_return admin_error(at.error());
      }
      if (at->offset.value >= 0) {
        inst->consumer->seek(tp, at->offset);
      } else {  // no record at or after the time: the end, as Kafka's offsetsForTimes + seek
        auto r = co_await inst->consumer->seek_to(tp, client::OffsetReset::kLatest);
        if (!r) {
          co_return admin_error(r.error());
        }
      }
    }
    co_return ApiResult<void>{};
  };
  co_return co_await ctx_.run<ApiResult<void>>(std::move(work));
}

ClusterConsumerService::Async<void> ClusterConsumerService::seek_to(
    std::string group, std::string instance, std::vector<TopicPartition> partitions,
    SeekTo where) {
  auto work = [this, group, instance, partitions, where]() -> Async<void> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    auto inst = *found;
    InstanceUse use(inst);
    for (const auto& p : partitions) {
      client::TopicPartition tp{p.topic, p.partition};
      if (!assigned_to(*inst->consumer, tp)) {
        co_return not_assigned(p.topic, p.partition);
      }
      auto r = co_await inst->consumer->seek_to(
          tp, where == SeekTo::kBeginning ? client::OffsetReset::kEarliest
                                          : client::OffsetReset::kLatest);
      if (!r) {
        co_return admin_error(r.error());
      }
    }
    co_return ApiResult<void>{};
  };
  co_return co_await ctx_.run<ApiResult<void>>(std::move(work));
}

ClusterConsumerService::Async<std::vector<ConsumedRecord>> ClusterConsumerService::records(
    std::string group, std::string instance, RecordsQuery query) {
  auto work = [this, group, instance, query]() -> Async<std::vector<ConsumedRecord>> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    auto inst = *found;
    InstanceUse use(inst);
    // Auto commit: what the previous answer returned is committed when the client comes back.
    if (inst->config.auto_commit_enable.value_or(true) && !inst->consumed.empty()) {
      std::vector<client::OffsetToCommit> offsets;
      for (const auto& [tp, o] : inst->consumed) {
        offsets.push_back({tp, o, ""});
      }
      Result<void> committed;
      if (inst->member) {
        committed = co_await inst->member->commit(std::move(offsets));
      } else {
        committed = co_await ctx_.groups().commit_offsets(inst->group, std::move(offsets));
      }
      (void)committed;  // a failed auto commit is retried with the next poll
    }
    if (inst->member) {
      auto synced = co_await sync_membership(ctx_, *inst);
      if (!synced) {
        co_return admin_error(synced.error());
      }
    }
    auto started = co_await start_from_committed(ctx_.groups(), *inst);
    if (!started) {
      co_return admin_error(started.error());
    }
    int64_t timeout_ms = query.timeout_ms.value_or(
        inst->config.request_timeout_ms.value_or(options_.request_timeout.count()));
    timeout_ms = std::min<int64_t>(timeout_ms, options_.max_request_timeout.count());
    const int64_t max_bytes = std::min(query.max_bytes.value_or(options_.request_max_bytes),
                                       options_.request_max_bytes);
    const std::chrono::milliseconds wait(timeout_ms);
    auto polled = co_await inst->consumer->poll(wait);
    if (!polled && client::as_kafka_error(polled.error()) ==
                       protocol::ErrorCode::kOffsetOutOfRange) {
      // The consumer dropped the bad position; the next poll applies auto.offset.reset.
      polled = co_await inst->consumer->poll(wait);
    }
    if (!polled) {
      co_return admin_error(polled.error());
    }
    std::vector<ConsumedRecord> out;
    std::set<client::TopicPartition> cut;  // partitions whose tail did not fit in max_bytes
    int64_t bytes = 0;
    for (auto& r : *polled) {
      if (cut.contains(r.tp)) {
        continue;
      }
      const auto size = static_cast<int64_t>(record_size(r));
      if (!out.empty() && bytes + size > max_bytes) {
        cut.insert(r.tp);
        inst->consumer->seek(r.tp, r.record.offset);  // read again next time
        continue;
      }
      bytes += size;
      inst->consumed[r.tp] = r.record.offset + 1;
      ConsumedRecord c;
      c.topic = r.tp.topic;
      c.partition = r.tp.partition;
      c.offset = r.record.offset;
      c.timestamp_ms = r.record.timestamp;
      c.key = std::move(r.record.key);
      c.value = std::move(r.record.value);
      for (auto& h : r.record.headers) {
        c.headers.push_back({std::move(h.key), std::move(h.value)});
      }
      out.push_back(std::move(c));
    }
    co_return out;
  };
  co_return co_await ctx_.run<ApiResult<std::vector<ConsumedRecord>>>(std::move(work));
}

ClusterConsumerService::Async<std::vector<CommitResult>> ClusterConsumerService::commit(
    std::string group, std::string instance, CommitOffsetsRequest request) {
  auto work = [this, group, instance, request]() -> Async<std::vector<CommitResult>> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    auto inst = *found;
    InstanceUse use(inst);
    std::vector<client::OffsetToCommit> offsets;
    std::vector<CommitResult> results;
    if (request.commit_all) {
      for (const auto& [tp, o] : inst->consumed) {
        offsets.push_back({tp, o, ""});
        results.push_back({tp.topic, tp.partition, o, o});
      }
    } else {
      // kafka-rest v2 commits offset + 1 for each entry (the next record to read), and GET
      // .../offsets then shows that value: commit 20 -> read back 21.
      for (const auto& o : request.offsets) {
        client::TopicPartition tp{o.topic, o.partition};
        offsets.push_back({tp, o.offset + 1, o.metadata});
        auto consumed = inst->consumed.find(tp);
        results.push_back({o.topic, o.partition,
                           consumed == inst->consumed.end() ? o.offset : consumed->second,
                           o.offset + 1});
      }
    }
    if (offsets.empty()) {
      co_return results;
    }
    Result<void> done;
    if (inst->member) {
      done = co_await inst->member->commit(std::move(offsets));
    } else {
      done = co_await ctx_.groups().commit_offsets(inst->group, std::move(offsets));
    }
    if (!done) {
      co_return admin_error(done.error());
    }
    co_return results;
  };
  co_return co_await ctx_.run<ApiResult<std::vector<CommitResult>>>(std::move(work));
}

ClusterConsumerService::Async<std::vector<TopicPartitionOffset>> ClusterConsumerService::committed(
    std::string group, std::string instance, std::vector<TopicPartition> partitions) {
  auto work = [this, group, instance, partitions]() -> Async<std::vector<TopicPartitionOffset>> {
    auto found = find(group, instance);
    if (!found) {
      co_return found.error();
    }
    std::vector<client::TopicPartition> wanted;
    for (const auto& p : partitions) {
      wanted.push_back({p.topic, p.partition});
    }
    if (wanted.empty()) {
      co_return std::vector<TopicPartitionOffset>{};
    }
    auto got = co_await ctx_.groups().fetch_offsets(group, std::move(wanted));
    if (!got) {
      co_return admin_error(got.error());
    }
    std::vector<TopicPartitionOffset> out;
    for (const auto& [tp, c] : *got) {
      if (!c.error && c.offset.value >= 0) {
        out.push_back({tp.topic, tp.partition, c.offset, c.metadata});
      }
    }
    co_return out;
  };
  co_return co_await ctx_.run<ApiResult<std::vector<TopicPartitionOffset>>>(std::move(work));
}

}  // namespace meridian::gateway
