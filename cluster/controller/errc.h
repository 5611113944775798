#pragma once
// Errors of the controller and of topic administration. The broker maps each to a Kafka error
// code (the comment names it). Coordination failures pass through as coord::errc.

#include <system_error>

namespace meridian::controller {

enum class errc {
  ok = 0,
  invalid_topic,               // INVALID_TOPIC_EXCEPTION: bad name or '.'/'_' collision
  topic_already_exists,        // TOPIC_ALREADY_EXISTS (also: still marked for deletion)
  invalid_partitions,          // INVALID_PARTITIONS
  invalid_replication_factor,  // INVALID_REPLICATION_FACTOR (> live brokers, <= 0)
  invalid_replica_assignment,  // INVALID_REPLICA_ASSIGNMENT (e.g. only some brokers have racks)
  unknown_topic,               // UNKNOWN_TOPIC_OR_PARTITION
  bad_state_data,              // a node's JSON is malformed (UNKNOWN_SERVER_ERROR)
  not_controller,              // NOT_CONTROLLER: this broker is not the active controller
  fenced,                      // STALE_CONTROLLER_EPOCH: a newer controller took over
  isr_conflict,                // the partition state changed under an ISR write (CAS lost)
  timed_out,                   // REQUEST_TIMED_OUT
  shutting_down,               // the controller stopped
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace meridian::controller

template <>
struct std::is_error_code_enum<meridian::controller::errc> : std::true_type {};
