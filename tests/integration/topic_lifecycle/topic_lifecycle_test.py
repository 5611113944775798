#!/usr/bin/python3
"""Topic lifecycle against `meridian dev --brokers 3` (issue 4); see README.md.

Usage: topic_lifecycle_test.py MERIDIAN_BINARY
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import requests
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewPartitions, NewTopic
from kafka.errors import InvalidPartitionsError, UnknownTopicOrPartitionError
from kafka.protocol.api import RequestHeader
from kafka.protocol.fetch import FetchRequest
from kafka.protocol.metadata import MetadataRequest

MERIDIAN = sys.argv[1]
passed = 0
failures = []


def check(name, cond, detail=""):
    global passed
    if cond:
        passed += 1
        print("ok   " + name, flush=True)
    else:
        failures.append(name)
        print("FAIL " + name + ("\n     " + str(detail)[:800] if detail else ""), flush=True)


def wait_for(pred, timeout=20.0, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return True
        except Exception:  # a broker still starting: try again
            pass
        time.sleep(step)
    return False


class Dev:
    def __init__(self, tmp):
        self.tmp = tmp
        self.data = os.path.join(tmp, "data")
        self.proc = None
        self.boot = None
        self.gw = None
        self.starts = 0

    def start(self):
        self.starts += 1
        out = os.path.join(self.tmp, "dev%d.out" % self.starts)
        err = open(os.path.join(self.tmp, "dev%d.err" % self.starts), "w")
        self.proc = subprocess.Popen(
            [MERIDIAN, "dev", "--brokers", "3", "--port", "0", "--gateway-port", "0",
             "--admin-port", "0", "--data-dir", self.data, "--set", "num.partitions=3",
             "--set", "default.replication.factor=3", "--set", "log.segment.bytes=1048576"],
            stdout=open(out, "w"), stderr=err)
        for _ in range(300):
            text = open(out).read()
            m = re.search(r"bootstrap ([0-9.]+:[0-9]+)", text)
            g = re.search(r"gateway (http://[0-9.]+:[0-9]+)", text)
            if m and g:
                self.boot, self.gw = m.group(1), g.group(1)
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        return False

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def err_tail(self):
        path = os.path.join(self.tmp, "dev%d.err" % self.starts)
        return open(path).read()[-1500:] if os.path.exists(path) else ""


def partition_dirs(dev, topic):
    """{broker: [dirs of topic's partitions]} (not the renamed -delete ones)."""
    out = {}
    for b in (1, 2, 3):
        out[b] = sorted(d for d in glob.glob(os.path.join(dev.data, "broker-%d" % b, topic + "-*"))
                        if re.fullmatch(re.escape(topic) + r"-[0-9]+", os.path.basename(d)))
    return out


def log_bytes(d):
    return sum(os.path.getsize(f) for f in glob.glob(os.path.join(d, "*.log")))


def leaders_ready(boot, topic, n):
    out = subprocess.run(["kcat", "-b", boot, "-L", "-t", topic, "-J"], capture_output=True,
                         text=True, timeout=10)
    t = [x for x in json.loads(out.stdout)["topics"] if x["topic"] == topic]
    return bool(t) and len(t[0]["partitions"]) == n and all(
        p["leader"] >= 0 and len(p.get("isrs", [])) == 3 for p in t[0]["partitions"])


def produce(boot, topic, values, partition=None):
    p = KafkaProducer(bootstrap_servers=boot, acks="all", retries=20, linger_ms=5)
    futures = [p.send(topic, value=v, partition=partition) for v in values]
    metas = [f.get(timeout=30) for f in futures]
    p.close()
    return metas


def consume_all(boot, topic, expect, timeout=30):
    c = KafkaConsumer(bootstrap_servers=boot, enable_auto_commit=False,
                      auto_offset_reset="earliest", consumer_timeout_ms=2000)
    parts = c.partitions_for_topic(topic) or set()
    c.assign([TopicPartition(topic, p) for p in parts])
    got = []
    end = time.time() + timeout
    while len(got) < expect and time.time() < end:
        for batch in c.poll(timeout_ms=500).values():
            got.extend(r.value for r in batch)
    c.close()
    return got


def raw_request(host, port, request, corr=7):
    s = socket.create_connection((host, port), timeout=10)
    try:
        header = RequestHeader(request, correlation_id=corr, client_id="lifecycle")
        msg = header.encode() + request.encode()  # encode is a weak method: keep the header
        s.sendall(struct.pack(">i", len(msg)) + msg)

        def recvn(n):
            buf = b""
            while len(buf) < n:
                chunk = s.recv(n - len(buf))
                if not chunk:
                    raise IOError("closed")
                buf += chunk
            return buf
        size = struct.unpack(">i", recvn(4))[0]
        return request.RESPONSE_TYPE.decode(recvn(size)[4:])
    finally:
        s.close()


def fetch_errors_everywhere(boot, topic, n):
    """Fetch every partition from every broker at once; returns the set of error codes."""
    host, port = boot.split(":")
    md = raw_request(host, int(port), MetadataRequest[1](topics=[topic]))
    codes = set()
    for broker in md.brokers:
        node_host, node_port = broker[1], broker[2]
        req = FetchRequest[4](-1, 0, 0, 1 << 20, 0, [(topic, [(p, 0, 1 << 16) for p in range(n)])])
        resp = raw_request(node_host, node_port, req)
        for _, parts in resp.topics:
            for part in parts:
                codes.add(part[1])
    return codes


def delete_and_recreate(dev, admin):
    admin.create_topics([NewTopic("life", 3, 3)])
    check("life: leaders and full ISRs", wait_for(lambda: leaders_ready(dev.boot, "life", 3)))
    metas = produce(dev.boot, "life", [b"x" * 1024] * 20) + \
        produce(dev.boot, "life", [b"x" * 1024] * 10, partition=0)
    check("life: 30 records acked", len(metas) == 30)
    dirs = partition_dirs(dev, "life")
    check("life: 3 partition dirs on each broker", all(len(v) == 3 for v in dirs.values()), dirs)
    # What a broker that misses the delete keeps: put back later (replica_missed_delete).
    shutil.copytree(os.path.join(dev.data, "broker-2", "life-0"), os.path.join(dev.tmp, "stale-life-0"))
    shutil.copy(os.path.join(dev.data, "broker-2", "topic_incarnations"),
                os.path.join(dev.tmp, "stale-incarnations"))
    admin.delete_topics(["life"])
    gone = wait_for(lambda: all(not v for v in partition_dirs(dev, "life").values()) and not glob.glob(
        os.path.join(dev.data, "broker-*", "life-*")), timeout=20)
    check("delete: every replica's dirs gone (renamed -delete, then removed)", gone,
          glob.glob(os.path.join(dev.data, "broker-*", "life-*")))
    wait_for(lambda: "life" not in admin.list_topics(), timeout=10)
    admin.create_topics([NewTopic("life", 3, 3)])
    check("re-created: leaders ready", wait_for(lambda: leaders_ready(dev.boot, "life", 3)))
    metas = produce(dev.boot, "life", [b"new"], partition=0)
    check("re-created: first record at offset 0", metas[0].offset == 0, metas)
    check("re-created: every replica holds only the new record", wait_for(
        lambda: all(len(v) == 3 for v in partition_dirs(dev, "life").values()) and all(
            0 < log_bytes(os.path.join(dev.data, "broker-%d" % b, "life-0")) < 1000
            for b in (1, 2, 3))), [log_bytes(os.path.join(dev.data, "broker-%d" % b, "life-0"))
                                   for b in (1, 2, 3)])
    got = consume_all(dev.boot, "life", 1, timeout=10)
    check("re-created: a consumer reads exactly the new record", got == [b"new"], got)


def replica_missed_delete(dev):
    """While dev is stopped: broker 2 gets the old life-0 and its incarnation back, and a dir of
    a topic that does not exist; the restart must drop both."""
    b2 = os.path.join(dev.data, "broker-2")
    shutil.rmtree(os.path.join(b2, "life-0"))
    shutil.copytree(os.path.join(dev.tmp, "stale-life-0"), os.path.join(b2, "life-0"))
    current = open(os.path.join(b2, "topic_incarnations")).read()
    stale = dict(l.split() for l in open(os.path.join(dev.tmp, "stale-incarnations")).read().splitlines())
    lines = [l for l in current.splitlines() if not l.startswith("life ")]
    lines.append("life " + stale["life"])
    open(os.path.join(b2, "topic_incarnations"), "w").write("\n".join(lines) + "\n")
    shutil.copytree(os.path.join(dev.tmp, "stale-life-0"), os.path.join(b2, "ghost-0"))
    return log_bytes(os.path.join(b2, "life-0"))


def add_partitions(dev, admin):
    admin.create_topics([NewTopic("grow", 3, 3)])
    check("grow: created", wait_for(lambda: leaders_ready(dev.boot, "grow", 3)))
    admin.create_partitions({"grow": NewPartitions(total_count=6)}, validate_only=True)
    time.sleep(1)
    check("create_partitions validate_only: still 3", leaders_ready(dev.boot, "grow", 3))
    admin.create_partitions({"grow": NewPartitions(total_count=6)})
    check("create_partitions 3 -> 6: kcat -L shows 6 with leaders",
          wait_for(lambda: leaders_ready(dev.boot, "grow", 6)))
    try:
        admin.create_partitions({"grow": NewPartitions(total_count=4)})
        check("create_partitions 6 -> 4: InvalidPartitionsError", False, "no error")
    except InvalidPartitionsError as e:
        check("create_partitions 6 -> 4: InvalidPartitionsError", True)
        check("decrease message says how many there are", "currently has 6" in str(e), e)
    try:
        admin.create_partitions({"nope": NewPartitions(total_count=4)})
        check("create_partitions unknown topic: error", False, "no error")
    except UnknownTopicOrPartitionError:
        check("create_partitions unknown topic: UnknownTopicOrPartitionError", True)
    cli = subprocess.run([MERIDIAN, "topic", "add-partitions", "grow", "-n", "2", "-b", dev.boot],
                         capture_output=True, text=True, timeout=30)
    check("meridian topic add-partitions -n 2: exit 0", cli.returncode == 0, cli.stdout + cli.stderr)
    check("CLI: kcat -L shows 8", wait_for(lambda: leaders_ready(dev.boot, "grow", 8)))
    cli = subprocess.run([MERIDIAN, "topic", "add-partitions", "grow", "--total", "8", "-b", dev.boot],
                         capture_output=True, text=True, timeout=30)
    check("CLI --total 8 (no growth): exit 1 with INVALID_PARTITIONS",
          cli.returncode == 1 and "already has 8" in cli.stdout, cli.stdout + cli.stderr)
    url = dev.gw + "/v3/clusters/meridian/topics/grow"
    r = requests.patch(url, headers={"Content-Type": "application/json"},
                       data=json.dumps({"partitions_count": 10}), timeout=30)
    check("PATCH partitions_count 10: 200 and the new count",
          r.status_code == 200 and r.json().get("partitions_count") == 10, r.text)
    check("PATCH: kcat -L shows 10", wait_for(lambda: leaders_ready(dev.boot, "grow", 10)))
    r = requests.patch(url, headers={"Content-Type": "application/json"},
                       data=json.dumps({"partitions_count": 5}), timeout=30)
    check("PATCH shrink: 4xx", 400 <= r.status_code < 500, r.text)
    metas = produce(dev.boot, "grow", [b"in-9"], partition=9)
    check("produce to the new partition 9", metas[0].partition == 9 and metas[0].offset == 0, metas)


def main():
    tmp = tempfile.mkdtemp(prefix="topic-lifecycle-")
    dev = Dev(tmp)
    try:
        if not dev.start():
            check("meridian dev starts", False, dev.err_tail())
            return 1
        admin = KafkaAdminClient(bootstrap_servers=dev.boot, request_timeout_ms=30000)
        delete_and_recreate(dev, admin)
        add_partitions(dev, admin)
        admin.create_topics([NewTopic("keep", 3, 3)])
        check("keep: ready", wait_for(lambda: leaders_ready(dev.boot, "keep", 3)))
        sent = [b"keep-%d" % i for i in range(300)]
        produce(dev.boot, "keep", sent)
        admin.close()

        dev.stop(signal.SIGTERM)
        stale_bytes = replica_missed_delete(dev)
        journal = os.path.join(dev.data, "coord", "journal")
        print("figure: coord journal %d bytes before the restart" % os.path.getsize(journal))
        t0 = time.time()
        check("dev started again after SIGTERM", dev.start(), dev.err_tail())
        print("figure: dev restart to bootstrap line %.2f s" % (time.time() - t0))
        codes = fetch_errors_everywhere(dev.boot, "keep", 3)
        check("right after the restart: no UNKNOWN_TOPIC_OR_PARTITION (3) from any broker",
              3 not in codes and codes <= {0, 6}, codes)
        check("after SIGTERM restart: topics kept (kcat -L)",
              wait_for(lambda: leaders_ready(dev.boot, "keep", 3) and
                       leaders_ready(dev.boot, "grow", 10), timeout=30))
        b2 = os.path.join(dev.data, "broker-2")
        check("startup removed the dir of a topic that no longer exists",
              wait_for(lambda: not os.path.exists(os.path.join(b2, "ghost-0"))))
        check("startup replaced the stale life-0 of the replica that missed the delete",
              wait_for(lambda: 0 < log_bytes(os.path.join(b2, "life-0")) < 1000) and stale_bytes > 10000,
              (stale_bytes, log_bytes(os.path.join(b2, "life-0"))))
        got = consume_all(dev.boot, "keep", len(sent))
        check("after SIGTERM restart: all 300 records consumed", sorted(got) == sorted(sent),
              "%d of %d" % (len(got), len(sent)))
        got = consume_all(dev.boot, "life", 1, timeout=10)
        check("after restart: life still holds exactly the new record", got == [b"new"], got)

        more = [b"more-%d" % i for i in range(200)]
        produce(dev.boot, "keep", more)
        dev.stop(signal.SIGKILL)
        t0 = time.time()
        check("dev started again after SIGKILL", dev.start(), dev.err_tail())
        print("figure: dev restart after SIGKILL to bootstrap line %.2f s" % (time.time() - t0))
        check("after SIGKILL restart: topics kept",
              wait_for(lambda: leaders_ready(dev.boot, "keep", 3), timeout=30))
        got = consume_all(dev.boot, "keep", len(sent) + len(more))
        check("after SIGKILL restart: all 500 acked records consumed",
              sorted(got) == sorted(sent + more), "%d of %d" % (len(got), len(sent) + len(more)))
        produce(dev.boot, "keep", [b"after"])
        check("after SIGKILL restart: produce works",
              len(consume_all(dev.boot, "keep", 501)) == 501)
    finally:
        dev.stop(signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)
    print("topic_lifecycle_test: %d passed, %d failed" % (passed, len(failures)))
    for f in failures:
        print("  failed: " + f)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
