#!/usr/bin/python3
"""Creates TOPIC with PARTITIONS partitions (if missing) and produces records FIRST..LAST-1
("v<n>", round robin over partitions, acks=all); prints "acked <partition> <offset>" per record.
Usage: produce_numbered.py HOST:PORT TOPIC PARTITIONS FIRST LAST [REPLICATION_FACTOR]
"""
import sys

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

bootstrap, topic = sys.argv[1], sys.argv[2]
partitions, first, last = (int(x) for x in sys.argv[3:6])
replication = int(sys.argv[6]) if len(sys.argv) > 6 else 1
admin = KafkaAdminClient(bootstrap_servers=bootstrap)
# Create only when missing: with a broker down, Meridian checks the replication factor against
# the live brokers before the name (controller/topic_admin.cc), so re-creating an existing RF-3
# topic answers INVALID_REPLICATION_FACTOR where Kafka answers TOPIC_ALREADY_EXISTS.
if topic not in admin.list_topics():
    try:
        admin.create_topics([NewTopic(topic, partitions, replication)])
    except TopicAlreadyExistsError:
        pass
admin.close()
producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', linger_ms=5)
futures = [producer.send(topic, value=f'v{n}'.encode(), partition=n % partitions)
           for n in range(first, last)]
producer.flush()
for f in futures:
    meta = f.get(timeout=30)
    print(f'acked {meta.partition} {meta.offset}')
producer.close()
