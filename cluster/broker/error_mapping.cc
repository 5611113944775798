#include "cluster/broker/error_mapping.h"

#include "cluster/controller/errc.h"
#include "cluster/log/errc.h"
#include "cluster/record/errc.h"
#include "cluster/replication/errc.h"
#include "cluster/replication/producer_state.h"

namespace meridian::broker {

using protocol::ErrorCode;

protocol::ErrorCode to_kafka_error(std::error_code ec) noexcept {
  if (!ec) {
    return ErrorCode::kNone;
  }
  if (ec.category() == replication::error_category()) {
    switch (static_cast<replication::errc>(ec.value())) {
      case replication::errc::ok: return ErrorCode::kNone;
      case replication::errc::not_leader:
      case replication::errc::not_follower: return ErrorCode::kNotLeaderOrFollower;
      case replication::errc::fenced_leader_epoch: return ErrorCode::kFencedLeaderEpoch;
      case replication::errc::unknown_leader_epoch: return ErrorCode::kUnknownLeaderEpoch;
      case replication::errc::not_enough_replicas: return ErrorCode::kNotEnoughReplicas;
      case replication::errc::not_enough_replicas_after_append:
        return ErrorCode::kNotEnoughReplicasAfterAppend;
      case replication::errc::request_timed_out: return ErrorCode::kRequestTimedOut;
      case replication::errc::offset_out_of_range: return ErrorCode::kOffsetOutOfRange;
      case replication::errc::stale_state: return ErrorCode::kStaleControllerEpoch;
      case replication::errc::storage_error: return ErrorCode::kKafkaStorageError;
      case replication::errc::shutting_down: return ErrorCode::kNotLeaderOrFollower;
    }
  }
  if (ec.category() == replication::producer_error_category()) {
    switch (static_cast<replication::producer_errc>(ec.value())) {
      case replication::producer_errc::ok: return ErrorCode::kNone;
      case replication::producer_errc::out_of_order_sequence:
        return ErrorCode::kOutOfOrderSequenceNumber;
      // Produce answers INVALID_PRODUCER_EPOCH at every version (Kafka 2.7+ too; PRODUCER_FENCED
      // is for the transaction APIs).
      case replication::producer_errc::invalid_producer_epoch:
        return ErrorCode::kInvalidProducerEpoch;
      case replication::producer_errc::unknown_producer_id: return ErrorCode::kUnknownProducerId;
      case replication::producer_errc::multiple_batches: return ErrorCode::kInvalidRecord;
    }
  }
  if (ec.category() == log::error_category()) {
    switch (static_cast<log::errc>(ec.value())) {
      case log::errc::offset_out_of_range: return ErrorCode::kOffsetOutOfRange;
      case log::errc::invalid_batch:
      case log::errc::crc_mismatch: return ErrorCode::kCorruptMessage;
      case log::errc::batch_too_large: return ErrorCode::kRecordListTooLarge;
      case log::errc::non_monotonic_offset:
      case log::errc::epoch_regression: return ErrorCode::kInvalidRecord;
      case log::errc::closed: return ErrorCode::kNotLeaderOrFollower;
      default: return ErrorCode::kKafkaStorageError;
    }
  }
  if (ec.category() == controller::error_category()) {
    switch (static_cast<controller::errc>(ec.value())) {
      case controller::errc::invalid_topic: return ErrorCode::kInvalidTopicException;
      case controller::errc::topic_already_exists: return ErrorCode::kTopicAlreadyExists;
      case controller::errc::invalid_partitions: return ErrorCode::kInvalidPartitions;
      case controller::errc::invalid_replication_factor:
        return ErrorCode::kInvalidReplicationFactor;
      case controller::errc::unknown_topic: return ErrorCode::kUnknownTopicOrPartition;
      case controller::errc::not_controller: return ErrorCode::kNotController;
      case controller::errc::fenced: return ErrorCode::kStaleControllerEpoch;
      case controller::errc::timed_out: return ErrorCode::kRequestTimedOut;
      default: return ErrorCode::kUnknownServerError;
    }
  }
  if (ec.category() == record::error_category()) {
    return ErrorCode::kCorruptMessage;
  }
  if (ec.category() == std::generic_category() || ec.category() == std::system_category()) {
    return ErrorCode::kKafkaStorageError;  // I/O on the log
  }
  return ErrorCode::kUnknownServerError;
}

}  // namespace meridian::broker
