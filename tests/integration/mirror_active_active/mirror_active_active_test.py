#!/usr/bin/python3
"""Active/active cross-DC mirroring with prefix names and loop prevention (issue 7,
docs/mirror.md "Active/active").

east and west are one-broker `meridian dev` DCs; link east-to-west (in west) and link
west-to-east (in east) both run with topic.prefix.enable=true. Both DCs write `orders`.
Each DC must end with its own `orders` (only its own records) plus `<other>.orders` holding
exactly the other's records at the same offsets, and no topic may travel back
(`east.west.orders`, `west.east.orders`). A third, identity-named link west -> east for
`ledger` checks the second loop rule: east's `ledger` is a mirror of west, so the prefix link
east-to-west must not copy it back to west as `east.ledger`."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mirror_dr"))
from mirror_lib import DEV_PORT, SEED, Cluster, produce, read_all, wait_for  # noqa: E402

from kafka import KafkaConsumer  # noqa: E402

PARTS = 3


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what, flush=True)


def topics(bootstrap):
    c = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        return {t for t in c.topics() if not t.startswith("__")}
    finally:
        c.close()


def caught_up(c, admin, link, topic, expect_records):
    m = c.link_mirrors(admin, link).get(topic)
    return bool(m and m["mirror_lags"] and len(m["mirror_lags"]) == PARTS and
                sum(p["mirrored_offset"] for p in m["mirror_lags"]) == expect_records and
                all(p["lag_records"] == 0 for p in m["mirror_lags"]))


def main():
    meridian, proxy = sys.argv[1], sys.argv[2]
    c = Cluster(meridian, proxy, netns=True)
    ok = False
    try:
        c.start_wan_proxy({"east": [DEV_PORT], "west": [DEV_PORT]})  # netns mode only
        east = c.start_dev("east")
        west = c.start_dev("west")
        prefix = ["topic.prefix.enable=true"]
        e2w = c.start_link("east-to-west", east, west,
                           prefix + ["source.cluster.name=east", "target.cluster.name=west"])
        w2e = c.start_link("west-to-east", west, east,
                           prefix + ["source.cluster.name=west", "target.cluster.name=east"])
        ident = c.start_link("ledger-west-to-east", west, east,
                             ["source.cluster.name=west", "target.cluster.name=east",
                              "topics.include=ledger"])
        acked = {"east": [], "west": []}

        def write(dc, bootstrap, n, tag):
            acked[dc] += produce(bootstrap, "orders", n, tag, partitions=PARTS)
        # Both DCs write the same topic name at the same time.
        threads = [threading.Thread(target=write, args=("east", east, 300, "east-1")),
                   threading.Thread(target=write, args=("west", west, 200, "west-1"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(len(acked["east"]) == 300 and len(acked["west"]) == 200,
              "east and west both wrote their own orders (300 + 200 acked)")
        ledger = produce(west, "ledger", 30, "ledger", partitions=PARTS)
        write("east", east, 90, "east-2")
        write("west", west, 60, "west-2")
        wait_for(lambda: caught_up(c, e2w, "east-to-west", "east.orders", 390), 40,
                 "west's east.orders to catch up")
        wait_for(lambda: caught_up(c, w2e, "west-to-east", "west.orders", 260), 40,
                 "east's west.orders to catch up")
        wait_for(lambda: caught_up(c, ident, "ledger-west-to-east", "ledger", 30), 40,
                 "east's identity mirror ledger to catch up")
        # Three more discovery rounds: a loop, if any, would show up now.
        time.sleep(3.5)
        te, tw = topics(east), topics(west)
        print("east topics:", sorted(te), "west topics:", sorted(tw), flush=True)
        check(te == {"orders", "west.orders", "ledger", "west.ledger"},
              "east holds orders, west.orders, ledger (identity mirror), west.ledger only")
        check(tw == {"orders", "east.orders", "ledger"},
              "west holds orders and east.orders, no east.west.orders / east.ledger (no loop)")
        check(set(c.link_mirrors(e2w, "east-to-west")) == {"east.orders"},
              "link east-to-west mirrors only east.orders (west.orders, ledger skipped)")
        check(set(c.link_mirrors(w2e, "west-to-east")) == {"west.orders", "west.ledger"},
              "link west-to-east mirrors only west.orders and west.ledger (east.orders skipped)")
        for dc, here, there in (("east", east, west), ("west", west, east)):
            other = "west" if dc == "east" else "east"
            own = read_all(here, "orders", PARTS)
            copy = read_all(there, dc + ".orders", PARTS)
            for p in range(PARTS):
                if own[p] != copy[p]:
                    raise AssertionError("%s.orders partition %d differs from %s's orders: "
                                         "%d vs %d records" % (dc, p, dc, len(copy[p]), len(own[p])))
            tags = {r[3][0][1] for recs in own.values() for r in recs}
            check(tags == {(dc + "-1").encode(), (dc + "-2").encode()},
                  "%s's orders holds only %s's records (nothing came back from %s)"
                  % (dc, dc, other))
            for part, offset, key, _ in acked[dc]:
                assert own[part][offset][1] == key, (dc, part, offset)
            keys = [r[1] for recs in copy.values() for r in recs]
            check(len(keys) == len(set(keys)) == len(acked[dc]),
                  "%s.orders in %s: exactly %s's %d records, same offsets, keys, values, "
                  "headers, timestamps" % (dc, other, dc, len(acked[dc])))
        got = read_all(east, "ledger", PARTS)
        check(sorted(r[1] for recs in got.values() for r in recs) ==
              sorted(k for _, _, k, _ in ledger), "identity mirror ledger complete in east")
        ok = True
        print("PASS mirror_active_active_test", flush=True)
    finally:
        if not ok:
            print("FAILED with seed %d; logs in %s" % (SEED, c.tmp), flush=True)
            for name in ("link-east-to-west", "link-west-to-east", "west", "east"):
                print("--- %s stderr ---\n%s" % (name, c.tail(name)), flush=True)
        c.close(keep=not ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
