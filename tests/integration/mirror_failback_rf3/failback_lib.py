"""Failback helpers shared by mirror_failback_rf3 and mirror_failback_kill: acks=all writes
that remember every acknowledged record, and the link's admin API (mirror actions, forward /
reverse entries, caught-up checks) for link LINK on topic zk_dcs.TOPIC, and the check that a
DC's three replicas of every partition are byte-identical."""
import glob
import json
import os
import signal
import subprocess
import time

from kafka.errors import KafkaError

from mirror_lib import producer, wait_for
from zk_dcs import PARTS, TOPIC, check

LINK = "east-to-west"


class Writes:
    """acks=all writes of one period; keys are unique per attempt, so a retried attempt never
    looks like a duplicate. `acked` = (partition, offset, key, value) of every acknowledged one."""

    def __init__(self, tag):
        self.tag, self.attempt, self.acked = tag, 0, []

    def send(self, bootstrap, n, value_size=0):
        """True when all n were acknowledged (a restarted or just failed-over DC may refuse for a
        moment; what it did acknowledge stays in `acked`)."""
        self.attempt += 1
        try:
            p = producer(bootstrap, retries=5, retry_backoff_ms=200,
                         max_in_flight_requests_per_connection=1)
        except KafkaError as e:
            print("producer for %s: %r" % (self.tag, e), flush=True)
            return False
        futures = []
        for i in range(n):
            key = ("%s-%d-%d" % (self.tag, self.attempt, i)).encode()
            value = b"value-" + key + b"." * value_size
            futures.append((key, value, p.send(TOPIC, key=key, value=value,
                                               headers=[("tag", self.tag.encode())],
                                               partition=i % PARTS)))
        failed = 0
        for key, value, f in futures:
            try:
                md = f.get(timeout=60)
                self.acked.append((md.partition, md.offset, key, value))
            except KafkaError:
                failed += 1
        p.close()
        if failed:
            print("%s attempt %d: %d of %d not acknowledged, retrying" % (
                self.tag, self.attempt, failed, n), flush=True)
        return failed == 0

    def keys(self):
        return set(k for _, _, k, _ in self.acked)


def try_action(c, name):
    """POSTs mirror action `name` for TOPIC: (HTTP status, the topic's result)."""
    status, body = c.api("/v3/clusters/-/links/%s/mirrors:%s" % (LINK, name),
                         {"mirror_topic_names": [TOPIC]})
    data = body.get("data") or [body]
    return status, data[0]


def action(c, name):
    status, out = try_action(c, name)
    check(status == 200 and out["error_message"] is None,
          "%s: HTTP %d %s" % (name, status, json.dumps(out)))
    return out


def entry(c, direction):
    status, body = c.api("/v3/clusters/-/links/%s/mirrors" % LINK)
    assert status == 200, body
    found = [m for m in body["data"] if m["mirror_topic_name"] == TOPIC
             and m.get("direction", "forward") == direction]
    return found[0] if found else None


def caught_up(c, direction, ends):
    m = entry(c, direction)
    return m and m["mirror_lags"] and all(
        x["lag_records"] == 0 and x["mirrored_offset"] >= ends.get(x["partition"], 0)
        for x in m["mirror_lags"])


def ends_of(writes):
    out = {}
    acked = [a for w in writes for a in w.acked]
    for part, offset, _, _ in acked:
        out[part] = max(out.get(part, 0), offset + 1)
    return out


def stop_dc(c, dc):
    """SIGTERM (clean shutdown) of the three brokers, so their files are complete."""
    for i in (1, 2, 3):
        p = c.procs.pop("%s-%d" % (dc.name, i), None)
        if p and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def replica_bytes(c, dc, broker, part):
    d = os.path.join(c.tmp, "%s-data-%d" % (dc.name, broker), "%s-%d" % (TOPIC, part))
    return b"".join(open(f, "rb").read() for f in sorted(glob.glob(os.path.join(d, "*.log"))))


def replica_dump(c, dc, broker, part):
    d = os.path.join(c.tmp, "%s-data-%d" % (dc.name, broker), "%s-%d" % (TOPIC, part))
    r = subprocess.run([c.meridian, "log", "dump", "--records", "--json", d],
                       capture_output=True, text=True, timeout=60)
    return [line for line in r.stdout.splitlines() if line.startswith("{")]


def replicas_identical(c, east, final):
    wait_for(lambda: all((east.partition(p) or (0, []))[1] == [1, 2, 3] for p in range(PARTS)),
             40, "east ISR of 3 on every partition")
    time.sleep(1)  # the followers' next fetch carries the last HW
    stop_dc(c, east)
    for p in range(PARTS):
        data = [replica_bytes(c, east, b, p) for b in (1, 2, 3)]
        dumps = [replica_dump(c, east, b, p) for b in (1, 2, 3)]
        check(len(data[0]) > 0 and data[0] == data[1] == data[2],
              "east orders-%d: the three replicas are byte-identical (%d bytes)"
              % (p, len(data[0])))
        check(len(dumps[0]) >= len(final[p]) and dumps[0] == dumps[1] == dumps[2],
              "east orders-%d: `meridian log dump` equal on all replicas (%d records)"
              % (p, len(dumps[0])))
