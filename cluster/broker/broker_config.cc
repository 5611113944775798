#include "cluster/broker/broker_config.h"

namespace meridian::broker {
namespace {

using config::KeySpec;
using config::Type;

config::Schema make_schema() {
  constexpr int64_t kIntMax = INT32_MAX;
  config::Schema s;
  s.add({"broker.id", Type::kInt, "0", "Unique id of this broker in its cluster.", 0, kIntMax});
  s.add({"broker.rack", Type::kString, "", "Rack (or zone) of this broker, for replica placement."});
  s.add({"log.dirs", Type::kList, "/tmp/meridian-logs", "Directories holding partition logs."});
  s.add({"listeners", Type::kList, "PLAINTEXT://127.0.0.1:9092", "Kafka protocol listeners."});
  s.add({"advertised.listeners", Type::kList, "", "Addresses given to clients; default: listeners."});
  s.add({"admin.listener", Type::kString, "127.0.0.1:9644", "Admin HTTP (/metrics, /livez, /readyz)."});
  s.add({"zookeeper.connect", Type::kString, "", "host:port[,host:port][/chroot] of ZooKeeper."});
  s.add({"zookeeper.session.timeout.ms", Type::kInt, "18000", "ZooKeeper session timeout.", 1000, kIntMax});
  s.add({"num.partitions", Type::kInt, "1", "Partitions of auto-created topics.", 1, 100000});
  s.add({"default.replication.factor", Type::kInt, "1", "Replication factor of auto-created topics.", 1, 32767});
  s.add({"min.insync.replicas", Type::kInt, "1", "Minimum ISR size for acks=all produce.", 1, 32767});
  s.add({"replica.lag.time.max.ms", Type::kInt, "30000", "A follower not caught up for this long leaves the ISR.", 1, kIntMax});
  s.add({"unclean.leader.election.enable", Type::kBool, "false", "Elect an out-of-sync replica when no ISR member is alive (may lose data)."});
  s.add({"controlled.shutdown.enable", Type::kBool, "true", "On SIGTERM, move leadership to other ISR members before stopping."});
  s.add({"controlled.shutdown.max.retries", Type::kInt, "3", "Controlled shutdown attempts after the first before stopping anyway.", 0, kIntMax});
  s.add({"controlled.shutdown.retry.backoff.ms", Type::kInt, "5000", "Wait between controlled shutdown attempts.", 0, kIntMax});
  s.add({"auto.leader.rebalance.enable", Type::kBool, "true", "The controller moves leadership back to preferred replicas when imbalanced."});
  s.add({"leader.imbalance.check.interval.seconds", Type::kInt, "300", "How often the controller checks the leader balance.", 1, kIntMax});
  s.add({"leader.imbalance.per.broker.percentage", Type::kInt, "10", "Share of a broker's preferred partitions led elsewhere that triggers a rebalance.", 0, 100});
  s.add({"auto.create.topics.enable", Type::kBool, "true", "Create a topic on first metadata request or produce."});
  s.add({"offsets.topic.num.partitions", Type::kInt, "50", "Partitions of __consumer_offsets (fixed once it exists).", 1, 10000});
  s.add({"offsets.topic.replication.factor", Type::kInt, "3", "Replication factor of __consumer_offsets (capped by the live brokers).", 1, 32767});
  s.add({"offsets.commit.timeout.ms", Type::kInt, "5000", "Wait for an offset commit to reach every in-sync replica.", 1, kIntMax});
  s.add({"offset.metadata.max.bytes", Type::kInt, "4096", "Largest metadata string of a committed offset.", 0, kIntMax});
  s.add({"group.min.session.timeout.ms", Type::kInt, "6000", "Smallest session timeout a group member may ask for.", 1, kIntMax});
  s.add({"group.max.session.timeout.ms", Type::kInt, "1800000", "Largest session timeout a group member may ask for.", 1, kIntMax});
  s.add({"group.initial.rebalance.delay.ms", Type::kInt, "3000", "Wait for more members before the first rebalance of an empty group.", 0, kIntMax});
  s.add({"log.segment.bytes", Type::kInt, "1073741824", "Roll a segment at this size.", 1024, kIntMax});
  s.add({"log.segment.ms", Type::kInt, "604800000", "Roll a segment at this age.", 1, INT64_MAX});
  s.add({"log.retention.ms", Type::kInt, "604800000", "Delete segments older than this (-1: keep).", -1, INT64_MAX});
  s.add({"log.retention.bytes", Type::kInt, "-1", "Delete old segments past this partition size (-1: keep).", -1, INT64_MAX});
  s.add({"log.flush.interval.messages", Type::kInt, std::to_string(kNeverFlush), "fsync after this many messages (default: rely on replication).", 1, INT64_MAX});
  s.add({"log.flush.interval.ms", Type::kInt, "-1", "fsync at this interval (-1: never on a timer).", -1, INT64_MAX});
  s.add({"log.index.interval.bytes", Type::kInt, "4096", "Bytes between offset index entries.", 0, kIntMax});
  s.add({"log.writeback.bytes", Type::kInt, "4194304", "Start writeback of a segment's dirty pages on a background thread every this many appended bytes (0: leave it to the kernel).", 0, kIntMax});
  s.add({"message.max.bytes", Type::kInt, "1048588", "Largest record batch accepted.", 0, kIntMax});
  s.add({"socket.request.max.bytes", Type::kInt, "104857600", "Largest request frame accepted.", 1, kIntMax});
  return s;
}

}  // namespace

const config::Schema& broker_schema() {
  static const config::Schema schema = make_schema();
  return schema;
}

BrokerConfig BrokerConfig::from_values(const config::Values& v) {
  BrokerConfig c;
  c.broker_id = BrokerId(static_cast<int32_t>(v.get_int("broker.id")));
  c.broker_rack = v.get_string("broker.rack");
  c.log_dirs = v.get_list("log.dirs");
  c.listeners = v.get_list("listeners");
  c.advertised_listeners = v.get_list("advertised.listeners");
  if (c.advertised_listeners.empty()) {
    c.advertised_listeners = c.listeners;
  }
  c.admin_listener = v.get_string("admin.listener");
  c.zookeeper_connect = v.get_string("zookeeper.connect");
  c.zookeeper_session_timeout = std::chrono::milliseconds(v.get_int("zookeeper.session.timeout.ms"));
  c.num_partitions = static_cast<int32_t>(v.get_int("num.partitions"));
  c.default_replication_factor = static_cast<int16_t>(v.get_int("default.replication.factor"));
  c.min_insync_replicas = static_cast<int16_t>(v.get_int("min.insync.replicas"));
  c.replica_lag_time_max = std::chrono::milliseconds(v.get_int("replica.lag.time.max.ms"));
  c.unclean_leader_election_enable = v.get_bool("unclean.leader.election.enable");
  c.auto_create_topics_enable = v.get_bool("auto.create.topics.enable");
  c.offsets_topic_num_partitions = static_cast<int32_t>(v.get_int("offsets.topic.num.partitions"));
  c.offsets_topic_replication_factor =
      static_cast<int16_t>(v.get_int("offsets.topic.replication.factor"));
  c.offsets_commit_timeout = std::chrono::milliseconds(v.get_int("offsets.commit.timeout.ms"));
  c.offset_metadata_max_bytes = static_cast<int32_t>(v.get_int("offset.metadata.max.bytes"));
  c.group_min_session_timeout = std::chrono::milliseconds(v.get_int("group.min.session.timeout.ms"));
  c.group_max_session_timeout = std::chrono::milliseconds(v.get_int("group.max.session.timeout.ms"));
  c.group_initial_rebalance_delay =
      std::chrono::milliseconds(v.get_int("group.initial.rebalance.delay.ms"));
  c.controlled_shutdown_enable = v.get_bool("controlled.shutdown.enable");
  c.controlled_shutdown_max_retries = static_cast<int32_t>(v.get_int("controlled.shutdown.max.retries"));
  c.controlled_shutdown_retry_backoff =
      std::chrono::milliseconds(v.get_int("controlled.shutdown.retry.backoff.ms"));
  c.auto_leader_rebalance_enable = v.get_bool("auto.leader.rebalance.enable");
  c.leader_imbalance_check_interval =
      std::chrono::seconds(v.get_int("leader.imbalance.check.interval.seconds"));
  c.leader_imbalance_per_broker_percentage =
      static_cast<int32_t>(v.get_int("leader.imbalance.per.broker.percentage"));
  c.log_segment_bytes = v.get_int("log.segment.bytes");
  c.log_writeback_bytes = v.get_int("log.writeback.bytes");
  c.log_segment_ms = std::chrono::milliseconds(v.get_int("log.segment.ms"));
  c.log_retention_ms = v.get_int("log.retention.ms");
  c.log_retention_bytes = v.get_int("log.retention.bytes");
  c.log_flush_interval_messages = v.get_int("log.flush.interval.messages");
  c.log_flush_interval_ms = v.get_int("log.flush.interval.ms");
  c.log_index_interval_bytes = static_cast<int32_t>(v.get_int("log.index.interval.bytes"));
  c.message_max_bytes = static_cast<int32_t>(v.get_int("message.max.bytes"));
  c.socket_request_max_bytes = static_cast<int32_t>(v.get_int("socket.request.max.bytes"));

  if (c.log_dirs.empty()) {
    throw config::ConfigError("log.dirs must name at least one directory");
  }
  if (c.listeners.empty()) {
    throw config::ConfigError("listeners must name at least one listener");
  }
  for (const auto& l : c.listeners) {
    if (l.rfind("PLAINTEXT://", 0) != 0) {
      throw config::ConfigError("invalid value '" + l +
                                "' for listeners: only PLAINTEXT://host:port listeners are supported");
    }
  }
  if (c.min_insync_replicas > c.default_replication_factor && c.default_replication_factor > 1) {
    throw config::ConfigError("min.insync.replicas (" + std::to_string(c.min_insync_replicas) +
                              ") exceeds default.replication.factor (" +
                              std::to_string(c.default_replication_factor) +
                              "): acks=all produce to auto-created topics would always fail");
  }
  return c;
}

BrokerConfig load_broker_config(const config::LoadOptions& options) {
  auto values = config::load(broker_schema(), options);
  return BrokerConfig::from_values(values);
}

}  // namespace meridian::broker
