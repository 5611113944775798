#!/usr/bin/python3
"""One member of a consumer group (kafka-python), run as its own process. Appends every record
it processes to OUT as "R <partition> <offset> <value>" and each new assignment as
"A <p,p,...>", then commits synchronously (at-least-once). Runs until STOP exists or 150 s.
Usage: group_member.py HOST:PORT GROUP TOPIC OUT STOP
"""
import os
import sys
import time

from kafka import KafkaConsumer

bootstrap, group, topic, out_path, stop_path = sys.argv[1:6]
consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                         auto_offset_reset='earliest', enable_auto_commit=False,
                         session_timeout_ms=6000, heartbeat_interval_ms=1000,
                         max_poll_records=10, client_id=os.path.basename(out_path))
out = open(out_path, 'a', buffering=1)
last = None
deadline = time.time() + 150
while time.time() < deadline and not os.path.exists(stop_path):
    batches = consumer.poll(timeout_ms=300)
    assigned = sorted(tp.partition for tp in consumer.assignment())
    if assigned != last:
        out.write('A ' + ','.join(map(str, assigned)) + '\n')
        last = assigned
    if not batches:
        continue
    for tp, records in batches.items():
        for r in records:
            out.write(f'R {tp.partition} {r.offset} {r.value.decode()}\n')
        time.sleep(0.05)  # slow enough that a kill lands mid-stream
    try:
        consumer.commit()
    except Exception as e:  # a rebalance: the records come again to the new owner
        out.write(f'C {type(e).__name__}\n')
consumer.close()
