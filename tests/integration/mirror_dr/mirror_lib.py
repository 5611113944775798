"""Helpers for the cross-DC mirror tests: processes (meridian dev, fault proxy), the mirror
admin API, and Kafka clients (kafka-python). Every process started here is SIGKILLed by
Cluster.close(); tests call it in a finally block. Cluster(..., netns=True) runs each DC in its
own network namespace with the fault proxy the only path between them
(tests/support/netns_dcs.py); without root it falls back to the loopback layout."""
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from netns_dcs import DEV_PORT, Network  # noqa: E402

SEED = int(os.environ.get("MERIDIAN_TEST_SEED", random.randrange(1 << 30)))
random.seed(SEED)


def wait_for(predicate, timeout, what, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


def free_port_in(lo, hi):
    """A currently free port of our fixed range (needed where the port must be known up front)."""
    for _ in range(50):
        port = random.randint(lo, hi)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise AssertionError("no free port in %d-%d" % (lo, hi))


class Cluster:
    def __init__(self, meridian, proxy, netns=False):
        self.meridian = os.path.abspath(meridian)  # `ip netns exec` wants no relative path
        self.proxy_bin = os.path.abspath(proxy)
        self.tmp = tempfile.mkdtemp(prefix="meridian-mirror-")
        self.procs = {}
        self.control_port = None
        # Last: a failed set-up must not leave the temp dir behind.
        try:
            self.net = Network() if netns else None
        except Exception:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        self.ns = bool(self.net and self.net.netns)

    def spawn(self, name, args, ready_regex, timeout=15, where=None):
        """Starts `args` (inside DC/namespace `where` in netns mode) and waits for ready_regex
        on its stdout."""
        out = open(os.path.join(self.tmp, name + ".out"), "w+")
        err = open(os.path.join(self.tmp, name + ".err"), "w")
        if where is not None and self.ns:
            args = self.net.argv(where, args)
        p = subprocess.Popen(args, stdout=out, stderr=err)
        self.procs[name] = p

        def ready():
            out.seek(0)
            m = re.search(ready_regex, out.read())
            if p.poll() is not None:
                raise AssertionError("%s exited early: %s" % (name, self.tail(name)))
            return m
        return wait_for(ready, timeout, name + " to start")

    def tail(self, name, n=30):
        try:
            with open(os.path.join(self.tmp, name + ".err")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def kill(self, name):
        p = self.procs.pop(name, None)
        if p and p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait()

    def close(self, keep=False):
        for name in list(self.procs):
            self.kill(name)
        if self.net:
            self.net.close()
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # --- processes -------------------------------------------------------------------------
    def start_proxy(self, target_port, delay_ms=0):
        m = self.spawn("proxy", [self.proxy_bin, "--route", "127.0.0.1:0=127.0.0.1:%d" % target_port,
                                 "--control", "127.0.0.1:0", "--delay-ms", str(delay_ms),
                                 "--seed", str(SEED)],
                       r"listening 0 (\d+)\s+control (\d+)")
        self.proxy_port, self.control_port = int(m.group(1)), int(m.group(2))
        return self.proxy_port

    def start_wan_proxy(self, ports, delay_ms=0):
        """netns mode: the fault proxy in the WAN namespace serving {dc: [broker ports]};
        no-op (returns False) in loopback mode."""
        if not self.ns:
            return False
        m = self.spawn("proxy", self.net.proxy_argv(self.proxy_bin, ports, [
            "--delay-ms", str(delay_ms), "--seed", str(SEED)]), r"control (\d+)")
        self.control_port = int(m.group(1))
        return True

    def proxy(self, command):
        if self.ns:
            conn = self.net.connect("wan", "127.0.0.1", self.control_port)
        else:
            conn = socket.create_connection(("127.0.0.1", self.control_port), timeout=5)
        with conn as s:
            s.sendall((command + "\n").encode())
            reply = s.makefile().readline().strip()
        assert reply.startswith("ok"), reply
        return reply

    def _ns_dev_args(self, name, args=()):
        """`meridian dev` args (minus --port) for DC `name` in netns mode: all addresses, port
        DEV_PORT, advertising the DC's address."""
        args = list(args)
        if "--port" in args:
            del args[args.index("--port"):args.index("--port") + 2]
        return args + ["--host", "0.0.0.0", "--port", str(DEV_PORT), "--set",
                       "advertised.listeners=PLAINTEXT://%s:%d" % (self.net.host(name), DEV_PORT)]

    def start_east(self, port=None, advertised_port=None):
        """East (`meridian dev`); loopback mode: on `port`, advertising the proxy's
        `advertised_port`. Returns the bootstrap the test's clients use."""
        if self.ns:
            args = [self.meridian, "dev", "--brokers", "1", "--gateway-port", "0",
                    "--admin-port", "0", "--dc", "east", "--data-dir",
                    os.path.join(self.tmp, "east"), "--set", "num.partitions=3"]
            self.spawn("east", self._ns_dev_args("east", args), r"bootstrap \S+:\d+",
                       where="east")
            return "%s:%d" % (self.net.host("east"), DEV_PORT)
        args = [self.meridian, "dev", "--brokers", "1", "--port", str(port), "--gateway-port", "0",
                "--admin-port", "0", "--dc", "east", "--data-dir", os.path.join(self.tmp, "east"),
                "--set", "advertised.listeners=PLAINTEXT://127.0.0.1:%d" % advertised_port,
                "--set", "num.partitions=3"]
        self.spawn("east", args, r"bootstrap 127\.0\.0\.1:\d+")
        return "127.0.0.1:%d" % port

    def start_west(self, mirror_from, topics=""):
        args = [self.meridian, "dev", "--brokers", "1", "--port", "0", "--gateway-port", "0",
                "--admin-port", "0", "--dc", "west", "--data-dir", os.path.join(self.tmp, "west"),
                "--mirror-from", mirror_from, "--mirror-admin-port", "0",
                "--mirror-groups", "app-.*"]
        if topics:
            args += ["--mirror-topics", topics]
        if self.ns:
            m = self.spawn("west", self._ns_dev_args("west", args),
                           r"bootstrap (\S+:\d+).*mirror from \S+ admin (http://\S+)",
                           where="west")
            self.admin = self.net.url("west", m.group(2))
            return "%s:%d" % (self.net.host("west"), DEV_PORT)
        m = self.spawn("west", args, r"bootstrap (127\.0\.0\.1:\d+).*mirror from \S+ admin (http://\S+)")
        self.admin = m.group(2)
        return m.group(1)

    def start_dev(self, name, extra=()):
        """A one-broker `meridian dev` DC named `name` on an OS-assigned port; returns its
        bootstrap address."""
        args = [self.meridian, "dev", "--brokers", "1", "--port", "0", "--gateway-port", "0",
                "--admin-port", "0", "--dc", name, "--data-dir", os.path.join(self.tmp, name),
                "--set", "num.partitions=3"] + list(extra)
        if self.ns:
            self.spawn(name, self._ns_dev_args(name, args), r"bootstrap \S+:\d+", where=name)
            return "%s:%d" % (self.net.host(name), DEV_PORT)
        m = self.spawn(name, args, r"bootstrap (127\.0\.0\.1:\d+)")
        return m.group(1)

    def start_link(self, name, source, target, sets=()):
        """A `meridian mirror run` process for link `name`; returns its admin URL. In netns
        mode it runs in the target's DC (its admin on that DC's address), so it reaches the
        source only through the fault proxy."""
        dc = None
        if self.ns:
            dc = [d for d in ("east", "west") if target.startswith(self.net.host(d) + ":")][0]
        host = self.net.host(dc) if dc else "127.0.0.1"
        args = [self.meridian, "mirror", "run", "--set", "link.name=" + name,
                "--set", "source.bootstrap.servers=" + source,
                "--set", "target.bootstrap.servers=" + target, "--set", "admin.port=0",
                "--set", "admin.host=" + host, "--set", "admin.listener=%s:0" % host]
        for s in sets:
            args += ["--set", s]
        m = self.spawn("link-" + name, args, r"admin (http://[0-9.:]+)", where=dc)
        return m.group(1)

    def api_at(self, admin, path):
        """GET `path` of the admin API at `admin`."""
        with urllib.request.urlopen(admin + path, timeout=30) as r:
            return r.status, json.loads(r.read())

    def link_mirrors(self, admin, link):
        """{mirror topic: status} of one link served at `admin`."""
        status, body = self.api_at(admin, "/v3/clusters/-/links/%s/mirrors" % link)
        assert status == 200, body
        return {m["mirror_topic_name"]: m for m in body["data"]}

    # --- mirror admin API -------------------------------------------------------------------
    def api(self, path, body=None):
        req = urllib.request.Request(self.admin + path, method="POST" if body is not None else "GET",
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def mirrors(self):
        status, body = self.api("/v3/clusters/-/links/west/mirrors")
        assert status == 200, body
        return {m["mirror_topic_name"] + ":" + m["direction"]: m for m in body["data"]}

    def cli(self, *args):
        r = subprocess.run([self.meridian, "mirror"] + list(args) + ["--admin", self.admin],
                           capture_output=True, text=True, timeout=180)
        return r.returncode, r.stdout + r.stderr

    def wait_caught_up(self, topic, timeout=30):
        def caught_up():
            m = self.mirrors().get(topic + ":forward")
            return m and m["state"] == "active" and m["mirror_lags"] and all(
                p["lag_records"] == 0 and p["mirrored_offset"] >= 0 and p["state"] == "mirroring"
                for p in m["mirror_lags"])
        wait_for(caught_up, timeout, topic + " mirror to catch up")


# --- Kafka clients ----------------------------------------------------------------------------
def producer(bootstrap, **kw):
    kw.setdefault("linger_ms", 2)
    return KafkaProducer(bootstrap_servers=bootstrap, acks="all", **kw)


def produce(bootstrap, topic, n, tag, partitions=None):
    """Sends n records and waits for every ack; returns [(partition, offset, key, value)]."""
    p = producer(bootstrap)
    futures = []
    for i in range(n):
        key = ("%s-%d" % (tag, i)).encode()
        futures.append((key, p.send(topic, key=key, value=b"value-" + key,
                                    headers=[("tag", tag.encode()), ("i", str(i).encode())],
                                    partition=None if partitions is None else i % partitions)))
    acked = []
    for key, f in futures:
        md = f.get(timeout=60)
        acked.append((md.partition, md.offset, key, b"value-" + key))
    p.close()
    return acked


def read_all(bootstrap, topic, partitions, timeout=20):
    """Every record of every partition up to its current end:
    {partition: [(offset, key, value, headers, timestamp)]}."""
    out = {}
    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    for part in range(partitions):
        tp = TopicPartition(topic, part)
        c.assign([tp])
        end = c.end_offsets([tp])[tp]
        c.seek(tp, 0)
        records, deadline = [], time.time() + timeout
        while c.position(tp) < end and time.time() < deadline:
            for batch in c.poll(timeout_ms=200).values():
                records += [(r.offset, r.key, r.value, tuple(r.headers), r.timestamp)
                            for r in batch]
        out[part] = records
    c.close()
    return out


# --- raw MirrorAppend (key 1000, v0; cluster/protocol/messages/mirror.h) ---------------------
def _kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def one_batch(base_offset, key=b"k", value=b"v"):
    """A RecordBatch v2 holding one record, its header's base offset set to `base_offset`."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0,
                                  producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                  batch_size=1 << 20)
    b.append(0, timestamp=int(time.time() * 1000), key=key, value=value, headers=[])
    data = bytearray(b.build())
    data[0:8] = struct.pack(">q", base_offset)  # outside the CRC
    return bytes(data)


def mirror_append(bootstrap, link, epoch, topic, partition, records=None):
    """Sends one MirrorAppend to `bootstrap` (the partition's leader in a one-broker DC).
    Returns (error_code, error_message, log_end_offset)."""
    body = (_kstr(link) + struct.pack(">i", epoch) + _kstr(topic) + struct.pack(">i", partition)
            + struct.pack(">qqi", -1, -1, 10000)
            + (struct.pack(">i", -1) if records is None else struct.pack(">i", len(records)) + records))
    header = struct.pack(">hhi", 1000, 0, 7) + _kstr("mirror-test")
    frame = header + body
    host, port = bootstrap.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        f = s.makefile("rb")
        size = struct.unpack(">i", f.read(4))[0]
        payload = f.read(size)
    corr, code, mlen = struct.unpack(">ihh", payload[:8])
    assert corr == 7
    pos = 8
    message = None
    if mlen >= 0:
        message = payload[pos:pos + mlen].decode()
        pos += mlen
    log_end = struct.unpack(">q", payload[pos:pos + 8])[0]
    return code, message, log_end


def commit(bootstrap, group, topic, offsets):
    """Commits {partition: offset} for `group` (a standalone, generation-less commit)."""
    from kafka.structs import OffsetAndMetadata
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    c.assign([TopicPartition(topic, p) for p in offsets])
    c.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "") for p, o in offsets.items()})
    c.close()


def committed(bootstrap, group, topic, partitions):
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    out = {p: c.committed(TopicPartition(topic, p)) for p in range(partitions)}
    c.close()
    return out
