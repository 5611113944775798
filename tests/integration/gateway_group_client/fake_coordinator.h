#pragma once
// A scripted single-broker group coordinator speaking the real wire codecs: ApiVersions,
// Metadata (topics given at construction), FindCoordinator, JoinGroup (a barrier: answers every
// pending join once all known members rejoined or after `join_window`), SyncGroup, Heartbeat,
// LeaveGroup, OffsetCommit/Fetch, ListGroups, DescribeGroups, DeleteGroups. Enough to drive
// GroupClient and GroupMember end to end without the broker-side coordinator; one group only
// per name, no session expiry. Runs on the test's io_context; each connection is served in
// order, like a Kafka broker.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cluster/protocol/codec.h"
#include "cluster/protocol/header.h"
#include "cluster/protocol/messages.h"
#include "common/byte_order.h"

namespace meridian::testing {

namespace asio = boost::asio;
using asio::ip::tcp;
using protocol::ErrorCode;

class FakeCoordinator {
 public:
  struct Group {
    int32_t generation = 0;
    std::string leader;
    std::string state = "Empty";
    std::string protocol;
    std::map<std::string, protocol::Bytes> members;      // member -> subscription
    std::map<std::string, protocol::Bytes> assignments;  // member -> assignment
    std::set<std::string> joined;                        // rejoined in this round
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
    bool round_open = false;
    std::map<std::pair<std::string, int32_t>, std::pair<int64_t, std::string>> offsets;
  };

  FakeCoordinator(asio::io_context& io, std::map<std::string, int32_t> topics)
      : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        topics_(std::move(topics)) {
    port_ = acceptor_.local_endpoint().port();
    auto loop = [this]() -> asio::awaitable<void> { co_await accept_loop(); };
    asio::co_spawn(io_, std::move(loop), asio::detached);
  }
  ~FakeCoordinator() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  std::map<std::string, Group>& groups() { return groups_; }
  int joins_seen = 0;
  std::chrono::milliseconds join_window{300};

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        co_return;
      }
      auto s = std::make_shared<tcp::socket>(std::move(socket));
      auto serve = [this, s]() -> asio::awaitable<void> { co_await serve_connection(s); };
      asio::co_spawn(io_, std::move(serve), asio::detached);
    }
  }

  asio::awaitable<void> serve_connection(std::shared_ptr<tcp::socket> socket) {
    for (;;) {
      uint8_t prefix[4];
      auto [ec, n] = co_await asio::async_read(*socket, asio::buffer(prefix),
                                               asio::as_tuple(asio::use_awaitable));
      if (ec) {
        co_return;
      }
      std::vector<uint8_t> payload(static_cast<size_t>(load_be<int32_t>(prefix)));
      auto [ec2, n2] = co_await asio::async_read(*socket, asio::buffer(payload),
                                                 asio::as_tuple(asio::use_awaitable));
      if (ec2) {
        co_return;
      }
      auto request = protocol::parse_request(payload);
      if (!request) {
        co_return;
      }
      std::vector<uint8_t> frame = co_await answer(*request);
      if (frame.empty()) {
        co_return;
      }
      auto [ec3, n3] = co_await asio::async_write(*socket, asio::buffer(frame),
                                                  asio::as_tuple(asio::use_awaitable));
      if (ec3) {
        co_return;
      }
    }
  }

  template <class Response>
  static std::vector<uint8_t> frame(const protocol::ParsedRequest& r, const Response& response) {
    auto f = protocol::encode_response_frame(r.header.correlation_id, response,
                                             r.header.api_version);
    return f ? f->head : std::vector<uint8_t>{};
  }

  template <class Request>
  static Request body(const protocol::ParsedRequest& r) {
    auto d = protocol::decode<Request>(r.body, r.header.api_version);
    return d ? std::move(*d) : Request{};
  }

  asio::awaitable<std::vector<uint8_t>> answer(const protocol::ParsedRequest& r) {
    using protocol::ApiKey;
    switch (r.header.api_key) {
      case ApiKey::kApiVersions: {
        protocol::ApiVersionsResponse resp;
        resp.api_keys = {
            {ApiKey::kApiVersions, 0, 2},    {ApiKey::kMetadata, 0, 8},
            {ApiKey::kFindCoordinator, 0, 2}, {ApiKey::kJoinGroup, 0, 5},
            {ApiKey::kSyncGroup, 0, 3},      {ApiKey::kHeartbeat, 0, 3},
            {ApiKey::kLeaveGroup, 0, 3},     {ApiKey::kOffsetCommit, 0, 7},
            {ApiKey::kOffsetFetch, 0, 5},    {ApiKey::kListGroups, 0, 2},
            {ApiKey::kDescribeGroups, 0, 4}, {ApiKey::kDeleteGroups, 0, 1}};
        co_return frame(r, resp);
      }
      case ApiKey::kMetadata: {
        protocol::MetadataResponse resp;
        resp.brokers.push_back({1, "127.0.0.1", port_, std::nullopt});
        resp.controller_id = 1;
        for (const auto& [name, count] : topics_) {
          protocol::MetadataResponse::Topic t;
          t.name = name;
          for (int32_t p = 0; p < count; ++p) {
            protocol::MetadataResponse::Partition part;
            part.partition_index = p;
            part.leader_id = 1;
            part.replica_nodes = {1};
            part.isr_nodes = {1};
            t.partitions.push_back(part);
          }
          resp.topics.push_back(std::move(t));
        }
        co_return frame(r, resp);
      }
      case ApiKey::kFindCoordinator: {
        protocol::FindCoordinatorResponse resp;
        resp.node_id = 1;
        resp.host = "127.0.0.1";
        resp.port = port_;
        co_return frame(r, resp);
      }
      case ApiKey::kJoinGroup:
        co_return co_await join(r);
      case ApiKey::kSyncGroup:
        co_return co_await sync(r);
      case ApiKey::kHeartbeat: {
        auto req = body<protocol::HeartbeatRequest>(r);
        protocol::HeartbeatResponse resp;
        Group& g = groups_[req.group_id];
        if (!g.members.contains(req.member_id)) {
          resp.error_code = ErrorCode::kUnknownMemberId;
        } else if (g.round_open || req.generation_id != g.generation) {
          resp.error_code = g.round_open ? ErrorCode::kRebalanceInProgress
                                         : ErrorCode::kIllegalGeneration;
        }
        co_return frame(r, resp);
      }
      case ApiKey::kLeaveGroup: {
        auto req = body<protocol::LeaveGroupRequest>(r);
        Group& g = groups_[req.group_id];
        std::string member = req.member_id;
        if (member.empty() && !req.members.empty()) {
          member = req.members[0].member_id;
        }
        protocol::LeaveGroupResponse resp;
        if (g.members.erase(member) == 0) {
          resp.error_code = ErrorCode::kUnknownMemberId;
        } else {
          open_round(g);
          if (g.members.empty()) {
            g.state = "Empty";
          }
        }
        co_return frame(r, resp);
      }
      case ApiKey::kOffsetCommit: {
        auto req = body<protocol::OffsetCommitRequest>(r);
        Group& g = groups_[req.group_id];
        protocol::OffsetCommitResponse resp;
        const bool fenced = req.generation_id >= 0 && req.generation_id != g.generation;
        for (const auto& t : req.topics) {
          protocol::OffsetCommitResponse::Topic rt{t.name, {}};
          for (const auto& p : t.partitions) {
            if (!fenced) {
              g.offsets[{t.name, p.partition_index}] = {p.committed_offset,
                                                        p.committed_metadata.value_or("")};
            }
            rt.partitions.push_back(
                {p.partition_index, fenced ? ErrorCode::kIllegalGeneration : ErrorCode::kNone});
          }
          resp.topics.push_back(std::move(rt));
        }
        co_return frame(r, resp);
      }
      case ApiKey::kOffsetFetch: {
        auto req = body<protocol::OffsetFetchRequest>(r);
        Group& g = groups_[req.group_id];
        protocol::OffsetFetchResponse resp;
        std::map<std::string, std::vector<protocol::OffsetFetchResponse::Partition>> out;
        if (req.topics) {
          for (const auto& t : *req.topics) {
            for (int32_t p : t.partition_indexes) {
              auto it = g.offsets.find({t.name, p});
              protocol::OffsetFetchResponse::Partition rp;
              rp.partition_index = p;
              if (it != g.offsets.end()) {
                rp.committed_offset = it->second.first;
                rp.metadata = it->second.second;
              } else {
                rp.metadata = "";
              }
              out[t.name].push_back(rp);
            }
          }
        } else {
          for (const auto& [tp, o] : g.offsets) {
            protocol::OffsetFetchResponse::Partition rp;
            rp.partition_index = tp.second;
            rp.committed_offset = o.first;
            rp.metadata = o.second;
            out[tp.first].push_back(rp);
          }
        }
        for (auto& [name, ps] : out) {
          resp.topics.push_back({name, std::move(ps)});
        }
        co_return frame(r, resp);
      }
      case ApiKey::kListGroups: {
        protocol::ListGroupsResponse resp;
        for (const auto& [name, g] : groups_) {
          resp.groups.push_back({name, "consumer"});
        }
        co_return frame(r, resp);
      }
      case ApiKey::kDescribeGroups: {
        auto req = body<protocol::DescribeGroupsRequest>(r);
        protocol::DescribeGroupsResponse resp;
        for (const auto& name : req.groups) {
          protocol::DescribeGroupsResponse::Group d;
          d.group_id = name;
          auto it = groups_.find(name);
          if (it == groups_.end()) {
            d.group_state = "Dead";
          } else {
            d.group_state = it->second.state;
            d.protocol_type = "consumer";
            d.protocol_data = it->second.protocol;
            for (const auto& [m, sub] : it->second.members) {
              protocol::DescribeGroupsResponse::Member dm;
              dm.member_id = m;
              dm.client_id = "c";
              dm.client_host = "/127.0.0.1";
              dm.member_metadata = sub;
              auto a = it->second.assignments.find(m);
              if (a != it->second.assignments.end()) {
                dm.member_assignment = a->second;
              }
              d.members.push_back(std::move(dm));
            }
          }
          resp.groups.push_back(std::move(d));
        }
        co_return frame(r, resp);
      }
      case ApiKey::kDeleteGroups: {
        auto req = body<protocol::DeleteGroupsRequest>(r);
        protocol::DeleteGroupsResponse resp;
        for (const auto& name : req.groups_names) {
          auto it = groups_.find(name);
          ErrorCode code = ErrorCode::kNone;
          if (it == groups_.end()) {
            code = ErrorCode::kGroupIdNotFound;
          } else if (!it->second.members.empty()) {
            code = ErrorCode::kNonEmptyGroup;
          } else {
            groups_.erase(it);
          }
          resp.results.push_back({name, code});
        }
        co_return frame(r, resp);
      }
      default:
        co_return std::vector<uint8_t>{};
    }
  }

  void open_round(Group& g) {
    if (!g.round_open) {
      g.round_open = true;
      g.joined.clear();
      g.state = "PreparingRebalance";
    }
  }

  asio::awaitable<std::vector<uint8_t>> join(const protocol::ParsedRequest& r) {
    auto req = body<protocol::JoinGroupRequest>(r);
    ++joins_seen;
    Group& g = groups_[req.group_id];
    protocol::JoinGroupResponse resp;
    std::string member = req.member_id;
    if (member.empty()) {
      member = "member-" + std::to_string(next_member_++);
      if (r.header.api_version >= 4) {  // KIP-394
        resp.error_code = ErrorCode::kMemberIdRequired;
        resp.member_id = member;
        co_return frame(r, resp);
      }
    } else if (!g.members.contains(member) && r.header.api_version >= 4 &&
               member.rfind("member-", 0) != 0) {
      resp.error_code = ErrorCode::kUnknownMemberId;
      co_return frame(r, resp);
    }
    open_round(g);
    g.members[member] = req.protocols.empty() ? protocol::Bytes{} : req.protocols[0].metadata;
    g.protocol = req.protocols.empty() ? "" : req.protocols[0].name;
    g.joined.insert(member);
    auto timer = std::make_shared<asio::steady_timer>(io_);
    timer->expires_after(join_window);
    g.waiters.push_back(timer);
    if (g.joined.size() >= g.members.size()) {
      for (auto& w : g.waiters) {
        w->cancel();
      }
    }
    [[maybe_unused]] auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (g.round_open) {  // first waiter out closes the round: drop members that did not rejoin
      for (auto it = g.members.begin(); it != g.members.end();) {
        it = g.joined.contains(it->first) ? std::next(it) : g.members.erase(it);
      }
      g.round_open = false;
      ++g.generation;
      g.leader = *g.joined.begin();
      g.assignments.clear();
      g.state = "CompletingRebalance";
      for (auto& w : g.waiters) {
        w->cancel();
      }
      g.waiters.clear();
    }
    resp.generation_id = g.generation;
    resp.protocol_name = g.protocol;
    resp.leader = g.leader;
    resp.member_id = member;
    if (member == g.leader) {
      for (const auto& [m, sub] : g.members) {
        resp.members.push_back({m, std::nullopt, sub});
      }
    }
    co_return frame(r, resp);
  }

  asio::awaitable<std::vector<uint8_t>> sync(const protocol::ParsedRequest& r) {
    auto req = body<protocol::SyncGroupRequest>(r);
    Group& g = groups_[req.group_id];
    protocol::SyncGroupResponse resp;
    if (!g.members.contains(req.member_id)) {
      resp.error_code = ErrorCode::kUnknownMemberId;
      co_return frame(r, resp);
    }
    if (req.generation_id != g.generation || g.round_open) {
      resp.error_code = g.round_open ? ErrorCode::kRebalanceInProgress
                                     : ErrorCode::kIllegalGeneration;
      co_return frame(r, resp);
    }
    if (req.member_id == g.leader) {
      for (const auto& a : req.assignments) {
        g.assignments[a.member_id] = a.assignment;
      }
      g.state = "Stable";
    }
    // Followers wait (bounded) for the leader's assignment.
    for (int i = 0; i < 200 && g.state != "Stable" && !g.round_open; ++i) {
      asio::steady_timer t(io_);
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    auto it = g.assignments.find(req.member_id);
    if (it != g.assignments.end()) {
      resp.assignment = it->second;
    }
    co_return frame(r, resp);
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::map<std::string, int32_t> topics_;
  int32_t port_ = 0;
  int next_member_ = 1;
  std::map<std::string, Group> groups_;
};

}  // namespace meridian::testing
