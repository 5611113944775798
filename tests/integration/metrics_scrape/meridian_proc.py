"""Helpers shared by the observability integration tests (metrics_scrape, prometheus_live,
demo_smoke): start `meridian dev` on OS-assigned ports, scrape and parse /metrics.
Debian's /usr/bin/python3, stdlib only."""
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """Prometheus text format -> {sample name: [(labels dict, float value)]}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        m = _LINE.match(line)
        if not m:
            raise ValueError('bad exposition line: %r' % line)
        labels = dict(_LABEL.findall(m.group(3) or ''))
        out.setdefault(m.group(1), []).append((labels, float(m.group(4))))
    return out


def http_get(url, timeout=5.0):
    """(status, body) — 4xx/5xx are returned, not raised; connection errors raise OSError."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def total(samples, name, **match):
    """Sum of the samples of `name` whose labels include `match`."""
    return sum(v for labels, v in samples.get(name, [])
               if all(labels.get(k) == str(x) for k, x in match.items()))


class DevProcess:
    """`meridian dev` with every port OS-assigned (or given), killed on close()."""

    def __init__(self, meridian, workdir, *extra, port=0, gateway_port=0, admin_port=0,
                 name='dev'):
        os.makedirs(workdir, exist_ok=True)
        self.out_path = os.path.join(workdir, name + '.out')
        self.err_path = os.path.join(workdir, name + '.err')
        args = [meridian, 'dev', '--port', str(port), '--gateway-port', str(gateway_port),
                '--admin-port', str(admin_port), '--data-dir', os.path.join(workdir, name)]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=open(self.out_path, 'w'),
                                     stderr=open(self.err_path, 'w'))
        self.bootstrap = self.gateway = self.admin = None

    def wait_started(self, timeout=20.0, need_admin=True):
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = open(self.out_path).read()
            m = re.search(r'bootstrap (\S+?),', text)
            if m:
                self.bootstrap = m.group(1)
                g = re.search(r'gateway (http://[0-9.:]+)', text)
                a = re.search(r'admin (http://[0-9.:]+)', text)
                self.gateway = g.group(1) if g else None
                self.admin = a.group(1) if a else None
                if self.admin or not need_admin:
                    return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def scrape(self):
        status, body = http_get(self.admin + '/metrics')
        if status != 200:
            raise RuntimeError('/metrics returned %d' % status)
        return parse_exposition(body)

    def wait_for(self, predicate, timeout=20.0, interval=0.25):
        """Scrapes until predicate(samples) is true; returns the last samples and the result."""
        deadline = time.time() + timeout
        samples = {}
        while True:
            samples = self.scrape()
            ok = predicate(samples)
            if ok or time.time() > deadline:
                return samples, ok
            time.sleep(interval)

    def stderr(self):
        return open(self.err_path).read()[-3000:]

    def close(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
