"""Shared by the Python integration tests of the REST gateway: pass/fail bookkeeping, the
Confluent media types, and waiting for a started process to print its address.
Usage: sys.path.insert(0, <tests/support>); from check_lib import check, wait_for, summary."""
import re
import socket
import time

V2 = "application/vnd.kafka.v2+json"
BIN = "application/vnd.kafka.binary.v2+json"
JSN = "application/vnd.kafka.json.v2+json"

passed = 0
failures = []


def check(name, cond, detail=""):
    """Counts one check; prints ok/FAIL (with up to 600 characters of detail on failure)."""
    global passed
    if cond:
        passed += 1
        print("ok   " + name)
    else:
        failures.append(name)
        print("FAIL " + name + ("\n     " + str(detail)[:600] if detail else ""))
    return cond


def expect(cond, name, detail=""):
    """check() with the condition first, the order the metrics and deploy tests read best in."""
    return check(name, cond, detail)


def free_port():
    """A loopback port that was free a moment ago (for processes that cannot take port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(path, pattern, proc, tries=150):
    """The first match of `pattern` in the file at `path` within tries x 0.1 s, or None as soon
    as `proc` has exited."""
    for _ in range(tries):
        m = re.search(pattern, open(path).read())
        if m:
            return m
        if proc.poll() is not None:
            return None
        time.sleep(0.1)
    return None


def summary(test_name, seed=None):
    """Prints the totals and the failed checks; returns the process exit code."""
    line = "%s: %d passed, %d failed" % (test_name, passed, len(failures))
    print(line + (" (seed %d)" % seed if seed is not None else ""))
    for name in failures:
        print("  failed: " + name)
    return 0 if not failures else 1


def start_dev_and_gateway(meridian, tmp, procs, partitions, *gateway_sets):
    """`meridian dev` (one broker, its embedded gateway A) plus a standalone `meridian gateway` B
    on the same cluster, every port OS-assigned; extra `key=value` settings go to B. Started
    processes are appended to `procs` (the caller kills them). Returns (bootstrap, A url,
    B url, B process), or None after a failed check."""
    import subprocess
    dev = subprocess.Popen([meridian, "dev", "--brokers", "1", "--port", "0", "--gateway-port", "0",
                            "--admin-port", "0", "--data-dir", tmp + "/data",
                            "--set", "num.partitions=%d" % partitions],
                           stdout=open(tmp + "/dev.out", "w"), stderr=open(tmp + "/dev.err", "w"))
    procs.append(dev)
    m = wait_for(tmp + "/dev.out", r"bootstrap ([0-9.]+:[0-9]+).*gateway (http://[0-9.]+:[0-9]+)",
                 dev)
    check("meridian dev up", m is not None)
    if m is None:
        return None
    boot, gw_a = m.group(1), m.group(2)
    args = [meridian, "gateway", "--set", "bootstrap.servers=" + boot,
            "--set", "listeners=http://127.0.0.1:0", "--set", "admin.listener=127.0.0.1:0"]
    for kv in gateway_sets:
        args += ["--set", kv]
    gwb = subprocess.Popen(args, stdout=open(tmp + "/b.out", "w"), stderr=open(tmp + "/b.err", "w"))
    procs.append(gwb)
    m = wait_for(tmp + "/b.out", r"meridian gateway: (http://[0-9.]+:[0-9]+)", gwb)
    check("meridian gateway B up", m is not None, open(tmp + "/b.err").read())
    if m is None:
        return None
    return boot, gw_a, m.group(1), gwb
