#pragma once
// Errors of the partition state machine. The broker maps each to a Kafka error code.

#include <system_error>

namespace meridian::replication {

enum class errc {
  ok = 0,
  not_leader,                        // NOT_LEADER_OR_FOLLOWER
  not_follower,                      // NOT_LEADER_OR_FOLLOWER (follower path)
  fenced_leader_epoch,               // request epoch older than ours
  unknown_leader_epoch,              // request epoch newer than ours
  not_enough_replicas,               // ISR < min.insync.replicas before the append
  not_enough_replicas_after_append,  // ISR shrank below the minimum while waiting for acks=all
  request_timed_out,                 // acks=all not satisfied in time
  offset_out_of_range,
  stale_state,                       // a partition state older than the one applied
  storage_error,                     // the log failed; the partition goes offline
  shutting_down,
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace meridian::replication

template <>
struct std::is_error_code_enum<meridian::replication::errc> : std::true_type {};
