#!/usr/bin/python3
"""DescribeConfigs / AlterConfigs with real clients against a running cluster (configs_dev_test.sh).

  configs_client.py BOOT   runs every check, prints "ok ..." / "FAIL ..." lines, exits non-zero on
                           any failure.
kafka-python 2.0.2 (KafkaAdminClient, DescribeConfigs v2 / AlterConfigs v1) does most checks;
python3-confluent-kafka (librdkafka) describes once more and checks the sources it reports.
"""
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError

failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else " " + str(detail)))
    if not cond:
        failures.append(what)


def topic_configs(admin, topic, synonyms=False):
    resp = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)],
                                  include_synonyms=synonyms)[0]
    error_code, message, _, name, entries = resp.resources[0]
    return error_code, message, {e[0]: e for e in entries}


def alter(admin, topic, configs):
    resp = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=configs)])
    error_code, message, _, _ = resp.resources[0]
    return error_code, message


def main(boot):
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    admin.create_topics([NewTopic("cfg", 1, 3), NewTopic("ret", 1, 1)])
    time.sleep(1)

    code, _, entries = topic_configs(admin, "cfg", synonyms=True)
    check(code == 0, "describe topic cfg", code)
    retention = entries.get("retention.ms")
    check(retention is not None and retention[1] == "604800000" and retention[3] == 5,
          "retention.ms defaults to 604800000 (DEFAULT_CONFIG)", retention)
    check(retention is not None and any(s[0] == "log.retention.ms" for s in retention[5]),
          "retention.ms lists its broker synonym log.retention.ms", retention)
    check({"cleanup.policy", "segment.bytes", "min.insync.replicas"} <= set(entries),
          "topic describe lists cleanup.policy, segment.bytes, min.insync.replicas")

    code, msg = alter(admin, "cfg", {"retention.ms": "3600000", "cleanup.policy": "compact",
                                     "min.insync.replicas": "4"})
    check(code == 0, "alter retention.ms, cleanup.policy, min.insync.replicas", (code, msg))
    code, _, entries = topic_configs(admin, "cfg")
    check(entries["retention.ms"][1] == "3600000" and entries["retention.ms"][3] == 1,
          "retention.ms now 3600000 (TOPIC_CONFIG)", entries["retention.ms"])
    check(entries["cleanup.policy"][1] == "compact", "cleanup.policy kept as compact",
          entries["cleanup.policy"])

    # min.insync.replicas=4 on RF 3 takes effect: acks=all produce is refused.
    time.sleep(1.5)
    producer = KafkaProducer(bootstrap_servers=boot, acks="all", retries=0,
                             request_timeout_ms=5000)
    try:
        producer.send("cfg", b"refused").get(timeout=10)
        check(False, "acks=all refused with min.insync.replicas=4 > RF")
    except KafkaError as e:
        check("NotEnoughReplicas" in type(e).__name__,
              "acks=all refused with min.insync.replicas=4 > RF (%s)" % type(e).__name__, e)
    code, msg = alter(admin, "cfg", {"retention.ms": "3600000", "cleanup.policy": "compact"})
    check(code == 0, "alter again without min.insync.replicas (reverts to the default)", msg)
    time.sleep(1.5)
    try:
        md = producer.send("cfg", b"accepted").get(timeout=10)
        check(md.offset >= 0, "acks=all accepted again at offset %d" % md.offset)
    except KafkaError as e:
        check(False, "acks=all accepted again", e)

    code, msg = alter(admin, "cfg", {"retention.foo": "1"})
    check(code == 40 and "Unknown topic config name: retention.foo" in (msg or ""),
          "unknown key -> INVALID_CONFIG (%s)" % msg, (code, msg))
    code, msg = alter(admin, "cfg", {"retention.ms": "soon"})
    check(code == 40 and "retention.ms" in (msg or ""), "bad value -> INVALID_CONFIG (%s)" % msg,
          (code, msg))
    code, msg = alter(admin, "missing-topic", {"retention.ms": "1"})
    check(code == 3, "alter on a missing topic -> UNKNOWN_TOPIC_OR_PARTITION", (code, msg))
    code, _, entries = topic_configs(admin, "cfg")
    check(entries["retention.ms"][1] == "3600000", "failed alters changed nothing")

    brokers = sorted(b.nodeId for b in admin._client.cluster.brokers())
    resp = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, str(brokers[0]))])[0]
    error_code, _, _, _, entries = resp.resources[0]
    names = {e[0]: e for e in entries}
    check(error_code == 0 and names.get("broker.id", [None, None])[1] == str(brokers[0]) and
          names["broker.id"][2], "describe broker %d: broker.id, read-only" % brokers[0],
          (error_code, names.get("broker.id")))
    resp = admin.alter_configs([ConfigResource(ConfigResourceType.BROKER, str(brokers[0]),
                                               configs={"log.retention.ms": "1"})])
    error_code, message, _, _ = resp.resources[0]
    check(error_code == 42 and "read-only" in (message or ""),
          "alter broker config -> INVALID_REQUEST (%s)" % message, (error_code, message))

    # retention.bytes + segment.bytes take effect: old segments go, the log start moves.
    code, msg = alter(admin, "ret", {"segment.bytes": "1024", "retention.bytes": "2048"})
    check(code == 0, "alter ret: segment.bytes=1024 retention.bytes=2048", msg)
    time.sleep(1.5)
    producer = KafkaProducer(bootstrap_servers=boot, acks=1, linger_ms=0)
    for i in range(60):
        producer.send("ret", b"r" * 200).get(timeout=10)
    consumer = KafkaConsumer(bootstrap_servers=boot)
    tp = TopicPartition("ret", 0)
    start = 0
    for _ in range(50):
        start = consumer.beginning_offsets([tp])[tp]
        if start > 0:
            break
        time.sleep(0.2)
    end = consumer.end_offsets([tp])[tp]
    check(start > 0 and end == 60, "retention deleted old segments: log start %d, end %d" %
          (start, end))

    try:
        from confluent_kafka.admin import AdminClient, ConfigResource as CResource
        ck = AdminClient({"bootstrap.servers": boot})
        fut = ck.describe_configs([CResource("topic", "cfg")])
        entries = list(fut.values())[0].result(10)
        entry = entries["retention.ms"]
        check(entry.value == "3600000" and entry.source == 1,
              "confluent-kafka describe: retention.ms 3600000 from TOPIC_CONFIG",
              (entry.value, entry.source))
        check(entries["segment.bytes"].source == 5,
              "confluent-kafka describe: segment.bytes from DEFAULT_CONFIG",
              entries["segment.bytes"].source)
    except Exception as e:  # noqa: BLE001 - report, do not hide
        check(False, "confluent-kafka describe_configs", repr(e))

    print("configs_client: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
