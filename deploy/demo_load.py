#!/usr/bin/python3
"""The demo's load generator and smoke check (deploy/demo.sh). Stdlib + python3-kafka.

Load:  demo_load.py --rest URL --kafka HOST:PORT --topic T --seconds N
       ~20 records/s over REST (Confluent v2 JSON) and a consumer group `demo-readers`
       reading them over Kafka, for at most N seconds.
Smoke: demo_load.py --smoke --rest EAST_URL --west-rest WEST_URL --west-kafka HOST:PORT --topic T
       produces one unique record over REST in east and waits (60 s) until it can be read in
       west: REST stateless read GET /topics/T/partitions/P/records?offset=O, or Kafka."""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request
import uuid

V2_JSON = 'application/vnd.kafka.json.v2+json'


def post_records(rest, topic, records, timeout=5):
    body = json.dumps({'records': records}).encode()
    req = urllib.request.Request(rest + '/topics/' + topic, data=body, method='POST',
                                 headers={'Content-Type': V2_JSON,
                                          'Accept': 'application/vnd.kafka.v2+json'})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode())


def produce(args, records, producer_box):
    """Over REST when --rest is given, else over Kafka (--zookeeper demo has no gateway)."""
    if args.rest:
        return post_records(args.rest, args.topic, records)
    from kafka import KafkaProducer
    if not producer_box:
        producer_box.append(KafkaProducer(bootstrap_servers=args.kafka, acks='all'))
    futures = [producer_box[0].send(args.topic, key=r['key'].encode(),
                                    value=json.dumps(r['value']).encode()) for r in records]
    producer_box[0].flush(10)
    metas = [f.get(timeout=10) for f in futures]
    return {'offsets': [{'partition': m.partition, 'offset': m.offset} for m in metas]}


def run_load(args):
    from kafka import KafkaConsumer
    deadline = time.time() + args.seconds
    consumer = None
    producer = []
    sent = errors = 0
    while time.time() < deadline:
        try:
            produce(args, [{'key': 'k%d' % ((sent + i) % 50), 'value': {'n': sent + i, 'ts': time.time()}}
                           for i in range(4)], producer)
            sent += 4
        except Exception as e:  # noqa: BLE001 - the demo keeps going; the error is shown
            errors += 1
            print('produce error (%d so far): %s' % (errors, e), flush=True)
            time.sleep(1)
        try:
            if consumer is None:
                consumer = KafkaConsumer(args.topic, bootstrap_servers=args.kafka,
                                         group_id='demo-readers', auto_offset_reset='earliest',
                                         consumer_timeout_ms=100)
            consumer.poll(timeout_ms=100)
        except Exception as e:  # noqa: BLE001 - the demo keeps going; the error is shown
            print('consume error: %s' % e, flush=True)
            consumer = None
            time.sleep(1)
        if sent % 400 == 0:
            print('load: %d records sent' % sent, flush=True)
        time.sleep(0.2)
    print('load: done after %d records' % sent)


def rest_read(west, topic, partition, offset):
    url = '%s/topics/%s/partitions/%d/records?offset=%d' % (west, topic, partition, offset)
    req = urllib.request.Request(url, headers={'Accept': 'application/vnd.kafka.json.v2+json'})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def kafka_read(west_kafka, topic, marker):
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=west_kafka, consumer_timeout_ms=2000,
                      enable_auto_commit=False)
    parts = c.partitions_for_topic(topic) or set()
    if not parts:
        c.close()
        return None
    c.assign([TopicPartition(topic, p) for p in parts])
    c.seek_to_beginning()
    found = None
    for m in c:
        if marker.encode() in (m.value or b''):
            found = (m.partition, m.offset)
            break
    c.close()
    return found


def run_smoke(args):
    marker = 'smoke-' + uuid.uuid4().hex
    producer = []
    deadline = time.time() + 30
    while True:
        try:
            resp = produce(args, [{'key': 'smoke', 'value': {'id': marker}}], producer)
            off = resp['offsets'][0]
            if off.get('error_code') in (None, 0) and off.get('offset', -1) >= 0:
                break
            raise ValueError(json.dumps(resp))
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            if time.time() > deadline:
                print('smoke: produce in east failed: %s' % e)
                return 1
            time.sleep(0.5)
    partition, offset = off['partition'], off['offset']
    print('smoke: produced %s to %s-%d@%d in east over %s'
          % (marker, args.topic, partition, offset, 'REST' if args.rest else 'Kafka'))
    deadline = time.time() + 60
    rest_available = bool(args.west_rest)
    while time.time() < deadline:
        if rest_available:
            status, body = rest_read(args.west_rest, args.topic, partition, offset)
            if status in (404, 405) and 'error_code' in body and '40401' not in body \
                    and '40402' not in body:
                rest_available = False  # no stateless read route in this build
            elif status == 200 and marker in body:
                print('smoke: read it back in west over REST (partition %d offset %d)'
                      % (partition, offset))
                return 0
        if not rest_available:
            try:
                found = kafka_read(args.west_kafka, args.topic, marker)
            except Exception as e:  # noqa: BLE001
                found = None
                print('smoke: kafka read in west: %s' % e)
            if found:
                print('smoke: read it back in west over Kafka at partition %d offset %d' % found)
                return 0
        time.sleep(1)
    print('smoke: %s never reached west within 60 s' % marker)
    return 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--rest', help='east REST gateway; without it records go over Kafka')
    p.add_argument('--kafka')
    p.add_argument('--topic', default='demo-orders')
    p.add_argument('--seconds', type=float, default=3600)
    p.add_argument('--smoke', action='store_true')
    p.add_argument('--west-rest')
    p.add_argument('--west-kafka')
    args = p.parse_args()
    if args.smoke:
        return run_smoke(args)
    run_load(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
