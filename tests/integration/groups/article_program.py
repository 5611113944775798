#!/usr/bin/python3
"""The program of issue 5 (with a flush, a consumer timeout and auto_offset_reset='earliest'),
then the same with a group_id: the group consumer prints the record and commits it, and a
second run of the same group resumes after it (prints nothing).
Usage: article_program.py HOST:PORT
"""
import sys

from kafka import KafkaConsumer, KafkaProducer

bootstrap = sys.argv[1]

producer = KafkaProducer(bootstrap_servers=bootstrap)
consumer = KafkaConsumer('test', bootstrap_servers=bootstrap, auto_offset_reset='earliest',
                         consumer_timeout_ms=5000)
producer.send('test', b'Hello, Kafka!')
producer.flush()
for msg in consumer:
    print(msg.value)
consumer.close()

# The group variant: offsets are committed to the group coordinator on close.
consumer = KafkaConsumer('test', bootstrap_servers=bootstrap, group_id='article-group',
                         auto_offset_reset='earliest', consumer_timeout_ms=8000)
for msg in consumer:
    print('group:', msg.value)
consumer.close()

again = KafkaConsumer('test', bootstrap_servers=bootstrap, group_id='article-group',
                      auto_offset_reset='earliest', consumer_timeout_ms=8000)
count = sum(1 for _ in again)
again.close()
print(f'second run of article-group: {count} records')
