#pragma once
// Topic administration as Kafka's AdminZkClient does it: any broker's CreateTopics /
// DeleteTopics / CreatePartitions handler writes the store, the controller reacts.
//
// Threading: every function calls the CoordinationStore and so BLOCKS; call from a thread pool,
// never from an io_context thread. Stateless; safe from any thread.
// Errors: errc (invalid_topic, topic_already_exists, invalid_partitions,
// invalid_replication_factor, invalid_replica_assignment, unknown_topic, bad_state_data) or a
// coord::errc from the store.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/controller/state_codec.h"
#include "cluster/coord/coordination_store.h"
#include "common/result.h"

namespace meridian::controller {

struct BrokerRack {
  BrokerId id{-1};
  std::optional<std::string> rack;
};

// Kafka's Topic.validate: [a-zA-Z0-9._-]{1,249}, not "." or "..".
bool is_valid_topic_name(const std::string& name);

// Kafka's AdminUtils.assignReplicasToBrokers. With every broker on a rack, brokers are
// alternated across racks and each partition's replicas land on distinct racks where possible;
// with none, the plain round robin; a mix is invalid_replica_assignment.
// `fixed_start_index` < 0 draws the start index and replica shift from `seed` (random if unset).
// `start_partition` numbers the first partition (for create_partitions).
Result<ReplicaAssignment> assign_replicas(std::vector<BrokerRack> brokers, int32_t partitions,
                                          int16_t replication_factor,
                                          std::optional<uint64_t> seed = std::nullopt,
                                          int32_t fixed_start_index = -1,
                                          int32_t start_partition = 0);

// The live brokers and their racks, from /brokers/ids, sorted by id.
Result<std::vector<BrokerRegistration>> read_live_brokers(coord::CoordinationStore& store);
std::vector<BrokerRack> racks_of(const std::vector<BrokerRegistration>& brokers);

struct CreateTopicOptions {
  std::optional<uint64_t> seed;  // deterministic assignment in tests
  bool validate_only = false;    // CreateTopics validate_only: check and compute, write nothing
};

// Validates, assigns replicas and writes /config/topics/<t> and /brokers/topics/<t> in one
// multi(). Returns the assignment.
Result<ReplicaAssignment> create_topic(coord::CoordinationStore& store, const std::string& name,
                                       int32_t partitions, int16_t replication_factor,
                                       const TopicConfig& configs,
                                       const std::vector<BrokerRack>& live_brokers,
                                       const CreateTopicOptions& options = {});

// Marks the topic for deletion (/admin/delete_topics/<t>); the controller does the rest.
// Errors: invalid_topic, unknown_topic. Marking twice is fine.
Result<void> delete_topic(coord::CoordinationStore& store, const std::string& name);

// Grows the topic to `total_partitions` (CAS on the assignment node; the controller elects the
// new partitions' leaders and the brokers create them). Returns the full new assignment
// (computed but not written with `validate_only`). Errors: invalid_topic, unknown_topic,
// topic_being_deleted (as invalid_topic), invalid_partitions (not more than now),
// invalid_replication_factor (fewer live brokers than the topic's factor).
// `current_count`, when set, receives the partition count before the change (error messages).
Result<ReplicaAssignment> create_partitions(coord::CoordinationStore& store,
                                            const std::string& name, int32_t total_partitions,
                                            const std::vector<BrokerRack>& live_brokers,
                                            std::optional<uint64_t> seed = std::nullopt,
                                            bool validate_only = false,
                                            int32_t* current_count = nullptr);

// The active controller's broker id from /controller (where a broker sends its controlled
// shutdown request). Errors: not_controller when there is none right now, bad_state_data.
Result<BrokerId> read_controller_id(coord::CoordinationStore& store);

// Reads a topic's assignment. Errors: unknown_topic, bad_state_data.
Result<ReplicaAssignment> read_assignment(coord::CoordinationStore& store, const std::string& name);

}  // namespace meridian::controller
