#!/usr/bin/python3
"""Runs promtool on deploy/prometheus and checks that the unit tests cover every alert.

1. promtool check config prometheus.yml (also loads alerts.yml through rule_files)
2. promtool check rules alerts.yml
3. promtool test rules tests/*.yml
4. every alert name in alerts.yml has at least one firing case (non-empty exp_alerts) and
   one quiet case (exp_alerts: []) in tests/*.yml; every rule has severity, summary and
   description.
Stdlib only (line-based reading of our own, regularly formatted YAML).
"""

import argparse
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PROM_DIR = os.path.join(SOURCE_DIR, "deploy", "prometheus")


def run(cmd, cwd):
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    print("$", " ".join(cmd))
    print(res.stdout + res.stderr, end="")
    return res.returncode == 0


def alert_rules(text):
    """[(alert name, rule text)] from an alerts.yml."""
    starts = [m for m in re.finditer(r"^\s*- alert: (\w+)\s*$", text, re.M)]
    rules = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        body = text[m.start():end]
        body = re.split(r"^\s*- name: ", body, flags=re.M)[0]
        rules.append((m.group(1), body))
    return rules


def coverage(test_texts):
    """{alert: {"firing": n, "quiet": n}} from promtool test files."""
    seen = {}
    for text in test_texts:
        lines = text.splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"^\s*alertname: (\w+)\s*$", line)
            if not m:
                continue
            nxt = next((l for l in lines[i + 1:] if l.strip()), "")
            kind = "quiet" if re.match(r"^\s*exp_alerts: \[\]\s*$", nxt) else \
                "firing" if re.match(r"^\s*exp_alerts:\s*$", nxt) else None
            if kind is None:
                continue
            seen.setdefault(m.group(1), {"firing": 0, "quiet": 0})[kind] += 1
    return seen


def check_coverage(alerts_text, test_texts):
    errors = []
    rules = alert_rules(alerts_text)
    if not rules:
        return ["no alert rules found"]
    cov = coverage(test_texts)
    for name, body in rules:
        for needle in ("severity:", "summary:", "description:"):
            if needle not in body:
                errors.append(f"{name}: rule without {needle}")
        if not re.search(r"severity: (critical|warning|info)\b", body):
            errors.append(f"{name}: severity must be critical, warning or info")
    for name in sorted({n for n, _ in rules}):
        c = cov.get(name, {"firing": 0, "quiet": 0})
        if not c["firing"]:
            errors.append(f"{name}: no firing test case")
        if not c["quiet"]:
            errors.append(f"{name}: no quiet (exp_alerts: []) test case")
    for name in cov:
        if name not in {n for n, _ in rules}:
            errors.append(f"tests refer to unknown alert {name}")
    return errors


def self_test(alerts_text, test_texts):
    failures = []
    if check_coverage(alerts_text, test_texts):
        failures.append("real files should be clean here")
    quiet_removed = [re.sub(r"alertname: MeridianDiskLow\n(\s*)exp_alerts: \[\]",
                            r"alertname: Other\n\1exp_alerts: []", t) for t in test_texts]
    if not any("MeridianDiskLow: no quiet" in e
               for e in check_coverage(alerts_text, quiet_removed)):
        failures.append("missing quiet case not detected")
    extra = alerts_text + ("\n  - name: extra\n    rules:\n      - alert: MeridianUntested\n"
                           "        expr: vector(1)\n")
    errs = check_coverage(extra, test_texts)
    for want in ("MeridianUntested: no firing", "MeridianUntested: rule without severity:"):
        if not any(want in e for e in errs):
            failures.append(f"{want!r} not detected")
    return failures


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--promtool", default="/usr/bin/promtool")
    p.add_argument("--dir", default=PROM_DIR)
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args(argv[1:])
    tests = sorted(glob.glob(os.path.join(args.dir, "tests", "*.yml")))
    alerts_text = open(os.path.join(args.dir, "alerts.yml"), encoding="utf-8").read()
    test_texts = [open(t, encoding="utf-8").read() for t in tests]
    if args.self_test:
        failures = self_test(alerts_text, test_texts)
        for f in failures:
            print("FAIL:", f)
        print("self-test:", "FAILED" if failures else "passed")
        return 1 if failures else 0

    ok = run([args.promtool, "check", "config", "prometheus.yml"], args.dir)
    ok = run([args.promtool, "check", "rules", "alerts.yml"], args.dir) and ok
    if not tests:
        print("ERROR: no tests/*.yml")
        ok = False
    else:
        ok = run([args.promtool, "test", "rules"] + [os.path.relpath(t, args.dir) for t in tests],
                 args.dir) and ok
    errors = check_coverage(alerts_text, test_texts)
    for e in errors:
        print("ERROR:", e)
    names = sorted({n for n, _ in alert_rules(alerts_text)})
    print(f"{len(names)} alerts, {len(tests)} test files: "
          f"{'ok' if ok and not errors else 'FAILED'}")
    return 0 if ok and not errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
