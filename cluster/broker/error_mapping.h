#pragma once
// One table from Meridian's internal errors (replication, log, record) to Kafka error codes.

#include <system_error>

#include "cluster/protocol/error_code.h"

namespace meridian::broker {

protocol::ErrorCode to_kafka_error(std::error_code ec) noexcept;

}  // namespace meridian::broker
