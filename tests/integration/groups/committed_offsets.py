#!/usr/bin/python3
"""Prints the committed offsets of GROUP on TOPIC as "<partition> <offset>" lines (OffsetFetch
through kafka-python's admin client), or nothing when there are none.
Usage: committed_offsets.py HOST:PORT GROUP
"""
import sys
import time

from kafka.admin import KafkaAdminClient

bootstrap, group = sys.argv[1], sys.argv[2]
admin = KafkaAdminClient(bootstrap_servers=bootstrap)
for attempt in range(60):
    try:
        offsets = admin.list_consumer_group_offsets(group)
        break
    except Exception as e:  # coordinator loading right after a restart
        last_error = e
        time.sleep(0.5)
else:
    raise SystemExit(f'OffsetFetch failed: {last_error}')
for tp, meta in sorted(offsets.items()):
    print(f'{tp.topic} {tp.partition} {meta.offset}')
admin.close()
