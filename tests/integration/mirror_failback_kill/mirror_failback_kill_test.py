#!/usr/bin/python3
"""Broker SIGKILLs DURING failback (issue 7, docs/mirror.md "East returns").

Set-up as mirror_failback_rf3 (zk_dcs.py: one ZooKeeper, three `meridian broker` per DC, RF=3,
min.insync.replicas=2) with a `meridian mirror run` link east -> west:
1. east takes acks=all writes, the link catches up; east is destroyed (3 brokers SIGKILLed);
2. failover: west's `orders` is writable and takes a few thousand writes;
3. east returns and acknowledges a divergent suffix on all three replicas;
4. failback is started and, while it runs, east's leader of orders-0 (the old primary, whose
   suffix is being saved and cut) is SIGKILLed after a random delay; a failed failback is
   retried. A random moment later, before the reverse mirror has caught up, west's leader of
   orders-1 (the new primary, the reverse link's source) is SIGKILLed too, so the re-sync runs
   against a west electing a new leader; both are restarted a few seconds later;
5. once the reverse mirror caught up: east's `orders` == west's record for record, every
   acknowledged record of both periods exactly once at its offset, every acknowledged divergent
   record in `orders.recovered` and nowhere else;
6. promote swaps the roles back, east takes writes, west mirrors them: the final primary holds
   every acknowledged record of the three periods exactly once at its offset, and east's
   three replicas of each partition end byte-identical (segment bytes and `meridian log dump`,
   failback_lib.replicas_identical, as in mirror_failback_rf3).
The link's /metrics shows the errors the kills caused (meridian_mirror_errors_total) and lag in
bytes. Bounded: well under 2 minutes."""
import os
import random
import re
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
for d in ("mirror_dr", "mirror_broker_kill", "mirror_failback_rf3"):
    sys.path.insert(0, os.path.join(HERE, "..", d))
from mirror_lib import SEED, Cluster, read_all, wait_for  # noqa: E402
from zk_dcs import PARTS, TOPIC, check, start_two_dcs  # noqa: E402
from failback_lib import (LINK, Writes, action, caught_up, ends_of,  # noqa: E402
                          replicas_identical, try_action)


def metrics(c):
    """{(name, frozenset(labels)): value} of the link's /metrics."""
    with open(os.path.join(c.tmp, "link-%s.out" % LINK)) as f:
        base = re.search(r"metrics (http://[0-9.:]+)", f.read()).group(1)
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if m:
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def series(samples, name, **match):
    return {dict(k[1]).get("kind") or dict(k[1]).get("partition"): v
            for k, v in samples.items() if k[0] == name and
            all((key, str(val)) in k[1] for key, val in match.items())}


def failback_under_kill(c, east, west):
    """Starts failback, SIGKILLs east's leader of orders-0 during it (retrying a failed
    failback), then west's leader of orders-1, so the reverse mirror starts (re-syncs) while
    west elects a new leader; restarts both."""
    victim_e, victim_w = east.leader(0), west.leader(1)
    rng = random.Random(SEED)  # kafka-python draws from `random` too
    delay, delay_w = rng.uniform(0.05, 0.8), rng.uniform(0.2, 1.5)
    result = {}
    t = threading.Thread(target=lambda: result.update(
        first=try_action(c, "reverse-and-start-mirror")))
    started = time.time()
    t.start()
    time.sleep(delay)
    east.kill(victim_e)
    print("SIGKILLed east broker %d (old primary, leader of orders-0) %.2f s into failback"
          % (victim_e, delay), flush=True)
    time.sleep(delay_w)
    resyncing = t.is_alive() or not caught_up(c, "reverse", {})
    west.kill(victim_w)
    print("SIGKILLed west broker %d (new primary, leader of orders-1) %.2f s into failback, %s"
          % (victim_w, delay + delay_w, "before the reverse mirror caught up" if resyncing
             else "after the reverse mirror caught up"), flush=True)
    t.join(timeout=90)
    check(not t.is_alive(), "failback answered within 90 s of the kill")
    status, out = result["first"]
    attempts = 1
    while status != 200 or out.get("error_message") is not None:
        print("failback attempt %d: HTTP %d %s; retrying" % (attempts, status, out), flush=True)
        check(attempts < 5 and time.time() - started < 60, "failback retried at most 5 times")
        time.sleep(1)
        attempts += 1
        status, out = try_action(c, "reverse-and-start-mirror")
    check(True, "failback done after %d attempt(s), %.1f s" % (attempts, time.time() - started))
    check(resyncing, "west broker killed before the reverse mirror caught up")
    time.sleep(3)
    east.start(victim_e)
    west.start(victim_w)
    return victim_e, victim_w


def same_logs(east, west, periods):
    a, b = read_all(east.bootstrap(), TOPIC, PARTS), read_all(west.bootstrap(), TOPIC, PARTS)
    for p in range(PARTS):
        if a[p] != b[p]:
            diff = [(x, y) for x, y in zip(a[p], b[p]) if x != y][:3]
            raise AssertionError("orders-%d: east %d records, west %d; first diffs %s"
                                 % (p, len(a[p]), len(b[p]), diff))
        offsets = [r[0] for r in a[p]]
        check(offsets == list(range(offsets[0], offsets[0] + len(offsets))),
              "east orders-%d == west orders-%d record for record (%d records), no gap"
              % (p, p, len(a[p])))
    keys = [r[1] for recs in a.values() for r in recs]
    check(len(keys) == len(set(keys)), "no duplicate in east (%d records)" % len(keys))
    acked = [x for w in periods for x in w.acked]
    for part, offset, key, value in acked:
        assert a[part][offset - a[part][0][0]][1:3] == (key, value), (part, offset, key)
    check(True, "all %d acknowledged records of %s exactly once at their offsets"
          % (len(acked), "+".join(w.tag for w in periods)))
    return a


def scenario(c, east, west):
    first, in_west, divergent, more = (Writes("east-1"), Writes("west"), Writes("divergent"),
                                       Writes("east-2"))
    wait_for(lambda: first.send(east.bootstrap(), 400, 200), 30, "east writes")
    c.admin = c.start_link(LINK, east.bootstrap(), west.bootstrap(),
                           ["replication.factor=3", "source.cluster.name=east",
                            "target.cluster.name=west", "topics.include=orders"])
    wait_for(lambda: caught_up(c, "forward", ends_of([first])), 60, "the mirror to catch up")
    for i in (1, 2, 3):
        east.kill(i)
    print("east destroyed (3 brokers SIGKILLed)", flush=True)
    out = action(c, "failover")
    check(out["records_not_copied"] == 0, "failover after catching up: nothing lost")
    wait_for(lambda: in_west.send(west.bootstrap(), 4000, 300), 60, "west writes")
    check(True, "west acknowledged %d records after the failover" % len(in_west.acked))

    for i in (1, 2, 3):
        east.start(i)
    wait_for(east.brokers_up, 60, "east brokers back")
    wait_for(lambda: divergent.send(east.bootstrap(), 600, 300), 60,
             "east (the old primary) to acknowledge a divergent suffix")
    wait_for(east.full_isr, 40, "the divergent suffix on all three east replicas")
    check(True, "east acknowledged %d divergent records" % len(divergent.acked))

    failback_under_kill(c, east, west)
    wait_for(lambda: caught_up(c, "reverse", ends_of([first, in_west])), 60,
             "the reverse mirror to catch up after the kills")
    wait_for(lambda: east.full_isr() and west.full_isr(), 40, "both DCs' brokers in the ISR")
    same_logs(east, west, [first, in_west])
    recovered = read_all(east.bootstrap(), TOPIC + ".recovered", PARTS)
    saved = [r[1] for recs in recovered.values() for r in recs]
    check(divergent.keys() <= set(saved) and all(k.startswith(b"divergent-") for k in saved),
          "the %d acknowledged divergent records are in orders.recovered (%d saved, %d distinct)"
          % (len(divergent.acked), len(saved), len(set(saved))))

    samples = metrics(c)
    errors = series(samples, "meridian_mirror_errors_total", link=LINK)
    check(len(errors) >= 9 and sum(errors.values()) > 0,
          "meridian_mirror_errors_total per kind on /metrics, the kills counted: %s"
          % {k: v for k, v in errors.items() if v})

    action(c, "promote")
    wait_for(lambda: more.send(east.bootstrap(), 200), 30, "east writes after the switch back")
    wait_for(lambda: caught_up(c, "forward", ends_of([more])), 60, "forward mirror again")

    def lag_zero():
        s = metrics(c)
        lag = [series(s, "meridian_mirror_lag_%s" % u, link=LINK, topic=TOPIC)
               for u in ("records", "bytes")]
        return (sorted(lag[1]) == [str(p) for p in range(PARTS)] and
                not any(lag[0].values()) and not any(lag[1].values()) and lag)
    lag = wait_for(lag_zero, 10, "lag series of the forward mirror at 0")
    check(True, "forward mirror again: meridian_mirror_lag_records / _bytes per partition 0: %s"
          % lag)
    final = same_logs(east, west, [first, in_west, more])
    keys = set(r[1] for recs in final.values() for r in recs)
    check(set(saved).isdisjoint(keys), "divergent records only in orders.recovered")
    # The cut of east's suffix under kills left no replica with different bytes.
    replicas_identical(c, east, final)


def main():
    meridian, proxy, src = sys.argv[1], sys.argv[2], sys.argv[3]
    c = Cluster(meridian, proxy, netns=True)
    ok = False
    t0 = time.time()
    try:
        east, west = start_two_dcs(c, src)
        scenario(c, east, west)
        ok = True
        print("PASS mirror_failback_kill_test in %.1f s (seed %d)" % (time.time() - t0, SEED),
              flush=True)
    finally:
        if not ok:
            print("FAILED with seed %d after %.1f s; logs in %s"
                  % (SEED, time.time() - t0, c.tmp), flush=True)
            print("--- link stderr ---\n%s" % c.tail("link-" + LINK, 60), flush=True)
        c.close(keep=not ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
