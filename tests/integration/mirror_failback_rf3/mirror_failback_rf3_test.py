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
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "mirror_dr"))
sys.path.insert(0, os.path.join(HERE, "..", "mirror_broker_kill"))
sys.path.insert(0, HERE)
from mirror_lib import SEED, Cluster, read_all, wait_for  # noqa: E402
from zk_dcs import PARTS, TOPIC, check, start_two_dcs  # noqa: E402
from failback_lib import (LINK, Writes, action, caught_up, ends_of,  # noqa: E402
                          replicas_identical)


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


def main():
    meridian, proxy, src = sys.argv[1], sys.argv[2], sys.argv[3]
    c = Cluster(meridian, proxy, netns=True)
    ok = False
    t0 = time.time()
    try:
        east, west = start_two_dcs(c, src)
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
