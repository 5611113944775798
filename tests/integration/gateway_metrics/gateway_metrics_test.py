"""Gateway observability (issue 8 metrics, issue 6 health): `meridian gateway` serves /metrics,
/livez, /readyz(+?verbose), /healthz and /v1/status/ready on its admin.listener, and
`meridian dev` serves its embedded gateway's series on its own admin port with the `datacenter`
label. REST requests raise meridian_http_requests_total{route=<template>, method, status} by
exactly the number sent, 404 and 415 are counted with their status, the latency histogram's
buckets move, meridian_gateway_consumer_instances follows instance create/delete, and the admin
port's readiness is 503 while a SIGTERM drain is in progress (liveness stays 200).
Usage: gateway_metrics_test.py MERIDIAN SOURCE_DIR"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from check_lib import expect as check, failures, summary  # noqa: E402
sys.path.insert(0, os.path.join(sys.argv[2], 'tests', 'integration', 'metrics_scrape'))
from meridian_proc import DevProcess, http_get, parse_exposition, total  # noqa: E402

from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

TOPIC = 'gm-topic'
PRODUCES = 7
JSON_V2 = 'application/vnd.kafka.json.v2+json'
REQ = 'meridian_http_requests_total'
DUR = 'meridian_http_request_duration_seconds'

def request(method, url, body=None, content_type=None, timeout=10.0):
    """(status, body); HTTP errors are returned, not raised."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method)
    if content_type:
        req.add_header('Content-Type', content_type)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(admin):
    status, body = http_get(admin + '/metrics')
    if status != 200:
        raise RuntimeError('%s/metrics returned %d' % (admin, status))
    return parse_exposition(body)


def buckets(samples, **match):
    """{le: cumulative count} of the duration histogram's series matching `match`."""
    out = {}
    for labels, v in samples.get(DUR + '_bucket', []):
        if all(labels.get(k) == str(x) for k, x in match.items()):
            out[labels['le']] = out.get(labels['le'], 0) + v
    return out


def wait_until(fn, timeout=20.0, interval=0.2):
    deadline = time.time() + timeout
    while True:
        r = fn()
        if r or time.time() > deadline:
            return r
        time.sleep(interval)


def scrape_when(admin, ready, timeout=5.0):
    """A scrape taken once `ready(samples)` holds (or the last one at the timeout): a request is
    counted after its response is written, so the client can scrape before the count lands."""
    last = {}

    def attempt():
        last['s'] = scrape(admin)
        return ready(last['s'])
    wait_until(attempt, timeout, 0.05)
    return last['s']


def create_topic(boot):
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1)])
    admin.close()


def produce(gw, n):
    ok = 0
    for i in range(n):
        status, _ = request('POST', gw + '/topics/' + TOPIC,
                            json.dumps({'records': [{'value': {'i': i}}]}), JSON_V2)
        ok += status == 200
    return ok


def start_gateway(meridian, tmp, boot):
    out, err = os.path.join(tmp, 'gw.out'), os.path.join(tmp, 'gw.err')
    proc = subprocess.Popen(
        [meridian, 'gateway', 'start', '--set', 'bootstrap.servers=' + boot,
         '--set', 'listeners=http://127.0.0.1:0', '--set', 'admin.listener=127.0.0.1:0',
         '--set', 'shutdown.drain.ms=6000', '--set', 'read.timeout.ms=30000'],
        stdout=open(out, 'w'), stderr=open(err, 'w'))
    pat = re.compile(r'meridian gateway: (http://[0-9.]+:[0-9]+) -> \S+, admin (http://[0-9.]+:[0-9]+)')
    m = wait_until(lambda: pat.search(open(out).read()) or proc.poll() is not None, 20)
    if not m or proc.poll() is not None:
        return proc, None, None, open(err).read()
    return proc, m.group(1), m.group(2), ''


def health(admin):
    check(http_get(admin + '/livez')[0] == 200, 'gateway admin /livez 200')
    check(http_get(admin + '/healthz')[0] == 200, 'gateway admin /healthz 200 (alias)')
    ready = wait_until(lambda: http_get(admin + '/readyz')[0] == 200, 20)
    check(ready, 'gateway admin /readyz 200 once cluster metadata is loaded')
    status, body = http_get(admin + '/readyz?verbose')
    check(status == 200 and '[+]cluster ok: cluster metadata' in body,
          '/readyz?verbose names the cluster check', body)
    check(http_get(admin + '/v1/status/ready')[0] == 200, '/v1/status/ready 200 (alias)')
    check(http_get(admin + '/no-such')[0] == 404, 'admin unknown path 404')


def traffic_and_counters(gw, admin):
    before = scrape(admin)
    check(total(before, REQ, route='/topics/{topic}', method='POST', status=200) == 0,
          'no produce counted before any produce')
    check('meridian_gateway_consumer_instances' in before and
          total(before, 'meridian_gateway_consumer_instances') == 0,
          'meridian_gateway_consumer_instances exported as 0', before.get('meridian_gateway_consumer_instances'))
    b0 = buckets(before, route='/topics/{topic}', method='POST')
    check(produce(gw, PRODUCES) == PRODUCES, '%d REST produces answered 200' % PRODUCES)
    check(request('GET', gw + '/topics/' + TOPIC)[0] == 200, 'GET /topics/{t} 200')
    check(request('GET', gw + '/topics/no-such-topic')[0] == 404, 'GET unknown topic 404')
    check(request('GET', gw + '/definitely/not/a/route')[0] == 404, 'unknown path 404')
    check(request('POST', gw + '/topics/' + TOPIC, 'x', 'text/plain')[0] == 415,
          'produce with text/plain 415')
    check(request('DELETE', gw + '/topics/' + TOPIC)[0] == 405, 'DELETE /topics/{t} 405')
    s = scrape_when(admin, lambda s: total(s, REQ, route='unmatched', method='DELETE') >= 1)
    n = lambda **kw: total(s, REQ, **kw)  # noqa: E731
    check(n(route='/topics/{topic}', method='POST', status=200) == PRODUCES,
          'requests_total{/topics/{topic},POST,200} == %d' % PRODUCES, s.get(REQ))
    check(n(route='/topics/{topic}', method='GET', status=200) == 1,
          'requests_total{/topics/{topic},GET,200} == 1')
    check(n(route='/topics/{topic}', method='GET', status=404) == 1,
          'unknown topic counted under its template with status 404')
    check(n(route='unmatched', method='GET', status=404) == 1,
          'unknown path counted as route="unmatched", 404')
    check(n(route='/topics/{topic}', method='POST', status=415) == 1,
          '415 counted with its status under the template')
    check(n(route='unmatched', method='DELETE', status=405) == 1, '405 counted (unmatched)')
    raw = [l['route'] for l, _ in s.get(REQ, []) if TOPIC in l.get('route', '')
           or 'no-such' in l.get('route', '') or 'definitely' in l.get('route', '')]
    check(not raw, 'no raw path is used as a route label', raw)
    cnt = total(s, DUR + '_count', route='/topics/{topic}', method='POST')
    check(cnt == PRODUCES + 1, 'duration _count{/topics/{topic},POST} == %d' % (PRODUCES + 1), cnt)
    check(total(s, DUR + '_sum', route='/topics/{topic}', method='POST') > 0, 'duration _sum > 0')
    b1 = buckets(s, route='/topics/{topic}', method='POST')
    check(b1.get('+Inf', 0) - b0.get('+Inf', 0) == PRODUCES + 1, '+Inf bucket moved by every request')
    finite = [le for le in b1 if le != '+Inf' and b1[le] > b0.get(le, 0)]
    check(bool(finite), 'a finite latency bucket moved', b1)
    return s


def consumer_gauge(gw, admin):
    status, body = request('POST', gw + '/consumers/gm-group',
                           json.dumps({'name': 'gm-1', 'format': 'json'}), 'application/vnd.kafka.v2+json')
    check(status == 200, 'consumer instance created', body)
    g = lambda: total(scrape(admin), 'meridian_gateway_consumer_instances')  # noqa: E731
    check(wait_until(lambda: g() == 1, 10), 'consumer_instances gauge 1 after create', g())
    status, _ = request('DELETE', gw + '/consumers/gm-group/instances/gm-1')
    check(status == 204, 'consumer instance deleted')
    check(wait_until(lambda: g() == 0, 10), 'consumer_instances gauge back to 0', g())
    s = scrape_when(admin, lambda s: total(s, REQ, method='DELETE', status=204) >= 1)
    check(total(s, REQ, route='/consumers/{group}', method='POST', status=200) == 1 and
          total(s, REQ, route='/consumers/{group}/instances/{instance}', method='DELETE',
                status=204) == 1, 'consumer routes counted by template')


def drain(proc, gw, admin):
    """SIGTERM with a request still being read: the drain waits for it (shutdown.drain.ms), and
    the admin port answers readiness 503 and liveness 200 meanwhile."""
    check(http_get(admin + '/readyz')[0] == 200, 'ready before SIGTERM')
    host, port = gw[len('http://'):].rsplit(':', 1)
    slow = socket.create_connection((host, int(port)), timeout=10)
    slow.sendall(b'POST /topics/' + TOPIC.encode() + b' HTTP/1.1\r\nHost: x\r\n')  # unfinished
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    seen = wait_until(lambda: http_get(admin + '/readyz')[0] == 503, 5, 0.05)
    check(seen and proc.poll() is None, 'admin /readyz 503 during the drain, process still up')
    status, body = http_get(admin + '/readyz?verbose')
    check(status == 503 and 'graceful shutdown in progress' in body and
          '[-]cluster failed: draining' in body, '/readyz?verbose says why', body)
    check(http_get(admin + '/livez')[0] == 200, '/livez still 200 while draining')
    slow.close()
    try:
        rc = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        rc = None
    check(rc == 0, 'gateway exits 0 after the drain', rc)


def dev_checks(dev):
    before = scrape(dev.admin)
    p0 = total(before, REQ, route='/topics/{topic}', method='POST', status=200, datacenter='gm-dc')
    check(produce(dev.gateway, 3) == 3, 'dev gateway: 3 REST produces 200')
    check(request('GET', dev.gateway + '/nope')[0] == 404, 'dev gateway: unknown path 404')
    s = scrape_when(dev.admin, lambda s: total(s, REQ, route='unmatched', datacenter='gm-dc') >= 1)
    check(total(s, REQ, route='/topics/{topic}', method='POST', status=200,
                datacenter='gm-dc') - p0 == 3, 'dev admin: requests_total{datacenter} +3', s.get(REQ))
    check(total(s, REQ, route='unmatched', status=404, datacenter='gm-dc') >= 1,
          'dev admin: 404 counted')
    check(total(s, DUR + '_count', route='/topics/{topic}', method='POST', datacenter='gm-dc') >= 3,
          'dev admin: duration histogram with datacenter label')
    check(any(l.get('datacenter') == 'gm-dc' for l, _ in s.get('meridian_cluster_brokers', [])),
          'dev admin: broker families in the same registry, same label')
    check(any(l.get('datacenter') == 'gm-dc'
              for l, _ in s.get('meridian_gateway_consumer_instances', [])),
          'dev admin: consumer_instances gauge with datacenter label')


def main():
    meridian = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix='gateway-metrics-')
    dev = DevProcess(meridian, tmp, '--brokers', '1', '--dc', 'gm-dc')
    gw_proc = None
    try:
        if not check(dev.wait_started(30), 'meridian dev started', dev.stderr()):
            return 1
        check(dev.gateway is not None, 'dev printed its gateway')
        create_topic(dev.bootstrap)
        check(wait_until(lambda: request('GET', dev.gateway + '/topics/' + TOPIC)[0] == 200, 20),
              'topic visible through the dev gateway')
        gw_proc, gw, admin, err = start_gateway(meridian, tmp, dev.bootstrap)
        if not check(gw is not None, 'meridian gateway start printed gateway and admin ports', err):
            return 1
        health(admin)
        traffic_and_counters(gw, admin)
        consumer_gauge(gw, admin)
        dev_checks(dev)
        drain(gw_proc, gw, admin)
    finally:
        if gw_proc and gw_proc.poll() is None:
            gw_proc.kill()
            gw_proc.wait()
        dev.close()
        if failures:
            for name in ('gw.err', 'dev.err'):
                p = os.path.join(tmp, name)
                if os.path.exists(p):
                    print('--- ' + name + '\n' + open(p).read()[-2000:])
        shutil.rmtree(tmp, ignore_errors=True)
    return summary('gateway_metrics_test')


if __name__ == '__main__':
    sys.exit(main())
