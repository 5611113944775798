#!/usr/bin/python3
"""v3 streaming produce against `meridian dev`: Transfer-Encoding: chunked records in, one
delivery report per record out, as each is acknowledged.

- Python http.client sends records in chunks over time and reads each report before it sends
  the next record (so the gateway does not buffer the body); a bad record fails alone.
- curl reads records from a slow pipe (`--data-binary @-` with chunked encoding).
- Every acknowledged record is read back at its reported offset (stateless records GET).

Usage: stream_live_test.py MERIDIAN_BINARY
"""
import base64
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from check_lib import check, summary, wait_for  # noqa: E402



def record(text):
    return json.dumps({"value": {"type": "BINARY", "data": base64.b64encode(text.encode()).decode()}})


def send_chunk(conn, data):
    data = data.encode()
    conn.send(b"%x\r\n%s\r\n" % (len(data), data))


def http_client_stream(gw):
    host, port = gw.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/v3/clusters/meridian/topics/streamed/records")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    send_chunk(conn, record("r0"))
    resp = conn.getresponse()
    check("stream answers 200 chunked", resp.status == 200 and
          resp.getheader("Transfer-Encoding") == "chunked", resp.getheaders())
    reports = []
    first = json.loads(resp.readline())
    reports.append(first)
    check("report 0 arrives before the client sends anything more",
          first.get("error_code") == 200, first)
    # Record 1 split over two chunks sent 300 ms apart; its report only after the second part.
    r1 = record("r1")
    send_chunk(conn, r1[:10])
    time.sleep(0.3)
    send_chunk(conn, r1[10:] + "\n" + '{"value":{"type":"BINARY","data":"not base64!"}}')
    reports.append(json.loads(resp.readline()))
    reports.append(json.loads(resp.readline()))
    check("report 1 after its second half", reports[1].get("error_code") == 200, reports[1])
    check("a bad record fails alone (400)", reports[2].get("error_code") == 400, reports[2])
    for i in range(2, 12):
        send_chunk(conn, record("r%d" % i))
        time.sleep(0.02)
    conn.send(b"0\r\n\r\n")
    rest = resp.read().decode().splitlines()
    reports += [json.loads(line) for line in rest if line.strip()]
    check("13 reports in total", len(reports) == 13, len(reports))
    good = [r for r in reports if r.get("error_code") == 200]
    check("12 records acknowledged", len(good) == 12, reports)
    conn.close()
    return good, ["r0", "r1"] + ["r%d" % i for i in range(2, 12)]


def curl_stream(gw):
    # Records trickle out of a slow pipe; curl sends them chunked as they come.
    script = "for i in 0 1 2 3 4; do echo '%s' | sed \"s/IDX/$i/\"; sleep 0.2; done" % json.dumps(
        {"value": {"type": "STRING", "data": "curl-IDX"}})
    pipe = subprocess.Popen(["sh", "-c", script], stdout=subprocess.PIPE)
    out = subprocess.run(["curl", "-sS", "-N", "--max-time", "30", "-H", "Transfer-Encoding: chunked",
                          "-H", "Content-Type: application/json", "--data-binary", "@-",
                          gw + "/v3/clusters/meridian/topics/streamed/records"],
                         stdin=pipe.stdout, capture_output=True, text=True)
    pipe.wait()
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    check("curl from a slow pipe: 5 reports, all 200",
          len(lines) == 5 and all(r.get("error_code") == 200 for r in lines), out.stdout + out.stderr)
    return lines, ["curl-%d" % i for i in range(5)]


def main():
    meridian = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="meridian-stream-")
    dev = None
    try:
        dev = subprocess.Popen([meridian, "dev", "--brokers", "1", "--port", "0", "--gateway-port", "0",
                                "--admin-port", "0", "--data-dir", tmp + "/data",
                                "--set", "num.partitions=2"],
                               stdout=open(tmp + "/dev.out", "w"), stderr=open(tmp + "/dev.err", "w"))
        m = wait_for(tmp + "/dev.out", r"gateway (http://[0-9.]+:[0-9]+)", dev)
        check("meridian dev up", m is not None)
        if m is None:
            return 1
        gw = m.group(1)
        good, values = http_client_stream(gw)
        curl_good, curl_values = curl_stream(gw)
        # Every acknowledged record is in the log at its reported partition and offset.
        expected = {}
        for rep, value in zip(good + curl_good, values + curl_values):
            expected[(rep["partition_id"], rep["offset"])] = value
        found = {}
        for p in (0, 1):
            r = requests.get(gw + "/topics/streamed/partitions/%d/records?offset=0&timeout=2000" % p,
                             headers={"Accept": "application/vnd.kafka.binary.v2+json"}, timeout=30)
            for x in r.json() if r.status_code == 200 else []:
                found[(p, x["offset"])] = base64.b64decode(x["value"]).decode()
        check("every acknowledged record is at its reported offset",
              all(found.get(k) == v for k, v in expected.items()) and len(expected) == 17,
              (expected, found))
    finally:
        if dev and dev.poll() is None:
            dev.kill()
            dev.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary("stream_live_test")


if __name__ == "__main__":
    sys.exit(main())
