#!/usr/bin/python3
"""Broker SIGKILL while mirroring (issue 7, docs/mirror.md).

east and west are three `meridian broker` processes each, on one real ZooKeeper (chroots
/east and /west), topics RF=3 with min.insync.replicas=2. A `meridian mirror run` link copies
east's `orders` (2 partitions) to west while a producer writes to east (acks=all). Mid-stream
the WEST leader of orders-0 is SIGKILLed (and restarted a few seconds later), then the EAST
leader of orders-0 (likewise). Afterwards west's `orders` must equal east's `orders` record for
record (same offsets, keys, values, headers, timestamps: no gap, no duplicate), and every
record east acknowledged must be there at its offset."""
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "mirror_dr"))
sys.path.insert(0, HERE)
from mirror_lib import SEED, Cluster, producer, read_all, wait_for  # noqa: E402
from zk_dcs import PARTS, TOPIC, check, start_two_dcs  # noqa: E402


class Writer:
    """acks=all producer to east in a thread; keeps (partition, offset, key) of every ack."""

    def __init__(self, bootstrap):
        self.acked, self.errors = [], []
        self.stop = threading.Event()
        # daemon: a failed check must not leave the process waiting on a retrying producer
        self.thread = threading.Thread(target=self.run, args=(bootstrap,), daemon=True)
        self.thread.start()

    def run(self, bootstrap):
        p = producer(bootstrap, retries=1000000, request_timeout_ms=30000, retry_backoff_ms=100,
                     max_in_flight_requests_per_connection=1)
        i = 0
        while not self.stop.is_set():
            key = b"k-%d" % i
            f = p.send(TOPIC, key=key, value=b"v-" + key, headers=[("i", b"%d" % i)],
                       partition=i % PARTS)
            f.add_callback(lambda md, k=key: self.acked.append((md.partition, md.offset, k)))
            f.add_errback(lambda e: self.errors.append(repr(e)))
            i += 1
            time.sleep(0.004)
        p.flush(timeout=60)
        p.close()

    def finish(self):
        self.stop.set()
        self.thread.join()


def kill_leader(dc, what, restart_after=4.0):
    leader = wait_for(lambda: (dc.partition(0) or (-1, []))[0] > 0 and dc.partition(0)[0],
                      20, dc.name + " leader of orders-0")
    dc.kill(leader)
    print("SIGKILLed %s broker %d (%s leader of orders-0)" % (dc.name, leader, what), flush=True)
    wait_for(lambda: (dc.partition(0, skip=leader) or (leader, []))[0] not in (leader, -1), 20,
             "a new %s leader of orders-0" % dc.name)
    time.sleep(restart_after)
    dc.start(leader)
    wait_for(lambda: all((dc.partition(p) or (0, []))[1] == [1, 2, 3] for p in range(PARTS)), 40,
             "%s broker %d back in the ISR" % (dc.name, leader))
    return leader


def main():
    meridian, proxy, src = sys.argv[1], sys.argv[2], sys.argv[3]
    c = Cluster(meridian, proxy, netns=True)
    ok = False
    try:
        east, west = start_two_dcs(c, src)
        writer = Writer(east.bootstrap())
        wait_for(lambda: len(writer.acked) > 50, 30, "first acks in east")
        admin = c.start_link("east-to-west", east.bootstrap(), west.bootstrap(),
                             ["replication.factor=3", "source.cluster.name=east",
                              "target.cluster.name=west", "topics.include=orders"])
        wait_for(lambda: all(p["mirrored_offset"] > 0 for p in
                             c.link_mirrors(admin, "east-to-west").get(TOPIC, {}).get(
                                 "mirror_lags", [{"mirrored_offset": 0}])), 30,
                 "mirroring under way")
        wait_for(lambda: (west.partition(0) or (0, []))[1] == [1, 2, 3], 30, "west ISR of 3")
        time.sleep(1)
        kill_leader(west, "target")
        time.sleep(1)
        kill_leader(east, "source")
        time.sleep(1)
        writer.finish()
        # A send east did not acknowledge is east's business; the mirror must copy what east
        # holds (compared below) and every acknowledged record.
        print("east producer: %d acked, %d failed sends" % (len(writer.acked), len(writer.errors)),
              flush=True)
        ends = {}
        for p in range(PARTS):
            ends[p] = 1 + max(o for part, o, _ in writer.acked if part == p)

        def caught_up():
            m = c.link_mirrors(admin, "east-to-west").get(TOPIC)
            return m and all(x["lag_records"] == 0 and x["mirrored_offset"] >= ends[x["partition"]]
                             for x in m["mirror_lags"])
        wait_for(caught_up, 60, "the mirror to catch up after the kills")
        a, b = read_all(east.bootstrap(), TOPIC, PARTS), read_all(west.bootstrap(), TOPIC, PARTS)
        for p in range(PARTS):
            if a[p] != b[p]:
                diff = [(x, y) for x, y in zip(a[p], b[p]) if x != y][:3]
                raise AssertionError("partition %d: east %d records, west %d; first diffs %s"
                                     % (p, len(a[p]), len(b[p]), diff))
            offsets = [r[0] for r in b[p]]
            assert offsets == list(range(offsets[0], offsets[0] + len(offsets))), "gap in west"
        check(True, "west orders == east orders record for record (%s records), no gap"
              % {p: len(b[p]) for p in range(PARTS)})
        for part, offset, key in writer.acked:
            assert b[part][offset - b[part][0][0]][1] == key, (part, offset, key)
        keys = [r[1] for recs in b.values() for r in recs]
        check(len(set(keys)) >= len(set(k for _, _, k in writer.acked)),
              "all %d records east acknowledged are in west at their offsets"
              % len(writer.acked))
        status = c.link_mirrors(admin, "east-to-west")[TOPIC]
        print("link status after the kills:", [(x["partition"], x["state"], x["mirrored_offset"])
                                               for x in status["mirror_lags"]], flush=True)
        ok = True
        print("PASS mirror_broker_kill_test", flush=True)
    finally:
        if not ok:
            print("FAILED with seed %d; logs in %s" % (SEED, c.tmp), flush=True)
            for name in ("link-east-to-west",):
                print("--- %s stderr ---\n%s" % (name, c.tail(name)), flush=True)
        c.close(keep=not ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
