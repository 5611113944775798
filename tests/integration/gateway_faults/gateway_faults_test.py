#!/usr/bin/python3
"""Gateway robustness against a live cluster (`meridian dev`, its gateway A) and a standalone
`meridian gateway` B with a short read timeout and a 1 MB body limit:

- slowloris: clients dribbling headers byte by byte are cut at the read timeout while other
  clients keep being served promptly;
- header floods (too many headers, one huge header): 431 with a Confluent error body or a clean
  close, and the server keeps serving;
- oversize bodies (10 MB by Content-Length, and chunked without a length): 413 with a Confluent
  error body;
- B is SIGKILLed while a consumer instance on it is in a long poll: the client gets a connection
  error; A answers the instance's URL with 404/40403 and a hint; a new instance of the same group
  on A resumes from the committed offset: every record after it exactly once, nothing skipped.

Usage: gateway_faults_test.py MERIDIAN_BINARY
"""
import json
import random
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from check_lib import start_dev_and_gateway, BIN, JSN, V2, check, summary  # noqa: E402

READ_TIMEOUT_MS = 1500
SEED = random.randrange(1 << 30)
random.seed(SEED)


def host_port(url):
    h, p = url.rsplit("/", 1)[-1].split(":")
    return h, int(p)


def raw(url, data, timeout=5.0):
    """Sends raw bytes on a fresh connection; returns (status or None, body text)."""
    s = socket.create_connection(host_port(url), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may answer and close before taking everything
        got = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
        except OSError:
            pass
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.1 (\d+)", got)
    body = got.split(b"\r\n\r\n", 1)[1].decode(errors="replace") if b"\r\n\r\n" in got else ""
    return (int(m.group(1)) if m else None), body


def confluent_error(body, code):
    try:
        j = json.loads(body)
    except ValueError:
        return False
    return j.get("error_code") == code and isinstance(j.get("message"), str)


def serving(gw):
    t0 = time.monotonic()
    r = requests.get(gw + "/healthz", timeout=5)
    return r.status_code == 200 and time.monotonic() - t0 < 1.0


def slowloris(gw):
    """Five clients dribble one header byte every 100 ms; all are cut near the read timeout."""
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-Slow-%d: %s\r\n" % (i, b"z" * 20) for i in range(40)) + b"\r\n"
    cut_after = []

    def dribble():
        s = socket.create_connection(host_port(gw), timeout=10)
        t0 = time.monotonic()
        try:
            for i in range(len(req)):
                s.sendall(req[i:i + 1])
                time.sleep(0.1)
                s.setblocking(False)
                try:
                    if s.recv(1) == b"":
                        break  # orderly close by the server
                except BlockingIOError:
                    pass
                finally:
                    s.setblocking(True)
                if time.monotonic() - t0 > 8:
                    return
        except OSError:
            pass  # reset by the server
        cut_after.append(time.monotonic() - t0)
        s.close()

    threads = [threading.Thread(target=dribble) for _ in range(5)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    served = all(serving(gw) for _ in range(20))
    for t in threads:
        t.join()
    check("slowloris: other clients served promptly meanwhile", served)
    check("slowloris: all 5 dribbling clients cut", len(cut_after) == 5, cut_after)
    check("slowloris: cut within read timeout + 1.5 s",
          cut_after and max(cut_after) < READ_TIMEOUT_MS / 1000 + 1.5, cut_after)


def header_floods(gw):
    many = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-Flood-%d: %s\r\n" % (i, b"a" * 30) for i in range(5000)) + b"\r\n"
    status, body = raw(gw, many)
    check("5000 headers: 431 with a Confluent body, or a clean close",
          (status == 431 and confluent_error(body, 431)) or status is None, (status, body))
    huge = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"h" * 200000 + b"\r\n\r\n"
    status, body = raw(gw, huge)
    check("one 200 KB header: 431 with a Confluent body, or a clean close",
          (status == 431 and confluent_error(body, 431)) or status is None, (status, body))
    check("still serving after header floods", serving(gw))


def oversize(gw):
    big = json.dumps({"records": [{"value": "QUFB" * (10 * 1024 * 1024 // 4)}]}).encode()
    head = b"POST /topics/faults HTTP/1.1\r\nHost: x\r\nContent-Type: " + BIN.encode()
    status, body = raw(gw, head + b"\r\nContent-Length: %d\r\n\r\n" % len(big) + big, timeout=10)
    check("10 MB body: 413 with a Confluent error body", status == 413 and
          confluent_error(body, 413), (status, body[:200]))
    chunks = b"".join(b"%x\r\n%s\r\n" % (65536, big[i:i + 65536])
                      for i in range(0, 2 * 1024 * 1024, 65536))
    status, body = raw(gw, head + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks, timeout=10)
    check("2 MB chunked body without a length: 413 with a Confluent error body",
          status == 413 and confluent_error(body, 413), (status, body[:200]))
    check("still serving after oversize bodies", serving(gw))


def produce(gw, start, n):
    records = [{"value": {"n": i}} for i in range(start, start + n)]
    r = requests.post(gw + "/topics/faults", headers={"Content-Type": JSN},
                      data=json.dumps({"records": records}), timeout=30)
    return r.status_code == 200 and all(o["error_code"] is None for o in r.json()["offsets"])


def create(gw, name):
    r = requests.post(gw + "/consumers/gf", headers={"Content-Type": V2}, timeout=30,
                      data=json.dumps({"name": name, "format": "json", "auto.offset.reset": "earliest",
                                       "auto.commit.enable": "false"}))
    if r.status_code != 200:
        return None
    base = r.json()["base_uri"]
    r = requests.post(base + "/subscription", headers={"Content-Type": V2}, timeout=30,
                      data=json.dumps({"topics": ["faults"]}))
    return base if r.status_code == 204 else None


def poll(base, timeout_ms=1000):
    r = requests.get(base + "/records?timeout=%d" % timeout_ms, headers={"Accept": JSN}, timeout=60)
    return [x["value"]["n"] for x in r.json()] if r.status_code == 200 else None


def kill_mid_long_poll(gw_a, gwb):
    gw_b = gwb["url"]
    check("produce 30 records", produce(gw_a, 0, 30))
    b = create(gw_b, "on-b")
    check("instance on B subscribed", b is not None)
    if b is None:
        return
    seen = []
    for _ in range(30):
        seen += poll(b) or []
        if len(seen) >= 30:
            break
    check("B consumed 0..29", sorted(seen) == list(range(30)), seen)
    # Commit only 0..19 (kafka-rest semantics: the offset is the last record consumed, the
    # committed position is 20); 20..29 were fetched but not committed, so they must be
    # delivered again after the crash.
    r = requests.post(b + "/offsets", headers={"Content-Type": V2}, timeout=30,
                      data=json.dumps({"offsets": [{"topic": "faults", "partition": 0, "offset": 19}]}))
    check("B commits 0..19", r.status_code == 200, r.text)
    outcome = {}

    def long_poll():
        try:
            r = requests.get(b + "/records?timeout=20000", headers={"Accept": JSN}, timeout=30)
            outcome["status"] = r.status_code
        except requests.exceptions.ConnectionError as e:
            outcome["error"] = str(e)

    t = threading.Thread(target=long_poll)
    t.start()
    time.sleep(1.0)  # the poll is parked in the gateway, waiting for records
    gwb["proc"].kill()
    gwb["proc"].wait()
    t.join(timeout=30)
    check("long-polling client gets a connection error", "error" in outcome, outcome)
    check("produce 30..49 after the crash", produce(gw_a, 30, 20))
    path = b.split("://", 1)[1].split("/", 1)[1]
    r = requests.get(gw_a + "/" + path + "/records", headers={"Accept": JSN}, timeout=30)
    ok = r.status_code == 404 and r.json().get("error_code") == 40403
    check("A answers B's instance URL with 404/40403 and a hint",
          ok and "another gateway" in r.json().get("message", ""), r.text)
    a = create(gw_a, "on-a")
    check("new instance of the group on A", a is not None)
    if a is None:
        return
    got = []
    # B's dead member leaves the group when its session times out; then A gets the partition.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(got) < 30:
        got += poll(a, 1000) or []
    check("A resumes at the committed offset: 20..49 exactly once, nothing skipped",
          sorted(got) == list(range(20, 50)) and len(set(got)) == len(got), sorted(got))


def main():
    meridian = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="meridian-gw-faults-")
    procs = []
    try:
        started = start_dev_and_gateway(meridian, tmp, procs, 1,
                                        "read.timeout.ms=%d" % READ_TIMEOUT_MS, "idle.timeout.ms=5000",
                                        "body.limit.bytes=1048576", "header.limit.bytes=16384")
        if started is None:
            return 1
        boot, gw_a, gw_b, gwb = started
        slowloris(gw_b)
        header_floods(gw_b)
        oversize(gw_b)
        kill_mid_long_poll(gw_a, {"url": gw_b, "proc": gwb})
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary("gateway_faults_test", seed=SEED)


if __name__ == "__main__":
    sys.exit(main())
