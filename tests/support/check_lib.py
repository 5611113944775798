"""Shared by the Python integration tests of the REST gateway: pass/fail bookkeeping, the
Confluent media types, and waiting for a started process to print its address.
Usage: sys.path.insert(0, <tests/support>); from check_lib import check, wait_for, summary."""
import re
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
