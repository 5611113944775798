#!/usr/bin/python3
"""Mirror and consumer-group metrics move when they should (issue 8).

east: `meridian dev --brokers 1`, advertised through the fault proxy (tests/tools/fault_proxy).
west: `meridian dev --brokers 1 --mirror-from <proxy>` — the link's series are on west's admin
port. Then a `meridian mirror run` link east -> west with its own admin.listener.
Checks, in order:
- copying raises meridian_mirror_records_total / _bytes_total and the replication-latency
  histogram by exactly the records produced; lag in records returns to 0; link state active;
- a consumer group in east: committed offsets, members and lag on east's admin port (its
  coordinator); the consumer stops, records keep coming: lag rises by exactly that many,
  members drop to 0; its checkpoint (offset sync) lag is reported in west;
- lag in bytes per partition (0 when caught up) and an error counter per kind exist from the start;
- the proxy cuts the link: link state leaves active (connecting), lag in seconds rises, the
  source_fetch error counter rises and its last-error timestamp is now; healed: active again,
  every record copied, lag back to 0;
- `meridian mirror run`: /metrics, /livez, /healthz, /readyz (200), its link's series; with a
  bandwidth throttle a backlog shows lag in records AND bytes (a plausible bytes-per-record
  ratio) that return to 0; 503 on /readyz and exit 0 on SIGTERM.
Usage: mirror_metrics_test.py MERIDIAN FAULT_PROXY"""
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'metrics_scrape'))
from meridian_proc import DevProcess, http_get, parse_exposition, total  # noqa: E402

SEED = int(os.environ.get('MERIDIAN_TEST_SEED', random.randrange(1 << 30)))
random.seed(SEED)
PORTS = (22000, 22999)  # this test's fixed-port range (east must be known before it starts)
TOPIC = 'mm-orders'
GROUP = 'mm-app'
PARTS = 3
ERROR_KINDS = ('source_fetch', 'source_truncated', 'misaligned', 'target_append', 'fenced',
               'source_metadata', 'mirror_setup', 'group_sync', 'config_sync', 'other')
passed = failed = 0


def check(cond, what, detail=''):
    global passed, failed
    if cond:
        passed += 1
        print('ok   ' + what, flush=True)
    else:
        failed += 1
        print('FAIL ' + what + ('\n    ' + str(detail)[-2000:] if detail else ''), flush=True)
    return cond


def free_port():
    for _ in range(50):
        port = random.randint(*PORTS)
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
                return port
            except OSError:
                continue
    raise AssertionError('no free port in %d-%d' % PORTS)


def wait_out(path, regex, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(regex, open(path).read())
        if m:
            return m
        if proc.poll() is not None:
            return None
        time.sleep(0.1)
    return None


def proxy_command(port, command):
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        s.sendall((command + '\n').encode())
        return s.makefile().readline().strip()


def produce(bootstrap, n, tag, topic=TOPIC):
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=bootstrap, acks='all', linger_ms=2)
    futures = [p.send(topic, key=('%s-%d' % (tag, i)).encode(), value=b'v' * 100,
                      partition=i % PARTS) for i in range(n)]
    for f in futures:
        f.get(timeout=60)
    p.close()


def create_topic(bootstrap, topic):
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=PARTS, replication_factor=1)])
    admin.close()


def link_series(samples, name, link='west', **match):
    return [(l, v) for l, v in samples.get(name, [])
            if l.get('link') == link and all(l.get(k) == str(x) for k, x in match.items())]


def state_is(samples, state, link='west'):
    return total(samples, 'meridian_mirror_link_state', link=link, state=state) == 1


def copying(east, west):
    produce(east.bootstrap, 300, 'a')
    samples, ok = west.wait_for(
        lambda s: total(s, 'meridian_mirror_records_total', link='west', topic=TOPIC) == 300 and
        sum(v for _, v in link_series(s, 'meridian_mirror_lag_records', topic=TOPIC)) == 0 and
        len(link_series(s, 'meridian_mirror_lag_records', topic=TOPIC)) == PARTS, timeout=30)
    check(ok, 'mirror_records_total = 300 records copied, lag_records 0 on all %d partitions'
          % PARTS, {k: v for k, v in samples.items() if 'mirror' in k})
    check(total(samples, 'meridian_mirror_bytes_total', link='west', topic=TOPIC) > 300 * 100,
          'mirror_bytes_total counts at least the 300 values of 100 bytes')
    n = total(samples, 'meridian_mirror_replication_latency_seconds_count', link='west',
              topic=TOPIC)
    s = total(samples, 'meridian_mirror_replication_latency_seconds_sum', link='west', topic=TOPIC)
    check(n >= 1 and 0 <= s / n < 10, 'replication latency histogram observed %d appends, mean '
          '%.3f s' % (n, s / max(n, 1)))
    check(state_is(samples, 'active') and not state_is(samples, 'connecting'),
          'link_state{state="active"} = 1, others 0')
    lag_s = [v for _, v in link_series(samples, 'meridian_mirror_lag_seconds', topic=TOPIC)]
    check(len(lag_s) == PARTS and max(lag_s) < 5, 'lag_seconds per partition small: %s' % lag_s)
    lag_b = [v for _, v in link_series(samples, 'meridian_mirror_lag_bytes', topic=TOPIC)]
    check(len(lag_b) == PARTS and max(lag_b) == 0, 'lag_bytes per partition, 0 when caught up: %s'
          % lag_b)
    kinds = {l.get('kind') for l, _ in link_series(samples, 'meridian_mirror_errors_total')}
    check(kinds == set(ERROR_KINDS), 'errors_total has a series per kind from the start: %s'
          % sorted(k for k in kinds if k))


def group_lag(east, west):
    from kafka import KafkaConsumer
    c = KafkaConsumer(TOPIC, bootstrap_servers=east.bootstrap, group_id=GROUP,
                      auto_offset_reset='earliest', enable_auto_commit=False)
    seen, deadline = 0, time.time() + 30
    while seen < 300 and time.time() < deadline:
        seen += sum(len(b) for b in c.poll(timeout_ms=300).values())
    c.commit()
    samples, ok = east.wait_for(
        lambda s: total(s, 'meridian_consumer_group_committed_offset', group=GROUP) == 300 and
        total(s, 'meridian_consumer_group_members', group=GROUP) == 1 and
        len([1 for l, _ in s.get('meridian_consumer_group_lag', []) if l.get('group') == GROUP])
        == PARTS, timeout=20)
    check(ok and seen == 300, 'group %s: consumed %d, committed offsets sum 300, 1 member, lag per '
          'partition reported' % (GROUP, seen),
          {k: v for k, v in samples.items() if 'group' in k})
    check(total(samples, 'meridian_consumer_group_lag', group=GROUP) == 0 and
          total(samples, 'meridian_consumer_group_topic_lag', group=GROUP, topic=TOPIC) == 0,
          'group lag 0 while the consumer keeps up')
    c.close()  # the consumer stops (leaves the group); records keep coming
    produce(east.bootstrap, 200, 'b')
    samples, ok = east.wait_for(
        lambda s: total(s, 'meridian_consumer_group_lag', group=GROUP) == 200 and
        total(s, 'meridian_consumer_group_topic_lag', group=GROUP, topic=TOPIC) == 200 and
        total(s, 'meridian_consumer_group_members', group=GROUP) == 0, timeout=20)
    check(ok, 'consumer stopped: group lag rose by exactly the 200 new records, members 0',
          {k: v for k, v in samples.items() if 'group' in k})
    samples, ok = west.wait_for(
        lambda s: link_series(s, 'meridian_mirror_checkpoint_lag_seconds', group=GROUP),
        timeout=20)
    lag = [v for _, v in link_series(samples, 'meridian_mirror_checkpoint_lag_seconds',
                                     group=GROUP)]
    check(ok and lag and lag[0] < 10, 'checkpoint (group offset sync) lag in west: %s s' % lag)


def link_cut(east_bootstrap, west, proxy_control):
    before = west.scrape()
    fetch_errors = total(before, 'meridian_mirror_errors_total', link='west', kind='source_fetch')
    check(proxy_command(proxy_control, 'cut').startswith('ok'), 'proxy cuts the link')
    cut_at = time.time()
    samples, ok = west.wait_for(
        lambda s: not state_is(s, 'active') and state_is(s, 'connecting') and
        max([v for _, v in link_series(s, 'meridian_mirror_lag_seconds', topic=TOPIC)] + [0])
        >= 2.0, timeout=20)
    lag_s = max([v for _, v in link_series(samples, 'meridian_mirror_lag_seconds', topic=TOPIC)]
                + [0])
    check(ok, 'cut link: state connecting (not active), lag_seconds rose to %.1f after %.1f s'
          % (lag_s, time.time() - cut_at),
          [(l, v) for l, v in samples.get('meridian_mirror_link_state', [])])
    errors = total(samples, 'meridian_mirror_errors_total', link='west', kind='source_fetch')
    last = total(samples, 'meridian_mirror_last_error_timestamp_seconds', link='west',
                 kind='source_fetch')
    check(errors > fetch_errors and cut_at - 1 <= last <= time.time() + 1,
          'cut link: errors_total{kind="source_fetch"} rose %d -> %d, last error at %.1f s '
          'after the cut' % (fetch_errors, errors, last - cut_at),
          [(l, v) for l, v in samples.get('meridian_mirror_errors_total', [])])
    check(proxy_command(proxy_control, 'heal').startswith('ok'), 'proxy heals the link')
    produce(east_bootstrap, 100, 'c')
    samples, ok = west.wait_for(
        lambda s: state_is(s, 'active') and
        total(s, 'meridian_mirror_records_total', link='west', topic=TOPIC) == 600 and
        sum(v for _, v in link_series(s, 'meridian_mirror_lag_records', topic=TOPIC)) == 0 and
        max(v for _, v in link_series(s, 'meridian_mirror_lag_seconds', topic=TOPIC)) < 2,
        timeout=40)
    check(ok, 'healed: active again, all 600 records copied, lag back to 0',
          {k: v for k, v in samples.items() if 'mirror' in k})


def throttled_backlog(base, east_direct):
    """2000 records (~250 KB) behind a 40 KB/s throttle: lag in records and bytes rise together
    (bytes per record near the real record size), then both return to 0."""
    produce(east_direct, 2000, 'backlog', topic='mm-run')
    peak, deadline, samples = (0, 0), time.time() + 40, {}
    while time.time() < deadline:
        samples = parse_exposition(http_get(base + '/metrics')[1])
        records = total(samples, 'meridian_mirror_lag_records', link='mm-run', topic='mm-run')
        lag_bytes = total(samples, 'meridian_mirror_lag_bytes', link='mm-run', topic='mm-run')
        if records > peak[0]:
            peak = (records, lag_bytes)
        if total(samples, 'meridian_mirror_records_total', link='mm-run', topic='mm-run') == 2030 \
                and records == 0:
            break
        time.sleep(0.3)
    check(peak[0] > 0 and 60 <= peak[1] / peak[0] <= 400,
          'throttled backlog: lag rose to %d records / %d bytes (%.0f bytes per record)'
          % (peak[0], peak[1], peak[1] / max(peak[0], 1)))
    check(total(samples, 'meridian_mirror_records_total', link='mm-run', topic='mm-run') == 2030
          and total(samples, 'meridian_mirror_lag_bytes', link='mm-run', topic='mm-run') == 0,
          'throttled backlog copied, lag_bytes back to 0',
          {k: v for k, v in samples.items() if 'lag' in k})


def mirror_run(meridian, tmp, east_direct, west_bootstrap):
    create_topic(east_direct, 'mm-run')
    out, err = os.path.join(tmp, 'run.out'), os.path.join(tmp, 'run.err')
    p = subprocess.Popen(
        [meridian, 'mirror', 'run', '--set', 'link.name=mm-run',
         '--set', 'source.bootstrap.servers=' + east_direct,
         '--set', 'target.bootstrap.servers=' + west_bootstrap,
         '--set', 'topics.include=^mm-run$', '--set', 'admin.port=0',
         '--set', 'admin.listener=127.0.0.1:0', '--set', 'throttle.bytes.per.second=40000'],
        stdout=open(out, 'w'), stderr=open(err, 'w'))
    try:
        m = wait_out(out, r'metrics (http://[0-9.:]+)', p)
        if not check(m is not None, 'mirror run prints its metrics listener',
                     open(err).read()[-2000:]):
            return
        base = m.group(1)
        produce(east_direct, 30, 'r', topic='mm-run')
        deadline, samples = time.time() + 30, {}
        while time.time() < deadline:
            samples = parse_exposition(http_get(base + '/metrics')[1])
            if total(samples, 'meridian_mirror_records_total', link='mm-run', topic='mm-run') == 30:
                break
            time.sleep(0.3)
        check(total(samples, 'meridian_mirror_records_total', link='mm-run', topic='mm-run') == 30
              and state_is(samples, 'active', link='mm-run') and
              samples.get('meridian_build_info'),
              'mirror run /metrics: 30 records copied, link active, build info',
              {k: v for k, v in samples.items() if 'mirror' in k})
        throttled_backlog(base, east_direct)
        for path in ('/livez', '/healthz', '/readyz', '/v1/status/ready'):
            status, body = http_get(base + path)
            check(status == 200, 'mirror run %s 200' % path, body)
        status, body = http_get(base + '/readyz?verbose')
        check(status == 200 and 'link mm-run active' in body, 'readyz?verbose names the link',
              body)
        p.send_signal(signal.SIGTERM)
        check(p.wait(timeout=30) == 0, 'mirror run exits 0 on SIGTERM')
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def main():
    meridian, proxy_bin = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix='mirror-metrics-')
    procs = []
    east = west = None
    try:
        east_port = free_port()
        perr = open(os.path.join(tmp, 'proxy.err'), 'w')
        pout_path = os.path.join(tmp, 'proxy.out')
        proxy = subprocess.Popen(
            [proxy_bin, '--route', '127.0.0.1:0=127.0.0.1:%d' % east_port,
             '--control', '127.0.0.1:0', '--seed', str(SEED)],
            stdout=open(pout_path, 'w'), stderr=perr)
        procs.append(proxy)
        m = wait_out(pout_path, r'listening 0 (\d+)\s+control (\d+)', proxy)
        if not check(m is not None, 'fault proxy up'):
            return 1
        proxy_port, control_port = int(m.group(1)), int(m.group(2))
        east = DevProcess(meridian, tmp, '--brokers', '1', '--dc', 'east', '--set',
                          'advertised.listeners=PLAINTEXT://127.0.0.1:%d' % proxy_port,
                          port=east_port, name='east')
        if not check(east.wait_started(), 'east up', east.stderr()):
            return 1
        create_topic(east.bootstrap, TOPIC)
        west = DevProcess(meridian, tmp, '--brokers', '1', '--dc', 'west', '--mirror-from',
                          '127.0.0.1:%d' % proxy_port, '--mirror-admin-port', '0',
                          '--mirror-topics', '^%s$' % TOPIC, '--mirror-groups', 'mm-.*',
                          name='west')
        if not check(west.wait_started(), 'west up, mirroring from east', west.stderr()):
            return 1
        # east's advertised address is the proxy: east's clients go through it too.
        copying(east, west)
        group_lag(east, west)
        link_cut(east.bootstrap, west, control_port)
        mirror_run(meridian, tmp, east.bootstrap, west.bootstrap)
    except Exception as e:  # noqa: BLE001 — reported as a failure with the seed
        check(False, 'unexpected %s: %s' % (type(e).__name__, e))
    finally:
        for d in (west, east):
            if d:
                d.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if failed:
            print('seed %d; logs kept in %s' % (SEED, tmp))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print('mirror_metrics_test: %d passed, %d failed (seed %d)' % (passed, failed, SEED))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
