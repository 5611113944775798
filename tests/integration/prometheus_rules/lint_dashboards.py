#!/usr/bin/python3
"""Lints grafana/dashboards/*.json against CONVENTIONS.md §2 and the metric catalogue.

Checks: JSON parses; stable unique uid (meridian-*); schemaVersion >= 39; tag Meridian;
DS_PROMETHEUS datasource variable; no legacy panel types; every panel, target and query
variable uses {"type":"prometheus","uid":"${DS_PROMETHEUS}"}; unique panel ids; every metric
name (dashboards and deploy/prometheus/alerts.yml) exists in the catalogue printed by
`meridian_metric_names`; dashboard variables are defined and used only in regex matchers;
histogram_quantile groups by `le`; every expression parses (promtool check rules on a
generated recording-rule file); the JSON matches grafana/tools/generate_dashboards.py.
`--self-test` injects one fault at a time into a good dashboard and checks each is caught.
Stdlib only.
"""

import argparse
import copy
import filecmp
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "grafana", "tools"))
import extract_queries  # noqa: E402

DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
MIN_SCHEMA = 39
PANEL_TYPES = {"row", "timeseries", "stat", "table", "gauge", "bargauge", "text",
               "state-timeline", "heatmap"}
LEGACY_TYPES = {"graph", "singlestat", "table-old", "grafana-piechart-panel"}
NON_MERIDIAN_METRICS = {"up"}
STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"')
METRIC_RE = re.compile(r"\bmeridian_[A-Za-z0-9_:]*")
MATCHER_RE = re.compile(r'([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")')
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def load_catalogue(names_cmd):
    out = subprocess.run([names_cmd], check=True, capture_output=True, text=True).stdout
    catalogue = {}
    for line in out.splitlines():
        name, kind = line.split("\t")[:2]
        catalogue[name] = kind
    if len(catalogue) < 30:
        raise SystemExit(f"catalogue from {names_cmd} has only {len(catalogue)} names")
    return catalogue


def unknown_metrics(expr, catalogue):
    """Metric names in a PromQL expression (or rules file) that the catalogue lacks."""
    bad = []
    for name in METRIC_RE.findall(STRING_RE.sub('""', expr)):
        if name in catalogue:
            continue
        base = next((name[:-len(s)] for s in HISTOGRAM_SUFFIXES if name.endswith(s)), None)
        if base is not None and catalogue.get(base) == "histogram":
            continue
        bad.append(name)
    return bad


def lint_variables_usage(where, expr, defined):
    errors = []
    for name in extract_queries.variables_in(expr):
        if name not in defined and name not in extract_queries.BUILTINS:
            errors.append(f"{where}: undefined variable ${name}")
    for label, op, value in MATCHER_RE.findall(expr):
        if extract_queries.variables_in(value) and op not in ("=~", "!~") and not all(
                v in extract_queries.BUILTINS for v in extract_queries.variables_in(value)):
            errors.append(f"{where}: variable in `{label}{op}{value}` needs a regex matcher "
                          "(=~) so multi-value and All work")
    outside = STRING_RE.sub('""', expr)
    for name in extract_queries.variables_in(outside):
        if name not in extract_queries.BUILTINS:
            errors.append(f"{where}: variable ${name} outside a label matcher")
    return errors


def lint_dashboard(file, dash, catalogue):
    errors = []
    name = os.path.basename(file)
    uid = dash.get("uid")
    if not isinstance(uid, str) or not re.fullmatch(r"meridian-[a-z0-9-]+", uid):
        errors.append(f"{name}: uid {uid!r} is not a stable meridian-* uid")
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < MIN_SCHEMA:
        errors.append(f"{name}: schemaVersion {dash.get('schemaVersion')} < {MIN_SCHEMA}")
    if "Meridian" not in (dash.get("tags") or []):
        errors.append(f"{name}: missing tag Meridian")
    if not dash.get("title"):
        errors.append(f"{name}: missing title")
    variables = dash.get("templating", {}).get("list", [])
    defined = {v.get("name") for v in variables}
    ds_vars = [v for v in variables if v.get("name") == "DS_PROMETHEUS"]
    if not ds_vars or ds_vars[0].get("type") != "datasource" or \
            ds_vars[0].get("query") != "prometheus":
        errors.append(f"{name}: needs variable DS_PROMETHEUS (type datasource, query prometheus)")
    for var in variables:
        if var.get("type") == "query" and var.get("datasource") != DS:
            errors.append(f"{name}: variable {var.get('name')} datasource is not {DS}")
    ids = set()
    for panel in extract_queries.iter_panels(dash.get("panels")):
        where = f"{name}: panel {panel.get('id')} {panel.get('title')!r}"
        ptype = panel.get("type")
        if ptype in LEGACY_TYPES:
            errors.append(f"{where}: legacy panel type {ptype!r}; use timeseries/stat/table")
        elif ptype not in PANEL_TYPES:
            errors.append(f"{where}: unexpected panel type {ptype!r}")
        if panel.get("id") in ids:
            errors.append(f"{where}: duplicate panel id")
        ids.add(panel.get("id"))
        grid = panel.get("gridPos") or {}
        if grid.get("x", 0) + grid.get("w", 0) > 24 or not grid.get("h"):
            errors.append(f"{where}: bad gridPos {grid}")
        if ptype == "row":
            continue
        if panel.get("datasource") != DS:
            errors.append(f"{where}: panel datasource {panel.get('datasource')!r} is not {DS}")
        if ptype != "text" and not panel.get("targets"):
            errors.append(f"{where}: no targets")
        for t in panel.get("targets") or []:
            if t.get("datasource") != DS:
                errors.append(f"{where} {t.get('refId')}: target datasource "
                              f"{t.get('datasource')!r} is not {DS}")
    for q in extract_queries.extract([(file, dash)]):
        where = f"{name}: {q.panel} {q.ref}"
        for metric in unknown_metrics(q.raw, catalogue):
            errors.append(f"{where}: metric {metric} is not in the catalogue "
                          "(common/admin/metric_names.h)")
        errors += lint_variables_usage(where, q.raw, defined)
        if "histogram_quantile" in q.raw and not re.search(r"by\s*\([^)]*\ble\b", q.raw):
            errors.append(f"{where}: histogram_quantile must aggregate `by (le, ...)`")
    return errors


def promtool_parse(queries, promtool):
    """Runs every expression through `promtool check rules` as a recording rule."""
    groups = [{"name": f"{os.path.basename(q.file)} | {q.panel} | {q.ref} | {i}",
               "rules": [{"record": f"dashboard:query_{i}", "expr": q.expr}]}
              for i, q in enumerate(queries)]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump({"groups": groups}, f, indent=1)  # JSON is YAML
        path = f.name
    try:
        res = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if res.returncode != 0:
        return [f"promtool check rules failed:\n{res.stdout}{res.stderr}"]
    if f"SUCCESS: {len(queries)} rules found" not in res.stdout:
        return [f"promtool did not check {len(queries)} rules:\n{res.stdout}"]
    return []


def lint_all(dashboards, catalogue, promtool):
    errors, uids, titles = [], {}, {}
    for file, dash in dashboards:
        errors += lint_dashboard(file, dash, catalogue)
        for key, seen in (("uid", uids), ("title", titles)):
            value = dash.get(key)
            if value in seen:
                errors.append(f"{os.path.basename(file)}: {key} {value!r} also used by "
                              f"{os.path.basename(seen[value])}")
            seen[value] = file
    queries = extract_queries.extract(dashboards)
    if queries:
        errors += promtool_parse(queries, promtool)
    return errors


def check_generated(generator, dashboards_dir):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, generator, tmp], check=True)
        produced = sorted(n for n in os.listdir(tmp) if n.endswith(".json"))
        present = sorted(n for n in os.listdir(dashboards_dir) if n.endswith(".json"))
        if produced != present:
            return [f"dashboards {present} differ from generated {produced}"]
        return [f"{n} is stale: run /usr/bin/python3 {os.path.relpath(generator, SOURCE_DIR)}"
                for n in produced
                if not filecmp.cmp(os.path.join(tmp, n), os.path.join(dashboards_dir, n),
                                   shallow=False)]


def check_provisioning(grafana_dir):
    errors = []
    expected = {
        "provisioning/dashboards/meridian.yaml": [
            r"^apiVersion: 1$", r"^providers:", r"type: file", r"orgId: 1", r"folder: ",
            r"disableDeletion: ", r"updateIntervalSeconds: ", r"allowUiUpdates: false",
            r"path: /var/lib/grafana/dashboards"],
        "provisioning/datasources/prometheus.yaml": [
            r"^apiVersion: 1$", r"^datasources:", r"type: prometheus", r"access: proxy",
            r"url: http://prometheus:9090", r"isDefault: true", r"uid: "],
    }
    for rel, patterns in expected.items():
        path = os.path.join(grafana_dir, rel)
        if not os.path.exists(path):
            errors.append(f"{rel}: missing")
            continue
        text = open(path, encoding="utf-8").read()
        errors += [f"{rel}: no line matching {p!r}" for p in patterns
                   if not re.search(p, text, re.M)]
    return errors


def self_test(catalogue, promtool):
    """Each injected fault must produce an error mentioning `expect`; the clean one none."""
    sys.path.insert(0, os.path.join(SOURCE_DIR, "grafana", "tools"))
    import generate_dashboards  # noqa: E402
    good = generate_dashboards.overview()
    failures = []
    base_errors = lint_all([("good.json", good)], catalogue, promtool)
    if base_errors:
        failures.append(f"clean dashboard reported errors: {base_errors}")

    def panel0(d):
        return next(p for p in d["panels"] if p["type"] == "timeseries")

    faults = {
        "legacy panel type": lambda d: panel0(d).update(type="graph"),
        "DS_PROMETHEUS": lambda d: d["templating"]["list"].pop(0),
        "schemaVersion": lambda d: d.update(schemaVersion=30),
        "target datasource": lambda d: panel0(d)["targets"][0].update(datasource="Prometheus"),
        "not in the catalogue": lambda d: panel0(d)["targets"][0].update(
            expr="sum(rate(meridian_no_such_metric_total[5m]))"),
        "promtool check rules failed": lambda d: panel0(d)["targets"][0].update(
            expr="sum(rate(meridian_records_produced_total[5m])"),
        "needs a regex matcher": lambda d: panel0(d)["targets"][0].update(
            expr='sum(meridian_records_produced_total{datacenter="$datacenter"})'),
        "undefined variable": lambda d: panel0(d)["targets"][0].update(
            expr='sum(meridian_records_produced_total{topic=~"$nope"})'),
        "histogram_quantile must aggregate": lambda d: panel0(d)["targets"][0].update(
            expr="histogram_quantile(0.99, rate(meridian_request_latency_seconds_bucket[5m]))"),
        "stable meridian-* uid": lambda d: d.update(uid="abc123"),
    }
    for expect, inject in faults.items():
        bad = copy.deepcopy(good)
        inject(bad)
        errors = lint_all([("bad.json", bad)], catalogue, promtool)
        if not any(expect in e for e in errors):
            failures.append(f"fault {expect!r} not detected; errors: {errors}")
    dup = lint_all([("a.json", good), ("b.json", copy.deepcopy(good))], catalogue, promtool)
    if not any("also used by" in e for e in dup):
        failures.append("duplicate uid not detected")
    if unknown_metrics('up == 0 and meridian_x_bucket{a="meridian_y"}', catalogue) != \
            ["meridian_x_bucket"]:
        failures.append("unknown_metrics mis-tokenises")
    return failures


def main(argv):
    p = argparse.ArgumentParser(description="Lint Meridian Grafana dashboards")
    p.add_argument("--names-cmd", required=True, help="path to meridian_metric_names")
    p.add_argument("--promtool", default="/usr/bin/promtool")
    p.add_argument("--grafana", default=os.path.join(SOURCE_DIR, "grafana"))
    p.add_argument("--alerts", default=os.path.join(SOURCE_DIR, "deploy", "prometheus",
                                                    "alerts.yml"))
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args(argv[1:])
    catalogue = load_catalogue(args.names_cmd)
    if args.self_test:
        failures = self_test(catalogue, args.promtool)
        for f in failures:
            print("FAIL:", f)
        print("self-test:", "FAILED" if failures else "passed")
        return 1 if failures else 0

    dashboards_dir = os.path.join(args.grafana, "dashboards")
    dashboards = extract_queries.load_dashboards(dashboards_dir)
    errors = []
    if len(dashboards) < 5:
        errors.append(f"expected 5 dashboards in {dashboards_dir}, found {len(dashboards)}")
    errors += lint_all(dashboards, catalogue, args.promtool)
    errors += check_generated(os.path.join(args.grafana, "tools", "generate_dashboards.py"),
                              dashboards_dir)
    errors += check_provisioning(args.grafana)
    with open(args.alerts, encoding="utf-8") as f:
        errors += [f"alerts.yml: metric {m} is not in the catalogue"
                   for m in unknown_metrics(f.read(), catalogue)]
    for e in errors:
        print("ERROR:", e)
    n = len(extract_queries.extract(dashboards))
    print(f"{len(dashboards)} dashboards, {n} queries: {'FAILED' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
