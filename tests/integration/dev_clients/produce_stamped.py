#!/usr/bin/python3
"""Produces COUNT records to TOPIC partition 0 with kafka-python (acks=all): key k<i>, value
val-<i>, headers h=v<i> and n=<i>, CreateTime FIRST_TS + i. The test reads them back with kcat
and expects exactly these keys, headers and timestamps at offsets 0..COUNT-1.
Usage: produce_stamped.py HOST:PORT TOPIC COUNT FIRST_TS
"""
import sys

from kafka import KafkaProducer

bootstrap, topic = sys.argv[1], sys.argv[2]
count, first_ts = int(sys.argv[3]), int(sys.argv[4])
producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', linger_ms=5)
futures = [producer.send(topic, key=f'k{i}'.encode(), value=f'val-{i}'.encode(), partition=0,
                         headers=[('h', f'v{i}'.encode()), ('n', str(i).encode())],
                         timestamp_ms=first_ts + i)
           for i in range(count)]
producer.flush()
for f in futures:
    meta = f.get(timeout=30)
    print(f'acked {meta.partition} {meta.offset}')
producer.close()
