// GroupCoordinator: committed offsets (OffsetCommit, OffsetFetch) and group administration
// (ListGroups, DescribeGroups, DeleteGroups).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <future>

#include "cluster/broker/group_coordinator.h"

namespace meridian::broker {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One response entry per requested partition, all with `error`.
protocol::OffsetCommitResponse commit_errors(const protocol::OffsetCommitRequest& req,
                                             ErrorCode error) {
  protocol::OffsetCommitResponse r;
  for (const auto& t : req.topics) {
    protocol::OffsetCommitResponse::Topic out{t.name, {}};
    for (const auto& p : t.partitions) {
      out.partitions.push_back({p.partition_index, error});
    }
    r.topics.push_back(std::move(out));
  }
  return r;
}

}  // namespace

asio::awaitable<protocol::OffsetCommitResponse> GroupCoordinator::commit(
    protocol::OffsetCommitRequest req) {
  auto body = [this,
               req = std::move(req)]() mutable -> asio::awaitable<protocol::OffsetCommitResponse> {
    auto r = co_await do_commit(std::move(req));
    co_return r;
  };
  auto out = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return out;
}

asio::awaitable<protocol::OffsetCommitResponse> GroupCoordinator::do_commit(
    protocol::OffsetCommitRequest req) {
  int32_t partition = -1;
  ErrorCode ec =
      req.group_id.empty() ? ErrorCode::kInvalidGroupId : check_owner(req.group_id, partition);
  if (ec == ErrorCode::kNone) {
    if (Group* g = find_group(req.group_id)) {
      ec = g->membership->validate_commit(req.member_id, req.generation_id, GroupClock::now());
    } else if (req.generation_id >= 0) {
      ec = ErrorCode::kIllegalGeneration;  // Kafka: a generation of a group that does not exist
    }
  }
  protocol::OffsetCommitResponse response = commit_errors(req, ec);
  if (ec != ErrorCode::kNone) {
    co_return response;
  }
  auto snapshot = metadata_.get();
  int64_t now_ms = wall_clock_ms();
  std::vector<std::pair<GroupBytes, std::optional<GroupBytes>>> records;
  std::vector<std::tuple<size_t, size_t, OffsetKey, CommittedOffset>> accepted;
  for (size_t ti = 0; ti < req.topics.size(); ++ti) {
    const auto& topic = req.topics[ti];
    for (size_t pi = 0; pi < topic.partitions.size(); ++pi) {
      const auto& p = topic.partitions[pi];
      auto& error = response.topics[ti].partitions[pi].error_code;
      if (snapshot->partition(topic.name, p.partition_index) == nullptr) {
        error = ErrorCode::kUnknownTopicOrPartition;
        continue;
      }
      std::string metadata = p.committed_metadata.value_or("");
      if (static_cast<int64_t>(metadata.size()) > options_.max_metadata_bytes) {
        error = ErrorCode::kOffsetMetadataTooLarge;
        continue;
      }
      OffsetKey key{req.group_id, topic.name, p.partition_index};
      CommittedOffset value{p.committed_offset, p.committed_leader_epoch, std::move(metadata),
                            p.commit_timestamp >= 0 ? p.commit_timestamp : now_ms};
      records.emplace_back(encode_offset_key(key), encode_offset_value(value));
      accepted.emplace_back(ti, pi, std::move(key), std::move(value));
    }
  }
  if (records.empty()) {
    co_return response;
  }
  ErrorCode appended = co_await append(partition, std::move(records));
  int32_t owner_partition = -1;
  if (appended == ErrorCode::kNone &&
      check_owner(req.group_id, owner_partition) == ErrorCode::kNone) {
    Group& g = get_or_create(req.group_id, owner_partition);
    for (auto& [ti, pi, key, value] : accepted) {
      g.offsets[{key.topic, key.partition}] = value;
    }
  }
  for (auto& [ti, pi, key, value] : accepted) {
    response.topics[ti].partitions[pi].error_code = appended;
  }
  co_return response;
}

asio::awaitable<protocol::OffsetFetchResponse> GroupCoordinator::fetch_offsets(
    protocol::OffsetFetchRequest req, bool group_level_error) {
  auto body = [this, req = std::move(req),
               group_level_error]() -> asio::awaitable<protocol::OffsetFetchResponse> {
    protocol::OffsetFetchResponse r;
    int32_t partition = -1;
    ErrorCode ec =
        req.group_id.empty() ? ErrorCode::kInvalidGroupId : check_owner(req.group_id, partition);
    if (ec != ErrorCode::kNone && group_level_error) {
      r.error_code = ec;
      co_return r;
    }
    const Group* g = ec == ErrorCode::kNone ? find_group(req.group_id) : nullptr;
    auto entry = [&](int32_t index, const CommittedOffset* c) {
      protocol::OffsetFetchResponse::Partition p;
      p.partition_index = index;
      p.error_code = ec;
      p.metadata = c ? c->metadata : std::string();
      if (c != nullptr) {
        p.committed_offset = c->offset;
        p.committed_leader_epoch = c->leader_epoch;
      }
      return p;
    };
    if (req.topics) {
      for (const auto& t : *req.topics) {
        protocol::OffsetFetchResponse::Topic out{t.name, {}};
        for (int32_t index : t.partition_indexes) {
          const CommittedOffset* c = nullptr;
          if (g != nullptr) {
            auto it = g->offsets.find({t.name, index});
            c = it == g->offsets.end() ? nullptr : &it->second;
          }
          out.partitions.push_back(entry(index, c));
        }
        r.topics.push_back(std::move(out));
      }
    } else if (g != nullptr) {
      for (const auto& [tp, c] : g->offsets) {
        if (r.topics.empty() || r.topics.back().name != tp.first) {
          r.topics.push_back({tp.first, {}});
        }
        r.topics.back().partitions.push_back(entry(tp.second, &c));
      }
    }
    co_return r;
  };
  auto out = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return out;
}

std::optional<std::vector<GroupCoordinator::GroupView>> GroupCoordinator::views(
    std::chrono::milliseconds timeout) const {
  auto done = std::make_shared<std::promise<std::vector<GroupView>>>();
  auto future = done->get_future();
  asio::post(strand_, [this, done] {
    std::vector<GroupView> out;
    for (const auto& [id, g] : groups_) {
      auto owned = owned_.find(g->partition);
      if (owned == owned_.end() || !owned->second.loaded ||
          g->membership->state() == GroupState::kDead) {
        continue;
      }
      GroupView v{id, g->membership->state(), g->membership->member_count(), {}};
      for (const auto& [tp, committed] : g->offsets) {
        v.offsets[tp] = committed.offset;
      }
      out.push_back(std::move(v));
    }
    done->set_value(std::move(out));
  });
  if (future.wait_for(timeout) != std::future_status::ready) {
    return std::nullopt;
  }
  return future.get();
}

asio::awaitable<protocol::ListGroupsResponse> GroupCoordinator::list_groups() {
  auto body = [this]() -> asio::awaitable<protocol::ListGroupsResponse> {
    protocol::ListGroupsResponse r;
    for (const auto& [partition, owned] : owned_) {
      if (!owned.loaded) {
        r.error_code = ErrorCode::kCoordinatorLoadInProgress;
      }
    }
    for (const auto& [id, g] : groups_) {
      if (g->membership->state() != GroupState::kDead) {
        r.groups.push_back({id, g->membership->protocol_type()});
      }
    }
    co_return r;
  };
  auto out = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return out;
}

asio::awaitable<protocol::DescribeGroupsResponse> GroupCoordinator::describe_groups(
    std::vector<std::string> groups) {
  auto body = [this,
               groups = std::move(groups)]() -> asio::awaitable<protocol::DescribeGroupsResponse> {
    protocol::DescribeGroupsResponse r;
    for (const auto& id : groups) {
      protocol::DescribeGroupsResponse::Group out;
      out.group_id = id;
      int32_t partition = -1;
      out.error_code = id.empty() ? ErrorCode::kInvalidGroupId : check_owner(id, partition);
      const Group* g = out.error_code == ErrorCode::kNone ? find_group(id) : nullptr;
      if (out.error_code == ErrorCode::kNone) {
        out.group_state = g ? group_state_name(g->membership->state()) : "Dead";
      }
      if (g != nullptr) {
        out.protocol_type = g->membership->protocol_type();
        out.protocol_data = g->membership->protocol_name();
        for (auto& m : g->membership->describe_members()) {
          out.members.push_back({std::move(m.member_id), std::move(m.group_instance_id),
                                 std::move(m.client_id), std::move(m.client_host),
                                 std::move(m.metadata), std::move(m.assignment)});
        }
      }
      r.groups.push_back(std::move(out));
    }
    co_return r;
  };
  auto out = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return out;
}

asio::awaitable<protocol::DeleteGroupsResponse> GroupCoordinator::delete_groups(
    std::vector<std::string> groups) {
  auto body = [this,
               groups = std::move(groups)]() -> asio::awaitable<protocol::DeleteGroupsResponse> {
    protocol::DeleteGroupsResponse r;
    for (const auto& id : groups) {
      int32_t partition = -1;
      ErrorCode ec = id.empty() ? ErrorCode::kInvalidGroupId : check_owner(id, partition);
      Group* g = ec == ErrorCode::kNone ? find_group(id) : nullptr;
      if (ec == ErrorCode::kNone && g == nullptr) {
        ec = ErrorCode::kGroupIdNotFound;
      } else if (g != nullptr && !(g->membership->state() == GroupState::kEmpty &&
                                   g->membership->member_count() == 0)) {
        ec = ErrorCode::kNonEmptyGroup;
      }
      if (ec == ErrorCode::kNone) {
        // Tombstones for every offset and for the group, so a reload forgets it too.
        std::vector<std::pair<GroupBytes, std::optional<GroupBytes>>> records;
        for (const auto& [tp, c] : g->offsets) {
          records.emplace_back(encode_offset_key(OffsetKey{id, tp.first, tp.second}), std::nullopt);
        }
        records.emplace_back(encode_group_key(GroupKey{id}), std::nullopt);
        GroupMembership* identity = g->membership.get();
        ec = co_await append(partition, std::move(records));
        g = find_group(id);
        if (ec == ErrorCode::kNone && g != nullptr && g->membership.get() == identity) {
          g->membership->shutdown(ErrorCode::kCoordinatorNotAvailable);
          groups_.erase(id);
        }
      }
      r.results.push_back({id, ec});
    }
    co_return r;
  };
  auto out = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return out;
}

}  // namespace meridian::broker
