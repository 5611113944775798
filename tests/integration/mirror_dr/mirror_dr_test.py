#!/usr/bin/python3
"""Cross-DC mirror and disaster recovery, end to end (issue 7, docs/mirror.md).

netns mode (root): east and west (`meridian dev --brokers 1`, west with `--mirror-from east`)
each run in their own network namespace, the fault proxy in a third one is the only path between
them (both directions: failback's reverse mirror writes to east through it), and the test's
clients reach both DCs directly from the root namespace (tests/support/netns_dcs.py).
Loopback fallback: east advertised through the fault proxy, so the mirror (and east's clients)
reach it only through the proxy.
Cases run in order on the same pair of DCs; each asserts what it claims and the test prints
the seed on failure."""
import sys
import threading
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from mirror_lib import (DEV_PORT, SEED, Cluster, commit, committed, free_port_in,  # noqa
                        mirror_append, one_batch, produce, producer, read_all, wait_for)

from kafka.errors import KafkaError  # noqa

TOPIC = "orders"
PARTS = 3


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what, flush=True)


def same_logs(east, west, topic, parts):
    a, b = read_all(east, topic, parts), read_all(west, topic, parts)
    for p in range(parts):
        if a[p] != b[p]:
            diff = [(x, y) for x, y in zip(a[p], b[p]) if x != y][:3]
            raise AssertionError("partition %d differs: east %d records, west %d; first diffs %s"
                                 % (p, len(a[p]), len(b[p]), diff))
    return a


def steady_state(c, east, west):
    acked = produce(east, TOPIC, 600, "steady", partitions=PARTS)
    c.wait_caught_up(TOPIC)
    logs = same_logs(east, west, TOPIC, PARTS)
    total = sum(len(v) for v in logs.values())
    check(total == 600, "steady state: all 600 records in west at the same offsets, keys, "
          "values, headers, timestamps")
    for part, offset, key, value in acked:
        assert logs[part][offset][1:3] == (key, value)
    commit(east, "app-1", TOPIC, {0: 150, 1: 120, 2: 199})
    commit(east, "other", TOPIC, {0: 5})
    wait_for(lambda: committed(west, "app-1", TOPIC, PARTS) == {0: 150, 1: 120, 2: 199}, 20,
             "group offsets synced to west")
    check(committed(west, "other", TOPIC, 1) == {0: None},
          "consumer group offsets of app-.* synced to west (same offsets), others not")


def read_only(c, east, west):
    try:
        producer(west, retries=0).send(TOPIC, b"x").get(timeout=10)
        raise AssertionError("produce to a mirror topic was accepted")
    except KafkaError as e:
        check("InvalidRequest" in type(e).__name__, "produce to mirror topic rejected: %s" % e)
    produce(west, "plain", 1, "plain")
    rc, out = c.cli("promote", "plain")
    check(rc == 1 and "not a mirror topic" in out, "promote of a non-mirror topic rejected")
    # The broker side of the link, raw: fencing, gap and overlap are refused, never papered over.
    epoch = c.mirrors()[TOPIC + ":forward"]["link_epoch"]
    code, msg, end = mirror_append(west, "west", epoch, TOPIC, 0)
    check(code == 0 and end > 0, "MirrorAppend with the link's epoch: log end %d" % end)
    code, msg, _ = mirror_append(west, "west", epoch - 1, TOPIC, 0)
    check(code == 74 and "fenced" in msg, "MirrorAppend from an older link epoch fenced: " + msg)
    code, msg, _ = mirror_append(west, "rogue", epoch + 5, TOPIC, 0)
    check(code == 74, "MirrorAppend from another link fenced: " + msg)
    code, msg, after = mirror_append(west, "west", epoch, TOPIC, 0, one_batch(end + 5))
    check(code == 1 and after == end and "gap or overlap" in msg, "gap refused: " + msg)
    code, msg, after = mirror_append(west, "west", epoch, TOPIC, 0, one_batch(end - 1))
    check(code == 1 and after == end, "overlap refused, log end unchanged")
    code, msg, _ = mirror_append(west, "west", epoch, "plain", 0, one_batch(1))
    check(code == 42 and "not a mirror" in msg, "MirrorAppend to a normal topic refused: " + msg)


def wan_state(c):
    """(east reaches west's broker, west reaches east's) - netns mode: through the proxy."""
    return tuple(c.net.kafka_answers(a, c.net.host(b), DEV_PORT)
                 for a, b in (("east", "west"), ("west", "east")))


def link_cut(c, east, west):
    acked, stop = [], threading.Event()

    def run():
        p = producer(east, retries=100000, request_timeout_ms=2000, retry_backoff_ms=100)
        i = 0
        while not stop.is_set():
            key = b"cut-%d" % i
            f = p.send(TOPIC, key=key, value=b"v-" + key, partition=i % PARTS)
            f.add_callback(lambda md, k=key: acked.append((md.partition, md.offset, k)))
            i += 1
            time.sleep(0.005)
        p.flush(timeout=60)
        p.close()
    t = threading.Thread(target=run)
    t.start()
    time.sleep(1.5)
    c.proxy("cut")
    cut_at = time.time()
    if c.ns:  # the proxy is the only path between the DCs: now none, either way
        check(wan_state(c) == (False, False), "cut: neither DC reaches the other's broker")
    max_lag = 0.0
    while time.time() - cut_at < 4:
        m = c.mirrors()[TOPIC + ":forward"]
        max_lag = max([max_lag] + [p["lag_seconds"] for p in m["mirror_lags"]])
        time.sleep(0.2)
    c.proxy("heal")
    if c.ns:
        wait_for(lambda: wan_state(c) == (True, True), 5, "the DCs to reach each other")
        check(True, "healed: each DC reaches the other's broker again")
    time.sleep(2)
    stop.set()
    t.join()
    check(max_lag >= 2.0, "lag rose during the 4 s cut (max lag %.1f s)" % max_lag)
    c.wait_caught_up(TOPIC, timeout=60)
    logs = same_logs(east, west, TOPIC, PARTS)
    # same_logs raised on any difference, so west holds exactly east's records at east's offsets.
    # A key may stand twice in both: kafka-python (at-least-once) resends a request whose answer
    # it lost. What the mirror itself must not do is skip or repeat an offset.
    contiguous = all([r[0] for r in recs] == list(range(len(recs))) for recs in logs.values())
    check(contiguous, "after the cut: west has every offset once, no gap, no duplicate")
    for part, offset, key in acked:
        assert logs[part][offset][1] == key, (part, offset, key)
    check(len(acked) > 100, "after the cut: all %d acknowledged records at their offsets, "
          "lag back to 0" % len(acked))


def failover(c, east, west):
    before = read_all(west, TOPIC, PARTS)
    c.kill("east")  # east destroyed
    killed = time.time()
    lag_seconds = max(p["lag_seconds"] for p in c.mirrors()[TOPIC + ":forward"]["mirror_lags"])
    rc, out = c.cli("failover", TOPIC)
    check(rc == 0, "failover with east SIGKILLed: " + out.strip())
    acked = wait_for(lambda: _try_produce(west), 10, "west to accept writes")
    rto = time.time() - killed
    rpo_records = int(out.split("records not copied: ")[1].split(")")[0])
    print("RPO: %d records, <= %.2f s; RTO: %.2f s (kill -> first acked write in west)"
          % (rpo_records, lag_seconds, rto), flush=True)
    check(rpo_records == 0, "failover after catching up lost no record")
    after = read_all(west, TOPIC, PARTS)
    for p in range(PARTS):
        assert after[p][:len(before[p])] == before[p]
    from kafka import KafkaConsumer, TopicPartition
    resumed = KafkaConsumer(bootstrap_servers=west, group_id="app-1", enable_auto_commit=False)
    tp = TopicPartition(TOPIC, 0)
    resumed.assign([tp])
    first = wait_for(lambda: [r for b in resumed.poll(timeout_ms=200).values() for r in b], 10,
                     "a record for the resumed group")[0]
    resumed.close()
    check(first.offset == 150 and first.key == before[0][150][1],
          "west consumer of group app-1 resumes at the synced offset 150 (same record)")
    return acked


def _divergent_writes(east, sent, acked):
    """One attempt of 9 writes to the just restarted east, which may answer NOT_LEADER on some
    partition for a moment while others take the write: keys are unique per attempt and every
    sent / acknowledged key is kept. True once all 9 of the attempt were acknowledged."""
    tag = "divergent-a%d" % (len(sent) // 9)
    try:
        p = producer(east)
    except KafkaError:
        return False
    futures = []
    for i in range(9):
        key = ("%s-%d" % (tag, i)).encode()
        sent.append(key)
        futures.append((key, p.send(TOPIC, key=key, value=b"value-" + key, partition=i % PARTS)))
    ok = True
    for key, f in futures:
        try:
            f.get(timeout=60)
            acked.append(key)
        except KafkaError:
            ok = False
    p.close()
    return ok


def _try_produce(west):
    try:
        return produce(west, TOPIC, 30, "west", partitions=PARTS)
    except KafkaError:
        return None


def failback(c, east_port, proxy_port, west, west_acked):
    east = c.start_east(east_port, proxy_port)  # east returns with its data
    sent, divergent = [], []
    wait_for(lambda: _divergent_writes(east, sent, divergent), 20, "east to accept writes")
    rc, out = c.cli("failback", TOPIC)
    check(rc == 0, "failback: " + out.strip())
    wait_for(lambda: all(p["lag_records"] == 0 and p["state"] == "mirroring" for p in
                         c.mirrors()[TOPIC + ":reverse"]["mirror_lags"]), 30, "reverse mirror")
    logs = same_logs(east, west, TOPIC, PARTS)
    recovered = read_all(east, TOPIC + ".recovered", PARTS)
    saved = sorted(r[1] for p in recovered.values() for r in p)
    # One attempt: exactly its 9 records. More: every acknowledged one, each once, and nothing
    # but divergent sends (an unacknowledged send may have been appended too).
    check(saved == sorted(divergent) if len(sent) == 9 else
          set(divergent) <= set(saved) <= set(sent) and len(saved) == len(set(saved)),
          "failback: east's %d acknowledged divergent records kept in %s.recovered (%d saved, "
          "%d attempt(s))" % (len(divergent), TOPIC, len(saved), len(sent) // 9))
    for part, offset, key, _ in west_acked:
        assert logs[part][offset][1] == key
    check(True, "failback: east is an exact copy of west (west's writes at their offsets)")
    rc, out = c.cli("promote", TOPIC)
    check(rc == 0, "switch back (promote of the reverse mirror): " + out.strip())
    time.sleep(0.5)
    more = produce(east, TOPIC, 12, "east-again", partitions=PARTS)
    c.wait_caught_up(TOPIC)
    final = same_logs(east, west, TOPIC, PARTS)
    keys = [r[1] for p in final.values() for r in p]
    check(len(keys) == len(set(keys)), "final primary east: every record exactly once")
    for part, offset, key, _ in west_acked + more:
        assert final[part][offset][1] == key
    check(True, "records of both periods present in east and mirrored to west")
    try:
        producer(west, retries=0).send(TOPIC, b"x").get(timeout=10)
        raise AssertionError("west still writable after the switch back")
    except KafkaError:
        check(True, "west is read-only again (DC epoch fenced)")


def unreachable(c, west):
    admin = c.start_link("nowhere", "127.0.0.1:1", west)
    saved, c.admin = c.admin, admin

    def reported():
        status, body = c.api("/v3/clusters/-/links/nowhere")
        return status == 200 and body["state"] == "unreachable" and "127.0.0.1:1" in body["last_error"]
    wait_for(reported, 20, "unreachable source reported")
    check(True, "link to an unreachable source reported as unreachable")
    deadline = time.time() + 20  # the error counter follows the link state within a retry
    while True:
        rc, out = c.cli("status")
        shown = rc == 0 and "recent error (source_metadata" in out and "127.0.0.1:1" in out \
            and "errors: source_metadata=" in out
        if shown or time.time() > deadline:
            break
        time.sleep(0.5)
    check(shown, "`mirror status` prints the link's recent error and its error counts: " + out)
    c.admin = saved
    c.kill("link-nowhere")


def main():
    meridian, proxy = sys.argv[1], sys.argv[2]
    c = Cluster(meridian, proxy, netns=True)
    ok = False
    try:
        east_port = proxy_port = None
        if c.start_wan_proxy({"east": [DEV_PORT], "west": [DEV_PORT]}):
            east_via_proxy = c.start_east()  # direct from here, through the proxy from west
        else:
            east_port = free_port_in(23600, 23999)
            proxy_port = c.start_proxy(east_port)
            c.start_east(east_port, proxy_port)
            east_via_proxy = "127.0.0.1:%d" % proxy_port
        west = c.start_west(east_via_proxy)
        if c.ns:
            wait_for(lambda: wan_state(c) == (True, True), 10, "both DCs to answer")
            check(True, "each DC reaches the other's broker through the proxy (and only so: "
                  "netns_dcs checked there is no other route)")
        steady_state(c, east_via_proxy, west)
        read_only(c, east_via_proxy, west)
        link_cut(c, east_via_proxy, west)
        unreachable(c, west)
        west_acked = failover(c, east_via_proxy, west)
        failback(c, east_port, proxy_port, west, west_acked)
        ok = True
        print("PASS mirror_dr_test (%s mode)" % ("netns" if c.ns else "loopback"), flush=True)
    finally:
        if not ok:
            print("FAILED with seed %d; logs in %s" % (SEED, c.tmp), flush=True)
            for name in ("west", "east"):
                print("--- %s stderr ---\n%s" % (name, c.tail(name)), flush=True)
        c.close(keep=not ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
