"""The real Prometheus (Debian's 2.x) scrapes a running `meridian dev` while kafka-python
produces and consumes; then every PromQL expression of every Grafana dashboard panel and
variable (grafana/tools/extract_queries.py) and every alert expression of
deploy/prometheus/alerts.yml is evaluated through the HTTP API.
- Every expression must parse and evaluate (status "success").
- A dashboard expression must return data when every metric family it reads is exported by
  the scraped process (families of subsystems this process does not run — e.g. the mirror —
  are reported, and the expressions that only read those are allowed to be empty). A few
  expressions filter on rare events (5xx/4xx responses, a down link) and may be empty.
- Alert expressions may be empty (nothing is wrong); they must parse and evaluate.
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
MAY_BE_EMPTY = [r'status=~"5\.\."', r'status=~"4\.\."', r'== 1$', r'1 - meridian_mirror_link_state']


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


def load(boot, stop):
    """Keeps produce and consume rates non-zero for the rate() panels."""
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=boot)
    admin.create_topics([NewTopic('prom-live', num_partitions=3, replication_factor=3)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=boot, acks='all', linger_ms=5)
    consumer = KafkaConsumer('prom-live', bootstrap_servers=boot, group_id='prom-live-group',
                             auto_offset_reset='earliest', consumer_timeout_ms=200)
    i = 0
    while not stop.is_set():
        for _ in range(20):
            producer.send('prom-live', value=b'x' * 64, key=str(i).encode())
            i += 1
        producer.flush(10)
        for _ in consumer:
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
    dev = DevProcess(meridian, tmp, '--dc', 'east')
    prom = None
    stop = threading.Event()
    loader = None
    try:
        if not check(dev.wait_started(), 'meridian dev up', dev.stderr()):
            return 1
        loader = threading.Thread(target=load, args=(dev.bootstrap, stop), daemon=True)
        loader.start()
        admin_target = dev.admin.replace('http://', '')
        port = free_port()
        rules = os.path.join(src, 'deploy', 'prometheus', 'alerts.yml')
        config = {
            'global': {'scrape_interval': '1s', 'scrape_timeout': '900ms',
                       'evaluation_interval': '1s'},
            'rule_files': [rules],
            'scrape_configs': [{'job_name': 'meridian', 'honor_labels': True,
                                'static_configs': [{'targets': [admin_target],
                                                    'labels': {'datacenter': 'east'}}]}],
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
                if r.get('status') == 'success' and r['data']['result']:
                    up = True
                    break
            except OSError:
                pass
            time.sleep(0.25)
        if not check(up, 'Prometheus scrapes the admin port',
                     open(os.path.join(tmp, 'prom.err')).read()):
            return 1
        # rate(...[1m]) needs two samples with movement; give the load and scrapes time.
        for _ in range(60):
            _, r = query(base, 'sum(rate(meridian_records_fetched_total[1m])) > 0')
            if r.get('status') == 'success' and r['data']['result']:
                break
            time.sleep(0.5)
        time.sleep(3)
        exported = exported_families(dev.scrape())

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
            elif not missing and not any(re.search(p, q.expr) for p in MAY_BE_EMPTY):
                check(False, 'dashboard %s / %s returns data: %s' % (q.uid, q.panel, q.expr))
        check(n_dash >= 40, 'extracted %d distinct dashboard expressions' % n_dash)
        print('dashboards: %d expressions, %d with data; families not exported by meridian dev: %s'
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
        dev.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print('prometheus_live_test: %d passed, %d failed' % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
