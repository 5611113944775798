#!/usr/bin/python3
"""Two gateways on one cluster: `meridian dev` (its embedded gateway A) plus a standalone
`meridian gateway` B. One consumer group: an instance on A consumes and commits, then an instance on
B joins the same group (a real rebalance in the cluster: both are members and split the
partitions); A's instance is deleted, B takes every partition over and continues from A's committed
offsets: every record is consumed exactly once across both (nothing committed is read again,
nothing is skipped). A's instance is unknown to B: 404/40403 with a hint. Finally B drains on
SIGTERM and exits 0.

Usage: two_gateways_test.py MERIDIAN_BINARY
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from check_lib import start_dev_and_gateway, JSN, V2, check, summary  # noqa: E402



def produce(gw, n, start):
    records = [{"value": {"n": i}} for i in range(start, start + n)]
    r = requests.post(gw + "/topics/two", headers={"Content-Type": JSN},
                      data=json.dumps({"records": records}))
    return r.status_code == 200 and all(o["error_code"] is None for o in r.json()["offsets"])


def create(gw, name):
    r = requests.post(gw + "/consumers/g2", headers={"Content-Type": V2},
                      data=json.dumps({"name": name, "format": "json", "auto.offset.reset": "earliest",
                                       "auto.commit.enable": "false"}))
    if r.status_code != 200:
        return None
    base = r.json()["base_uri"]
    r = requests.post(base + "/subscription", headers={"Content-Type": V2},
                      data=json.dumps({"topics": ["two"]}))
    return base if r.status_code == 204 else None


def poll(base, timeout_ms=1000):
    r = requests.get(base + "/records?timeout=%d" % timeout_ms, headers={"Accept": JSN}, timeout=60)
    return [x["value"]["n"] for x in r.json()] if r.status_code == 200 else None


def commit(base):
    return requests.post(base + "/offsets", headers={"Content-Type": V2}).status_code == 200


def main():
    meridian = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="meridian-two-gw-")
    procs = []
    try:
        started = start_dev_and_gateway(meridian, tmp, procs, 4)
        if started is None:
            return 1
        boot, gw_a, gw_b, gwb = started
        check("produce 40 records through A", produce(gw_a, 40, 0))

        a = create(gw_a, "on-a")
        check("instance on A subscribed", a is not None)
        seen_a = []
        for _ in range(20):
            got = poll(a)
            if got is None:
                break
            seen_a += got
            if len(seen_a) >= 40:
                break
        check("A consumed all 40", sorted(seen_a) == list(range(40)), seen_a)
        check("A commits", commit(a))
        check("produce 40 more through B", produce(gw_b, 40, 40))

        b = create(gw_b, "on-b")
        check("instance on B subscribed", b is not None)
        r = requests.get(gw_b + "/consumers/g2/instances/on-a/records", headers={"Accept": JSN})
        check("A's instance is unknown to B: 404/40403 with a hint",
              r.status_code == 404 and r.json()["error_code"] == 40403
              and "another gateway" in r.json()["message"], r.text)
        # Both members poll until B has its share: a real rebalance across two gateways.
        seen_b, seen_a2 = [], []
        shared = False
        for _ in range(30):
            seen_b += poll(b, 500) or []
            seen_a2 += poll(a, 500) or []
            members = requests.get(gw_a + "/v3/clusters/meridian/consumer-groups/g2/consumers")
            data = members.json().get("data", []) if members.status_code == 200 else []
            if len(data) == 2 and all(d["assignments"] for d in data):
                shared = True
                break
        check("the group has both gateways' members, each with partitions", shared,
              members.text[:400])
        check("A commits again", commit(a))
        if seen_b:
            check("B commits", commit(b))
        r = requests.delete(a, headers={"Content-Type": V2})
        check("delete A's instance", r.status_code == 204, r.text)
        for _ in range(40):
            got = poll(b, 1000)
            if got is None:
                break
            seen_b += got
            if len(seen_a + seen_a2 + seen_b) >= 80:
                break
        everything = sorted(seen_a + seen_a2 + seen_b)
        check("B continued from the committed offsets: each of 80 records exactly once",
              everything == list(range(80)),
              "a=%s a2=%s b=%s" % (sorted(seen_a), sorted(seen_a2), sorted(seen_b)))
        check("B commits at the end", commit(b))
        r = requests.get(gw_a + "/v3/clusters/meridian/consumer-groups/g2/lag-summary")
        check("lag summary: total lag 0", r.status_code == 200 and r.json()["total_lag"] == 0, r.text)

        gwb.send_signal(signal.SIGTERM)
        try:
            rc = gwb.wait(timeout=20)
        except subprocess.TimeoutExpired:
            rc = None
        check("gateway B drains on SIGTERM and exits 0", rc == 0, open(tmp + "/b.out").read())
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary("two_gateways_test")


if __name__ == "__main__":
    sys.exit(main())
