#!/usr/bin/python3
"""Mirror link features (issue 7, docs/mirror.md): topic-config sync, bandwidth throttle,
partition-count growth.

east and west are one-broker `meridian dev` DCs.
- config sync: east's `cfg` is created with retention.ms, segment.bytes and
  min.insync.replicas set; a link with config.sync.interval.ms=1000 must give west's `cfg` the
  first two and NOT min.insync.replicas (excluded by default). Then east's configs change
  (retention.ms changed, retention.bytes added, segment.bytes removed): west must follow
  within a few poll intervals.
- growth: east's `cfg` grows from 3 to 5 partitions; the link must grow west's `cfg` and
  mirror the new partitions at the same offsets.
- throttle: a second link (throttle.bytes.per.second=200000) copies a backlog of `bulk`
  (2000 records of ~1 KB); its rate over 5 s must lie within [70 %, 110 %] of the limit, and
  the copy must be exact.
- compression: a third link (compression.type=zstd) copies uncompressed `text` batches; it
  sends far fewer bytes than it fetched and west's copy is record-for-record identical."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mirror_dr"))
from mirror_lib import DEV_PORT, SEED, Cluster, produce, read_all, wait_for  # noqa: E402

from confluent_kafka.admin import (AdminClient, ConfigResource, NewPartitions,  # noqa: E402
                                   NewTopic)

RATE = 200000


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what, flush=True)


def own_configs(bootstrap, topic):
    """The topic's own (topic-level) settings: {name: value}."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    res = ConfigResource("topic", topic)
    entries = admin.describe_configs([res])[res].result(timeout=10)
    return {n: e.value for n, e in entries.items()
            if not e.is_default and (e.source == 1 or "TOPIC" in str(e.source))}


def same(a_boot, b_boot, topic, parts):
    a, b = read_all(a_boot, topic, parts), read_all(b_boot, topic, parts)
    for p in range(parts):
        if a[p] != b[p]:
            raise AssertionError("%s-%d differs: %d vs %d records" % (topic, p, len(a[p]),
                                                                      len(b[p])))
    return a


def config_sync(c, east, west):
    admin = AdminClient({"bootstrap.servers": east})

    def create():
        fs = admin.create_topics([NewTopic("cfg", 3, 1, config={
            "retention.ms": "3600000", "segment.bytes": "1048576", "min.insync.replicas": "1"})],
            request_timeout=15)
        try:
            fs["cfg"].result(timeout=20)
            return True
        except Exception as e:  # a loaded machine: retry; an existing topic is fine
            print("create cfg: %r" % e, flush=True)
            return "TOPIC_ALREADY_EXISTS" in repr(e)
    wait_for(create, 60, "east cfg created")
    produce(east, "cfg", 30, "cfg", partitions=3)
    link = c.start_link("cfg-link", east, west, ["topics.include=cfg",
                                                  "config.sync.interval.ms=1000"])
    wanted = {"retention.ms": "3600000", "segment.bytes": "1048576"}
    wait_for(lambda: "cfg" in c.link_mirrors(link, "cfg-link"), 20, "cfg mirrored")
    wait_for(lambda: own_configs(west, "cfg") == wanted, 10, "west cfg configs synced")
    check(True, "new mirror topic gets retention.ms and segment.bytes, not min.insync.replicas")
    res = ConfigResource("topic", "cfg", set_config={
        "retention.ms": "7200000", "retention.bytes": "10485760", "min.insync.replicas": "1"})
    admin.alter_configs([res])[res].result(timeout=10)
    changed = time.time()
    wanted = {"retention.ms": "7200000", "retention.bytes": "10485760"}
    wait_for(lambda: own_configs(west, "cfg") == wanted, 10, "west cfg configs follow east")
    took = time.time() - changed
    check(took < 4.0, "source config change (set, add, remove) reached the target in %.1f s "
          "(poll interval 1 s)" % took)
    return link


def growth(c, east, west, link):
    admin = AdminClient({"bootstrap.servers": east})
    admin.create_partitions([NewPartitions("cfg", 5)])["cfg"].result(timeout=10)
    acked = produce(east, "cfg", 40, "grown", partitions=5)
    check(any(p >= 3 for p, _, _, _ in acked), "east's cfg grew to 5 partitions")

    def grown():
        m = c.link_mirrors(link, "cfg-link")["cfg"]["mirror_lags"]
        return len(m) == 5 and all(x["lag_records"] == 0 and x["mirrored_offset"] > 0 for x in m)
    wait_for(grown, 30, "west cfg to grow to 5 partitions and catch up")
    logs = same(east, west, "cfg", 5)
    for part, offset, key, _ in acked:
        assert logs[part][offset][1] == key
    check(True, "partition growth picked up: west cfg has 5 partitions, identical to east")


def throttle(c, east, west):
    produce(east, "bulk", 2000, "bulk-" + "x" * 480, partitions=3)
    link = c.start_link("bulk-link", east, west, ["topics.include=bulk",
                                                   "throttle.bytes.per.second=%d" % RATE])

    def mirrored():
        status, body = c.api_at(link, "/v3/clusters/-/links/bulk-link")
        assert status == 200, body
        return body["bytes_mirrored"]
    wait_for(lambda: mirrored() > 0, 20, "bulk mirroring to start")
    time.sleep(1.0)
    b0, t0 = mirrored(), time.time()
    time.sleep(5.0)
    b1, t1 = mirrored(), time.time()
    rate = (b1 - b0) / (t1 - t0)
    print("throttle: %.0f B/s measured over %.1f s (limit %d B/s)" % (rate, t1 - t0, RATE),
          flush=True)
    check(0.7 * RATE <= rate <= 1.1 * RATE, "throttled rate %.0f B/s within [70 %%, 110 %%] of "
          "%d B/s" % (rate, RATE))

    def done():
        m = c.link_mirrors(link, "bulk-link").get("bulk")
        return m and sum(x["mirrored_offset"] for x in m["mirror_lags"]) == 2000
    wait_for(done, 60, "the throttled backlog to finish")
    same(east, west, "bulk", 3)
    check(True, "throttled copy is exact (2000 records, same offsets)")


def compression(c, east, west):
    produce(east, "text", 600, "text-" + "abc" * 100, partitions=3)
    link = c.start_link("zstd-link", east, west, ["topics.include=text",
                                                   "compression.type=zstd"])

    def done():
        m = c.link_mirrors(link, "zstd-link").get("text")
        return m and sum(x["mirrored_offset"] for x in m["mirror_lags"]) == 600
    wait_for(done, 30, "the zstd link to copy text")
    same(east, west, "text", 3)
    status, body = c.api_at(link, "/v3/clusters/-/links/zstd-link")
    sent, fetched = body["bytes_sent"], body["bytes_mirrored"]
    print("compression: %d source bytes sent as %d bytes (zstd)" % (fetched, sent), flush=True)
    check(0 < sent < fetched / 3, "zstd link sent %d bytes for %d source bytes; records, offsets, "
          "headers and timestamps identical in west" % (sent, fetched))


def main():
    meridian, proxy = sys.argv[1], sys.argv[2]
    c = Cluster(meridian, proxy, netns=True)
    ok = False
    try:
        c.start_wan_proxy({"east": [DEV_PORT], "west": [DEV_PORT]})  # netns mode only
        east = c.start_dev("east")
        west = c.start_dev("west")
        link = config_sync(c, east, west)
        growth(c, east, west, link)
        throttle(c, east, west)
        compression(c, east, west)
        ok = True
        print("PASS mirror_link_features_test", flush=True)
    finally:
        if not ok:
            print("FAILED with seed %d; logs in %s" % (SEED, c.tmp), flush=True)
            for name in ("link-cfg-link", "link-bulk-link", "link-zstd-link", "west", "east"):
                print("--- %s stderr ---\n%s" % (name, c.tail(name)), flush=True)
        c.close(keep=not ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
