"""The real Prometheus (Debian's 2.x) scrapes two running `meridian dev` datacenters — east
(3 brokers, REST gateway) and west (1 broker) mirroring east's topic and consumer group through
its embedded link — while kafka-python produces and consumes in east and the gateway serves
requests; then every PromQL expression of every Grafana dashboard panel and variable
(grafana/tools/extract_queries.py) and every alert expression of deploy/prometheus/alerts.yml
is evaluated through the HTTP API.
- Every expression must parse and evaluate (status "success").
- Every metric family a dashboard reads is exported by one of the two processes, and every
  dashboard expression returns data, except those filtering on 5xx responses (MAY_BE_EMPTY;
  printed). The load asks the gateway for a missing topic now and then, so 4xx panels have data.
- Alert expressions may be empty (nothing is wrong); they must parse and evaluate, and none may
  fire against the healthy pair.
Usage: prometheus_live_test.py MERIDIAN SOURCE_DIR [PROMETHEUS]"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'metrics_scrape'))
from meridian_proc import DevProcess, http_get  # noqa: E402

passed = failed = 0
# Filters on events that need not happen during the test.
MAY_BE_EMPTY = [r'status=~"5\.\."']
TOPIC = 'prom-live'
GROUP = 'prom-live-group'


def check(cond, what, detail=''):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print('FAIL ' + what + ('\n    ' + str(detail)[-1500:] if detail else ''))
    return cond


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def query(base, expr):
    url = base + '/api/v1/query?' + urllib.parse.urlencode({'query': expr})
    status, body = http_get(url, timeout=10)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {'status': 'error', 'error': body}


def load(boot, gateway, stop):
    """Keeps produce, consume, commit (auto-commit), mirror and REST rates non-zero for the
    rate() panels."""
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=boot)
    admin.create_topics([NewTopic(TOPIC, num_partitions=3, replication_factor=3)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=boot, acks='all', linger_ms=5)
    consumer = KafkaConsumer(TOPIC, bootstrap_servers=boot, group_id=GROUP,
                             auto_offset_reset='earliest', consumer_timeout_ms=200,
                             auto_commit_interval_ms=1000)
    i = 0
    while not stop.is_set():
        for _ in range(20):
            producer.send('prom-live', value=b'x' * 64, key=str(i).encode())
            i += 1
        producer.flush(10)
        for _ in consumer:
            pass
        if gateway:
            try:
                http_get(gateway + '/topics', timeout=2)
                http_get(gateway + '/topics/prom-live-missing', timeout=2)  # a 404 for 4xx panels
            except OSError:
                pass
        time.sleep(0.2)
    producer.close()
    consumer.close()


def families_in(expr):
    names = set(re.findall(r'\b(meridian_[a-z_]+)', expr))
    out = set()
    for n in names:
        for suffix in ('_bucket', '_count', '_sum'):
            if n.endswith(suffix) and n[:-len(suffix)].endswith('_seconds'):
                n = n[:-len(suffix)]
        out.add(n)
    return out


def exported_families(samples):
    out = set()
    for name in samples:
        for suffix in ('_bucket', '_count', '_sum'):
            if name.endswith(suffix):
                out.add(name[:-len(suffix)])
        out.add(name)
    return out


def main():
    meridian, src = sys.argv[1], sys.argv[2]
    prometheus = sys.argv[3] if len(sys.argv) > 3 else '/usr/bin/prometheus'
    sys.path.insert(0, os.path.join(src, 'grafana', 'tools'))
    from extract_queries import extract, load_dashboards
    import yaml

    install = open(os.path.join(src, 'deploy', 'install-deps.sh')).read()
    check(re.search(r'\bprometheus\b', install) is not None,
          'deploy/install-deps.sh installs prometheus')
    tmp = tempfile.mkdtemp(prefix='prometheus-live-')
    dev = DevProcess(meridian, tmp, '--dc', 'east', name='east')
    west = None
    prom = None
    stop = threading.Event()
    loader = None
    try:
        if not check(dev.wait_started(), 'meridian dev (east) up', dev.stderr()):
            return 1
        west = DevProcess(meridian, tmp, '--dc', 'west', '--brokers', '1',
                          '--mirror-from', dev.bootstrap, '--mirror-admin-port', '0',
                          '--mirror-topics', '^%s$' % TOPIC, '--mirror-groups', GROUP,
                          name='west')
        if not check(west.wait_started(), 'meridian dev (west) up, mirroring east',
                     west.stderr()):
            return 1
        loader = threading.Thread(target=load, args=(dev.bootstrap, dev.gateway, stop),
                                  daemon=True)
        loader.start()
        port = free_port()
        rules = os.path.join(src, 'deploy', 'prometheus', 'alerts.yml')
        config = {
            'global': {'scrape_interval': '1s', 'scrape_timeout': '900ms',
                       'evaluation_interval': '1s'},
            'rule_files': [rules],
            'scrape_configs': [{'job_name': 'meridian', 'honor_labels': True,
                                'static_configs': [
                                    {'targets': [d.admin.replace('http://', '')],
                                     'labels': {'datacenter': dc}}
                                    for d, dc in ((dev, 'east'), (west, 'west'))]}],
        }
        with open(os.path.join(tmp, 'prometheus.yml'), 'w') as f:
            yaml.safe_dump(config, f)
        prom = subprocess.Popen(
            [prometheus, '--config.file=' + os.path.join(tmp, 'prometheus.yml'),
             '--storage.tsdb.path=' + os.path.join(tmp, 'tsdb'),
             '--web.listen-address=127.0.0.1:%d' % port, '--log.level=warn'],
            stdout=open(os.path.join(tmp, 'prom.out'), 'w'),
            stderr=open(os.path.join(tmp, 'prom.err'), 'w'))
        base = 'http://127.0.0.1:%d' % port
        up = False
        for _ in range(120):
            try:
                _, r = query(base, 'up{job="meridian"} == 1')
                if r.get('status') == 'success' and len(r['data']['result']) == 2:
                    up = True
                    break
            except OSError:
                pass
            time.sleep(0.25)
        if not check(up, 'Prometheus scrapes both admin ports',
                     open(os.path.join(tmp, 'prom.err')).read()):
            return 1
        # rate(...[1m]) needs two samples with movement; give the load, the link's copies, the
        # group's commits and its offset sync, and the scrapes time.
        moving = ['sum(rate(meridian_records_fetched_total[1m])) > 0',
                  'sum(rate(meridian_mirror_records_total[1m])) > 0',
                  'sum(rate(meridian_consumer_group_committed_offset[1m])) > 0',
                  'meridian_mirror_checkpoint_lag_seconds']
        deadline = time.time() + 60
        for expr in moving:
            while time.time() < deadline:
                _, r = query(base, expr)
                if r.get('status') == 'success' and r['data']['result']:
                    break
                time.sleep(0.5)
            check(time.time() < deadline, 'data for %s within 60 s' % expr)
        time.sleep(2)
        exported = exported_families(dev.scrape()) | exported_families(west.scrape())

        dashboards = load_dashboards(os.path.join(src, 'grafana', 'dashboards'))
        seen = set()
        n_dash = n_data = 0
        not_exported = set()
        for q in extract(dashboards, {}):
            if q.expr in seen:
                continue
            seen.add(q.expr)
            n_dash += 1
            status, r = query(base, q.expr)
            if not check(status == 200 and r.get('status') == 'success',
                         'dashboard %s / %s parses: %s' % (q.uid, q.panel, q.expr), r):
                continue
            fams = families_in(q.expr)
            missing = fams - exported
            not_exported |= missing
            if r['data']['result']:
                n_data += 1
            elif any(re.search(p, q.expr) for p in MAY_BE_EMPTY):
                print('empty (rare-event filter, allowed): %s' % q.expr)
            else:
                check(False, 'dashboard %s / %s returns data: %s' % (q.uid, q.panel, q.expr))
        check(n_dash >= 40, 'extracted %d distinct dashboard expressions' % n_dash)
        check(not not_exported, 'every family the dashboards read is exported',
              sorted(not_exported))
        print('dashboards: %d expressions, %d with data; families not exported: %s'
              % (n_dash, n_data, sorted(not_exported)))

        rules_doc = yaml.safe_load(open(rules))
        n_alert = 0
        for group in rules_doc['groups']:
            for rule in group['rules']:
                n_alert += 1
                status, r = query(base, rule['expr'])
                check(status == 200 and r.get('status') == 'success',
                      'alert %s evaluates' % rule.get('alert', rule.get('record')), r)
        check(n_alert >= 14, '%d alert expressions evaluated' % n_alert)
        status, body = http_get(base + '/api/v1/rules')
        check(status == 200 and json.loads(body)['status'] == 'success' and
              all(g.get('lastError', '') == '' for g in json.loads(body)['data']['groups']),
              'Prometheus loaded alerts.yml without rule errors', body[:500])
        # The cluster is healthy: no broker/partition alert may be firing.
        status, body = http_get(base + '/api/v1/alerts')
        firing = [a['labels']['alertname'] for a in json.loads(body)['data']['alerts']
                  if a['state'] == 'firing']
        check(not firing, 'no alert firing against a healthy cluster', firing)
    finally:
        stop.set()
        if loader:
            loader.join(timeout=10)
        if prom and prom.poll() is None:
            prom.terminate()
            try:
                prom.wait(timeout=10)
            except subprocess.TimeoutExpired:
                prom.kill()
        if west:
            west.close()
        dev.close()
        if failed:
            print('logs kept in %s' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print('prometheus_live_test: %d passed, %d failed' % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
