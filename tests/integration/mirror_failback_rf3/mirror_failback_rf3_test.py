#!/usr/bin/python3
"""Failback on replicated partitions (issue 7, docs/mirror.md "East returns").

east and west are three `meridian broker` processes each on one real ZooKeeper (chroots /east,
/west), RF=3, min.insync.replicas=2; a `meridian mirror run` link copies east's `orders` to west.
1. east takes acks=all writes, the link catches up; east is destroyed (all brokers SIGKILLed);
2. failover: west's `orders` is writable, west takes writes;
3. east returns and (still believing it is the primary) acknowledges a divergent suffix, which
   its followers replicate (acks=all);
4. failback: the suffix goes to east's `orders.recovered`, east's `orders` is cut at the
   divergence point on the leader and - through a leader-epoch bump - on both followers, and
   west's writes are mirrored back;
5. promote swaps the roles back; east takes writes again, west mirrors them.
Every acknowledged record of every period is in the final primary exactly once at its offset,
the divergent ones only in `orders.recovered`, and east's three replicas of each partition end
byte-identical (segment bytes and `meridian log dump` records)."""
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "mirror_dr"))
sys.path.insert(0, os.path.join(HERE, "..", "mirror_broker_kill"))
from mirror_lib import SEED, Cluster, producer, read_all, wait_for  # noqa: E402
from mirror_broker_kill_test import PARTS, TOPIC, Dc, free_port  # noqa: E402

from kafka.errors import KafkaError  # noqa: E402

LINK = "east-to-west"


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what, flush=True)


class Writes:
    """acks=all writes of one period; keys are unique per attempt, so a retried attempt never
    looks like a duplicate. `acked` = (partition, offset, key, value) of every acknowledged one."""

    def __init__(self, tag):
        self.tag, self.attempt, self.acked = tag, 0, []

    def send(self, bootstrap, n):
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
            futures.append((key, p.send(TOPIC, key=key, value=b"value-" + key,
                                        headers=[("tag", self.tag.encode())],
                                        partition=i % PARTS)))
        failed = 0
        for key, f in futures:
            try:
                md = f.get(timeout=60)
                self.acked.append((md.partition, md.offset, key, b"value-" + key))
            except KafkaError:
                failed += 1
        p.close()
        if failed:
            print("%s attempt %d: %d of %d not acknowledged, retrying" % (
                self.tag, self.attempt, failed, n), flush=True)
        return failed == 0

    def keys(self):
        return set(k for _, _, k, _ in self.acked)


def action(c, name):
    status, body = c.api("/v3/clusters/-/links/%s/mirrors:%s" % (LINK, name),
                         {"mirror_topic_names": [TOPIC]})
    check(status == 200 and body["data"][0]["error_message"] is None,
          "%s: HTTP %d %s" % (name, status, json.dumps(body["data"][0])))
    return body["data"][0]


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


def scenario(c, east, west):
    first, in_west, divergent, more = (Writes("east-1"), Writes("west"), Writes("divergent"),
                                       Writes("east-2"))
    wait_for(lambda: first.send(east.bootstrap(), 300), 30, "east writes")
    c.admin = c.start_link(LINK, east.bootstrap(), west.bootstrap(),
                           ["replication.factor=3", "source.cluster.name=east",
                            "target.cluster.name=west", "topics.include=orders"])
    wait_for(lambda: caught_up(c, "forward", ends_of([first])), 60, "the mirror to catch up")
    check(True, "east -> west mirror caught up (%d records)" % len(first.acked))

    for i in (1, 2, 3):
        east.kill(i)
    print("east destroyed (3 brokers SIGKILLed)", flush=True)
    out = action(c, "failover")
    check(out["records_not_copied"] == 0, "failover after catching up: nothing lost")
    wait_for(lambda: in_west.send(west.bootstrap(), 90), 30, "west writes")
    check(True, "west failed over and acknowledged %d records" % len(in_west.acked))

    for i in (1, 2, 3):
        east.start(i)
    wait_for(east.brokers_up, 60, "east brokers back")
    wait_for(lambda: divergent.send(east.bootstrap(), 24), 60,
             "east (the old primary) to acknowledge a divergent suffix")
    wait_for(lambda: all((east.partition(p) or (0, []))[1] == [1, 2, 3] for p in range(PARTS)),
             40, "the divergent suffix on all three east replicas")
    check(True, "east acknowledged %d divergent records, all three replicas in sync"
          % len(divergent.acked))

    started = time.time()
    action(c, "reverse-and-start-mirror")
    wait_for(lambda: caught_up(c, "reverse", ends_of([first, in_west])), 60,
             "the reverse mirror")
    print("failback took %.1f s to a caught-up reverse mirror" % (time.time() - started),
          flush=True)
    a, b = read_all(east.bootstrap(), TOPIC, PARTS), read_all(west.bootstrap(), TOPIC, PARTS)
    for p in range(PARTS):
        check(a[p] == b[p], "after failback east orders-%d == west orders-%d (%d records)"
              % (p, p, len(b[p])))
    recovered = read_all(east.bootstrap(), TOPIC + ".recovered", PARTS)
    saved = [r[1] for recs in recovered.values() for r in recs]
    check(divergent.keys() <= set(saved) and all(k.startswith(b"divergent-") for k in saved),
          "the %d acknowledged divergent records are in orders.recovered (%d saved)"
          % (len(divergent.acked), len(saved)))

    action(c, "promote")
    wait_for(lambda: more.send(east.bootstrap(), 60), 30, "east writes after the switch back")
    wait_for(lambda: caught_up(c, "forward", ends_of([more])), 60, "forward mirror again")
    final = read_all(east.bootstrap(), TOPIC, PARTS)
    keys = [r[1] for recs in final.values() for r in recs]
    check(len(keys) == len(set(keys)), "final primary east: no duplicate (%d records)" % len(keys))
    for part, offset, key, value in first.acked + in_west.acked + more.acked:
        assert final[part][offset - final[part][0][0]][1:3] == (key, value), (part, offset, key)
    check(set(saved).isdisjoint(keys), "divergent records only in orders.recovered")
    check(True, "all %d acknowledged records of the three periods in east at their offsets"
          % len(first.acked + in_west.acked + more.acked))
    mirrored = read_all(west.bootstrap(), TOPIC, PARTS)
    check(mirrored == final, "west mirrors east record for record again")
    return final


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


def main():
    meridian, proxy, src = sys.argv[1], sys.argv[2], sys.argv[3]
    c = Cluster(meridian, proxy)
    ok = False
    t0 = time.time()
    try:
        zk_port = free_port()
        zk_log = open(os.path.join(c.tmp, "zk.err"), "w")
        c.procs["zk"] = subprocess.Popen(
            [os.path.join(src, "tests/support/start_zookeeper.sh"), str(zk_port),
             os.path.join(c.tmp, "zk")], stdout=zk_log, stderr=zk_log)

        def zk_ready():
            try:
                with socket.create_connection(("127.0.0.1", zk_port), timeout=2) as s:
                    s.sendall(b"srvr")
                    return b"Mode" in s.recv(4096)
            except OSError:
                return False
        wait_for(zk_ready, 60, "ZooKeeper")
        east, west = Dc(c, "east", zk_port), Dc(c, "west", zk_port)
        for dc in (east, west):
            for i in (1, 2, 3):
                dc.start(i)
        wait_for(east.brokers_up, 60, "three east brokers")
        wait_for(west.brokers_up, 60, "three west brokers")
        final = scenario(c, east, west)
        replicas_identical(c, east, final)
        ok = True
        print("PASS mirror_failback_rf3_test in %.1f s" % (time.time() - t0), flush=True)
    finally:
        if not ok:
            print("FAILED with seed %d; logs in %s" % (SEED, c.tmp), flush=True)
            print("--- link stderr ---\n%s" % c.tail("link-" + LINK), flush=True)
        c.close(keep=not ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
