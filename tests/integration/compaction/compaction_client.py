"""Compacted topic through kafka-python (python3-kafka): create a topic with
cleanup.policy=compact and small segments, write many updates of few keys (and one tombstone),
then read it from the beginning until the broker's cleaner has compacted it: the consumer must
see the latest value of every key, fewer records than were written, increasing offsets.
Prints "ok ..." / "FAIL ..." lines; exit status 0 when everything passed."""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

boot = sys.argv[1]
TOPIC = "compacted"
KEYS = 20
WRITES = 3000
failed = 0


def check(cond, what):
    global failed
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failed += 1


admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
admin.create_topics([NewTopic(TOPIC, 1, 1, topic_configs={
    "cleanup.policy": "compact", "segment.bytes": "4096", "min.cleanable.dirty.ratio": "0.1"})])
check(True, "created a topic with cleanup.policy=compact")

producer = KafkaProducer(bootstrap_servers=boot, acks="all", linger_ms=5)
expected = {}
for i in range(WRITES):
    key = "k%d" % (i % KEYS)
    value = ("v%d-" % i).encode() + b"x" * 40
    producer.send(TOPIC, key=key.encode(), value=value)
    expected[key] = value
producer.send(TOPIC, key=b"k0", value=None)  # a tombstone: young, so it stays
expected["k0"] = None
for i in range(50):  # keep the tombstone out of the active segment
    producer.send(TOPIC, key=b"tail%d" % (i % 5), value=b"t" * 60)
    expected["tail%d" % (i % 5)] = b"t" * 60
producer.flush()
total = WRITES + 51


def read_all():
    consumer = KafkaConsumer(bootstrap_servers=boot, auto_offset_reset="earliest",
                             consumer_timeout_ms=3000, enable_auto_commit=False)
    tp = TopicPartition(TOPIC, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    records = []
    for msg in consumer:
        records.append(msg)
        if msg.offset >= total - 1:
            break
    consumer.close()
    return records


records = []
deadline = time.time() + 40
while time.time() < deadline:
    records = read_all()
    if records and len(records) < total // 2:
        break
    time.sleep(1)
check(0 < len(records) < total // 2,
      "the cleaner compacted the topic: %d of %d records left" % (len(records), total))
offsets = [m.offset for m in records]
check(offsets == sorted(set(offsets)), "offsets increase (gaps allowed)")
check(bool(offsets) and offsets[-1] == total - 1, "the last offset is still there")
latest = {}
for m in records:
    latest[m.key.decode()] = m.value
check(latest == expected, "the latest value of each of %d keys, tombstone included" % len(expected))
with open(sys.argv[2], "w") as f:  # for compaction_reread.py after the restart
    json.dump([[m.offset, m.key.decode(), None if m.value is None else m.value.decode()]
               for m in records], f)
sys.exit(1 if failed else 0)
