#!/usr/bin/python3
"""Idempotent producer and verifier for idempotent_failover_test.sh (python3-confluent-kafka).

  idempotent_client.py produce BOOT TOPIC OUT.json STOPFILE PROGRESSFILE MAX_SECONDS
      enable.idempotence=True, acks=all; values "0", "1", ... one after another, paced, until
      STOPFILE exists (or MAX_SECONDS); writes the delivered count to PROGRESSFILE as it goes and
      finally {"produced": n, "delivered": {value: offset}, "errors": [...]} to OUT.json.
  idempotent_client.py verify BOOT TOPIC OUT.json
      reads partition 0 from the start to the high watermark; fails on any duplicate, any gap,
      any delivery error, or a delivered record missing or at another offset than reported.
  idempotent_client.py create BOOT TOPIC
      creates TOPIC with 1 partition, RF 3, min.insync.replicas 2.
  idempotent_client.py bench BOOT TOPIC COUNT IDEMPOTENT(0|1)
      produces COUNT 1 KiB records as fast as possible, prints records/s (overhead figure).
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition


def produce(boot, topic, out_path, stop_file, progress_file, max_seconds):
    delivered = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append("%s: %s" % (msg.value().decode(), err))
        else:
            delivered[msg.value().decode()] = msg.offset()

    producer = Producer({
        "bootstrap.servers": boot,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        # Shorter than the follower freeze of the test, so acks=all requests time out and are
        # retried with the same sequence numbers.
        "request.timeout.ms": 1000,
        "message.timeout.ms": 120000,
        "retry.backoff.ms": 100,
        "topic.metadata.refresh.interval.ms": 1000,
    })
    deadline = time.time() + max_seconds
    produced = 0
    last_progress = 0
    while not os.path.exists(stop_file) and time.time() < deadline:
        for _ in range(10):
            while True:
                try:
                    producer.produce(topic, value=str(produced).encode(), partition=0,
                                     on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.1)
            produced += 1
        producer.poll(0.01)
        if len(delivered) - last_progress >= 50:
            last_progress = len(delivered)
            with open(progress_file + ".tmp", "w") as f:
                f.write(str(last_progress))
            os.replace(progress_file + ".tmp", progress_file)
    remaining = producer.flush(150)
    with open(out_path, "w") as f:
        json.dump({"produced": produced, "delivered": delivered, "errors": errors,
                   "unflushed": remaining}, f)
    print("produced %d, delivered %d, errors %d, unflushed %d" %
          (produced, len(delivered), len(errors), remaining))
    return 0 if not errors and remaining == 0 else 1


def verify(boot, topic, out_path):
    with open(out_path) as f:
        result = json.load(f)
    consumer = Consumer({"bootstrap.servers": boot, "group.id": "idempotence-verify",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    tp = TopicPartition(topic, 0, 0)
    for attempt in range(30):  # right after a failover the metadata may still be moving
        try:
            low, high = consumer.get_watermark_offsets(tp, timeout=10)
            break
        except Exception:  # noqa: BLE001 - retried, then raised
            if attempt == 29:
                raise
            time.sleep(0.5)
    consumer.assign([tp])
    seen = []  # (value, offset)
    deadline = time.time() + 60
    while (not seen or seen[-1][1] + 1 < high) and time.time() < deadline:
        msg = consumer.poll(1.0)
        if msg is None or msg.error():
            continue
        seen.append((int(msg.value().decode()), msg.offset()))
    consumer.close()
    values = [v for v, _ in seen]
    at = {v: o for v, o in seen}
    duplicates = len(values) - len(set(values))
    gaps = [i for i in range(len(values)) if values[i] != i][:5]
    missing = [v for v in result["delivered"] if int(v) not in at][:5]
    moved = [v for v, o in result["delivered"].items() if int(v) in at and at[int(v)] != o][:5]
    print("produced %d, delivered %d, read %d (log %d..%d), duplicated %d, out of place %s, "
          "delivered but missing %s, delivered at another offset %s, delivery errors %d" %
          (result["produced"], len(result["delivered"]), len(values), low, high, duplicates,
           gaps, missing, moved, len(result["errors"])))
    for e in result["errors"][:5]:
        print("delivery error:", e)
    ok = (duplicates == 0 and not gaps and not missing and not moved and not result["errors"]
          and result["unflushed"] == 0 and len(values) == result["produced"]
          and len(result["delivered"]) == result["produced"])
    print("idempotent stream: %d records, 0 lost, 0 duplicated" % len(values) if ok
          else "idempotent stream check FAILED")
    return 0 if ok else 1


def bench(boot, topic, count, idempotent):
    producer = Producer({"bootstrap.servers": boot, "enable.idempotence": bool(idempotent),
                         "acks": "all", "linger.ms": 5, "batch.num.messages": 10000,
                         "queue.buffering.max.messages": 200000})
    payload = b"x" * 1024
    failures = []
    start = time.time()
    for i in range(count):
        while True:
            try:
                producer.produce(topic, value=payload, partition=0,
                                 on_delivery=lambda err, msg: err and failures.append(err))
                break
            except BufferError:
                producer.poll(0.05)
    left = producer.flush(120)
    elapsed = time.time() - start
    print("idempotent=%d records=%d seconds=%.2f records/s=%.0f MB/s=%.1f failures=%d" %
          (idempotent, count, elapsed, count / elapsed, count * 1024 / elapsed / 1e6,
           len(failures) + left))
    return 0 if not failures and left == 0 else 1


def create(boot, topic):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": boot})
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=3,
                                            config={"min.insync.replicas": "2"})])
    futures[topic].result(30)
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "create":
        sys.exit(create(sys.argv[2], sys.argv[3]))
    if cmd == "produce":
        sys.exit(produce(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6],
                         float(sys.argv[7])))
    if cmd == "verify":
        sys.exit(verify(sys.argv[2], sys.argv[3], sys.argv[4]))
    if cmd == "bench":
        sys.exit(bench(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    sys.exit("unknown command " + cmd)
