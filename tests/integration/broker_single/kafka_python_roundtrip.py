#!/usr/bin/python3
"""Drives one Meridian broker with Debian's kafka-python (2.0.2).

First the program from the Kafka replication article Meridian comes from (with a flush and a
consumer timeout so that it ends), then 300 keyed records with headers across all partitions,
read back by a fresh consumer; every acknowledged record must come back exactly once, at the
offset the producer was told.
Usage: kafka_python_roundtrip.py HOST:PORT
"""
import sys

from kafka import KafkaConsumer, KafkaProducer

bootstrap = sys.argv[1]

# The article's program.
producer = KafkaProducer(bootstrap_servers=bootstrap)
consumer = KafkaConsumer('test', bootstrap_servers=bootstrap, auto_offset_reset='earliest',
                         consumer_timeout_ms=5000)
producer.send('test', b'Hello, Kafka!')
producer.flush()
for msg in consumer:
    print(msg.value)
    break
consumer.close()

# Every acknowledged record, exactly once, at its acknowledged offset.
producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', linger_ms=5)
acked = {}
futures = []
for i in range(300):
    key = f"key-{i % 17}".encode()
    value = f"value-{i}".encode()
    futures.append((value, producer.send('test', key=key, value=value,
                                          headers=[('n', str(i).encode())])))
producer.flush()
for value, future in futures:
    meta = future.get(timeout=10)
    acked[value] = (meta.partition, meta.offset)
producer.close()

consumer = KafkaConsumer('test', bootstrap_servers=bootstrap, auto_offset_reset='earliest',
                         consumer_timeout_ms=3000)
seen = {}
duplicates = 0
for msg in consumer:
    if msg.value == b'Hello, Kafka!':
        continue
    if msg.value in seen:
        duplicates += 1
    seen[msg.value] = (msg.partition, msg.offset)
    n = int(msg.value.decode().split('-')[1])
    if dict(msg.headers).get('n') != str(n).encode():
        print(f"header mismatch on {msg.value}: {msg.headers}")
        sys.exit(1)
consumer.close()

missing = [v for v in acked if v not in seen]
moved = [v for v in acked if v in seen and seen[v] != acked[v]]
print(f"consumed {len(seen)} of {len(acked)} produced, {len(missing)} missing, "
      f"{duplicates} duplicated, {len(moved)} at a different offset")
sys.exit(0 if not missing and not duplicates and not moved else 1)
