#pragma once
// Helpers shared by link.cc and link_operations.cc (on the link's executor only).

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>

#include "cluster/protocol/messages/mirror.h"
#include "common/result.h"
#include "mirror/detail/link_state.h"

namespace meridian::mirror::detail {

// Whether `topic`'s name says its records came from `target_cluster` (prefix-mode loop rule).
bool is_cycle(const std::string& target_cluster, const std::string& topic);
// Whether the link mirrors `topic` (explicit names, include/exclude, active/active loop rule).
bool selected(const LinkState& link, const std::string& topic);
// Starts copy tasks for partitions [m.tasks.size(), partitions).
void spawn_tasks(const std::shared_ptr<LinkState>& link, MirrorTopic& m, int32_t partitions);
// Asks every task of `m` to stop and waits (bounded) until they have.
boost::asio::awaitable<void> stop_tasks(MirrorTopic& m);
// Writes a topic's mirror state in `cluster`; a broker refusal becomes kafka_error(code).
boost::asio::awaitable<Result<protocol::MirrorStateResponse>> write_state(
    client::Client& cluster, const std::string& topic, protocol::MirrorStateRecord record,
    int32_t expected_version);
// Grows the target topic to `partitions` (CreatePartitions) and starts the new tasks.
boost::asio::awaitable<void> grow_mirror(std::shared_ptr<LinkState> link, MirrorTopic& m,
                                         int32_t partitions);


// Writes take effect on every broker of a cluster within its registry refresh (200 ms).
inline constexpr std::chrono::milliseconds kStatePropagation{500};

using Operation = std::function<boost::asio::awaitable<Result<void>>(
    std::shared_ptr<LinkState>, MirrorTopic&, OperationResult&)>;
// Runs `op` for each named topic (the reverse entry first, after a failback) on the link's
// executor and times it; an unknown topic is a per-topic error.
boost::asio::awaitable<std::vector<OperationResult>> for_each_topic(
    std::shared_ptr<LinkState> link, std::vector<std::string> topics, Operation op);
// Waits until every task's target holds the source's log up to its HW as of now.
boost::asio::awaitable<Result<void>> wait_caught_up(MirrorTopic& m, Clock::time_point deadline);
// Writes m's state (in the target, or in the source for a reverse entry) and records it in m.
// `state` is a literal (no class prvalue crosses a co_await: docs/coroutines.md rule 1).
boost::asio::awaitable<Result<void>> write_topic_state(std::shared_ptr<LinkState> link,
                                                       MirrorTopic& m, const char* state);
// The log end of a mirror partition, asked of its leader (an empty MirrorAppend).
boost::asio::awaitable<Result<int64_t>> log_end(client::Client& cluster, std::string link_name,
                                                int32_t link_epoch, std::string topic,
                                                int32_t partition);
// Copies records [from, to) of a partition to "<topic>.recovered" (created if missing).
boost::asio::awaitable<Result<void>> save_suffix(client::Client& cluster, std::string topic,
                                                 int32_t partition, int32_t partitions,
                                                 int64_t from, int64_t to);

}  // namespace meridian::mirror::detail
