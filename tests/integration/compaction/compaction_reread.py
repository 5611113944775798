"""After a SIGKILL and restart of `meridian dev`: the compacted topic reads exactly as it did
before (same offsets, keys and values). argv: bootstrap, the JSON file compaction_client.py
wrote."""
import json
import sys

from kafka import KafkaConsumer, TopicPartition

boot, saved = sys.argv[1], sys.argv[2]
with open(saved) as f:
    before = json.load(f)
consumer = KafkaConsumer(bootstrap_servers=boot, auto_offset_reset="earliest",
                         consumer_timeout_ms=5000, enable_auto_commit=False)
tp = TopicPartition("compacted", 0)
consumer.assign([tp])
consumer.seek_to_beginning(tp)
after = []
for msg in consumer:
    after.append([msg.offset, msg.key.decode(), None if msg.value is None else msg.value.decode()])
    if before and msg.offset >= before[-1][0]:
        break
consumer.close()
same = after == before
print(("ok   " if same else "FAIL ") +
      "after SIGKILL and restart the compacted topic reads the same (%d records)" % len(after))
sys.exit(0 if same else 1)
