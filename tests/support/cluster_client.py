#!/usr/bin/python3
"""Kafka client for the process-level cluster tests (tests/chaos, tests/integration/zk_*).

  cluster_client.py BOOT create TOPIC PARTITIONS [key=value ...]     RF=3 topic with configs
  cluster_client.py BOOT produce TOPIC OUT.jsonl [--seconds S] [--count N] [--stop-file F]
                    [--acks all|1]
      acks=all, one record at a time, unique values; every ack is appended to OUT.jsonl as
      {"v": value, "p": partition, "o": offset, "t": ms}. Retriable errors are retried (the
      same value again: a duplicate is possible, a loss is not) and counted by name; any other
      error ends the run with exit 3. Prints one JSON summary line.
  cluster_client.py BOOT try-produce TOPIC                           one record; prints the error
  cluster_client.py BOOT consume TOPIC                               values visible to consumers
  cluster_client.py - verify ACKED.jsonl DUMP1 [DUMP2 ...]
      DUMPn: "offset value" lines of one replica of one partition (tests/support dump_partition),
      named <anything>-p<partition>-b<broker>.txt. Every acked record must be at its offset with
      its value in every replica; prints acked / lost / duplicated counts; exit 1 on any loss.
"""
import collections
import json
import os
import sys
import time

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError

RETRIABLE = {"NotLeaderForPartitionError", "NotEnoughReplicasError",
             "NotEnoughReplicasAfterAppendError", "KafkaTimeoutError", "RequestTimedOutError",
             "LeaderNotAvailableError", "KafkaConnectionError", "UnknownTopicOrPartitionError",
             "NodeNotReadyError", "StaleMetadata", "NoBrokersAvailable"}


def create(boot, topic, partitions, configs):
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    conf = dict(c.split("=", 1) for c in configs)
    admin.create_topics([NewTopic(topic, int(partitions), 3, topic_configs=conf)])
    admin.close()


def make_producer(boot, acks="all"):
    return KafkaProducer(bootstrap_servers=boot, acks=acks, retries=0, linger_ms=0,
                         request_timeout_ms=int(os.environ.get("PRODUCE_TIMEOUT_MS", "4000")),
                         max_block_ms=4000, metadata_max_age_ms=1000,
                         reconnect_backoff_max_ms=200, max_in_flight_requests_per_connection=1)


def produce(boot, topic, out, seconds, count, stop_file, acks="all"):
    run = os.urandom(4).hex()
    errors = collections.Counter()
    error_log = []  # (ms, name) of the first errors, to line up with broker logs
    fatal = None
    acked = 0
    deadline = time.time() + seconds
    producer = None
    with open(out, "a") as f:
        i = 0
        while time.time() < deadline and (count is None or acked < count):
            if stop_file and os.path.exists(stop_file):
                break
            value = f"{run}-{i}"
            try:
                if producer is None:
                    producer = make_producer(boot, acks)
                meta = producer.send(topic, key=str(i).encode(), value=value.encode()).get(
                    timeout=6)
                f.write(json.dumps({"v": value, "p": meta.partition, "o": meta.offset,
                                    "t": int(time.time() * 1000)}) + "\n")
                f.flush()
                acked += 1
                i += 1
            except Exception as e:  # noqa: BLE001 - classified below
                name = type(e).__name__
                errors[name] += 1
                if len(error_log) < 20:
                    error_log.append((int(time.time() * 1000), name))
                if name not in RETRIABLE and not (isinstance(e, KafkaError) and e.retriable):
                    fatal = f"{name}: {e}"
                    break
                if name in ("NoBrokersAvailable", "KafkaConnectionError") and producer is None:
                    time.sleep(0.2)
                time.sleep(0.05)
    if producer is not None:
        producer.close(timeout=2)
    print(json.dumps({"error_log": error_log}))
    print(json.dumps({"acked": acked, "errors": dict(errors), "fatal": fatal}))
    return 3 if fatal else 0


def try_produce(boot, topic):
    producer = make_producer(boot)
    try:
        meta = producer.send(topic, value=b"probe").get(timeout=6)
        print(f"ok {meta.partition} {meta.offset}")
    except Exception as e:  # noqa: BLE001
        print(type(e).__name__)
    producer.close(timeout=2)


def consume(boot, topic):
    consumer = KafkaConsumer(topic, bootstrap_servers=boot, auto_offset_reset="earliest",
                             consumer_timeout_ms=3000, enable_auto_commit=False)
    for msg in consumer:
        print(msg.partition, msg.offset, msg.value.decode(errors="replace"))
    consumer.close()


def verify(acked_path, dumps):
    acked = [json.loads(line) for line in open(acked_path) if line.strip()]
    replicas = collections.defaultdict(dict)  # partition -> broker -> {offset: value}
    for path in dumps:
        stem = os.path.basename(path).rsplit(".", 1)[0]
        p = int(stem.split("-p")[-1].split("-b")[0])
        b = int(stem.split("-b")[-1])
        log = {}
        for line in open(path):
            off, _, value = line.rstrip("\n").partition(" ")
            log[int(off)] = value
        replicas[p][b] = log
    lost, bad_order = [], 0
    last = {}
    for rec in acked:
        if rec["o"] <= last.get(rec["p"], -1):
            bad_order += 1
        last[rec["p"]] = rec["o"]
        for b, log in replicas[rec["p"]].items():
            if log.get(rec["o"]) != rec["v"]:
                lost.append((rec, b, log.get(rec["o"])))
    duplicated = 0
    for p, per_broker in replicas.items():
        for b, log in per_broker.items():
            counts = collections.Counter(log.values())
            duplicated = max(duplicated, sum(n - 1 for n in counts.values() if n > 1))
    diverged = 0
    for p, per_broker in replicas.items():
        logs = list(per_broker.values())
        if logs:
            common = min(len(l) for l in logs)
            diverged += sum(1 for l in logs[1:] for o in sorted(logs[0])[:common]
                            if l.get(o) != logs[0][o])
    for rec, b, found in lost[:10]:
        print(f"lost {rec['v']} acked at p{rec['p']}@{rec['o']}: broker {b} has {found!r}")
    lost_values = len({rec["v"] for rec, _, _ in lost})
    print(f"acked {len(acked)}, lost {lost_values}, duplicated {duplicated}, "
          f"out-of-order acks {bad_order}, diverged {diverged}, replicas "
          f"{sum(len(v) for v in replicas.values())}")
    return 1 if lost or bad_order or diverged else 0


def main(argv):
    boot, mode = argv[1].split(","), argv[2]
    if mode == "create":
        create(boot, argv[3], argv[4], argv[5:])
        return 0
    if mode == "produce":
        args = argv[5:]
        opt = {args[i]: args[i + 1] for i in range(0, len(args), 2)}
        count = int(opt["--count"]) if "--count" in opt else None
        acks = opt.get("--acks", "all")
        return produce(boot, argv[3], argv[4], float(opt.get("--seconds", "3600")), count,
                       opt.get("--stop-file"), "all" if acks == "all" else int(acks))
    if mode == "try-produce":
        try_produce(boot, argv[3])
        return 0
    if mode == "consume":
        consume(boot, argv[3])
        return 0
    if mode == "verify":
        return verify(argv[3], argv[4:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
