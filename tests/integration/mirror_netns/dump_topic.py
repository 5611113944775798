"""Prints one JSON line describing every record of TOPIC up to each partition's end:
{"<partition>": [count, end_offset, sha256 of (offset, key, value, headers, timestamp)...],
 "gaps": [...], "keys": number of distinct non-null keys, "keyed": records with a key}.
Usage: dump_topic.py BOOTSTRAP TOPIC PARTITIONS (run inside the DC's network namespace)."""
import hashlib
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition

boot, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = KafkaConsumer(bootstrap_servers=boot, enable_auto_commit=False, max_partition_fetch_bytes=4 << 20)
out, gaps, keys, keyed = {}, [], set(), 0
for part in range(partitions):
    tp = TopicPartition(topic, part)
    c.assign([tp])
    end = c.end_offsets([tp])[tp]
    c.seek(tp, 0)
    h, expect, deadline = hashlib.sha256(), 0, time.time() + 30
    while c.position(tp) < end and time.time() < deadline:
        for batch in c.poll(timeout_ms=200).values():
            for r in batch:
                if r.offset >= end:
                    continue
                if r.offset != expect:
                    gaps.append([part, expect, r.offset])
                expect = r.offset + 1
                h.update(repr((r.offset, r.key, r.value, tuple(r.headers), r.timestamp)).encode())
                if r.key is not None:
                    keyed += 1
                    keys.add(r.key)
    if expect != end:
        gaps.append([part, expect, end])
    out[str(part)] = [expect, end, h.hexdigest()]
c.close()
out["gaps"] = gaps
out["keys"] = len(keys)
out["keyed"] = keyed
print(json.dumps(out, sort_keys=True))
