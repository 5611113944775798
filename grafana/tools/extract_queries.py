#!/usr/bin/python3
"""Extracts every PromQL expression of Grafana dashboards, with Grafana variables substituted
so Prometheus (or promtool) can evaluate them. Stdlib only.

Used by the dashboard lint (tests/integration/prometheus_rules) and meant for the test that
evaluates every dashboard query against a running demo:

    from extract_queries import load_dashboards, extract
    for q in extract(load_dashboards("grafana/dashboards"), {"datacenter": "east"}):
        print(q.uid, q.panel, q.ref, q.expr)

CLI:
    extract_queries.py [--json] [--set name=value ...] [dashboard.json | dir ...]
prints one expression per line (or one JSON object per line with the panel it came from).

Substitution: $__rate_interval, $__interval and their ${...} forms become 1m, $__range 1h,
$__range_s 3600; a dashboard variable becomes its --set value or, by default, `.*` (dashboard
variables are only used inside regex matchers, which the lint enforces). Variable queries
`label_values(selector, label)` yield their selector; `label_values(label)` yields nothing.
"""

import argparse
import dataclasses
import json
import os
import re
import sys

BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__interval_ms": "60000",
}

# $name, ${name} and ${name:format}.
VARIABLE_RE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
LABEL_VALUES_RE = re.compile(r"^\s*label_values\(\s*(.*?)\s*,\s*(\w+)\s*\)\s*$", re.S)
LABEL_VALUES_ONLY_RE = re.compile(r"^\s*label_values\(\s*(\w+)\s*\)\s*$")
QUERY_RESULT_RE = re.compile(r"^\s*query_result\((.*)\)\s*$", re.S)


@dataclasses.dataclass
class Query:
    file: str
    uid: str
    title: str      # dashboard title
    panel: str      # panel title, or "variable <name>"
    panel_id: int
    ref: str        # target refId, or the variable name
    kind: str       # "panel" or "variable"
    raw: str        # as written in the dashboard
    expr: str       # substituted, ready for Prometheus


def substitute(expr, values=None):
    """Replaces Grafana variables; unknown dashboard variables become `.*`."""
    values = values or {}

    def repl(match):
        name = match.group(1) or match.group(2)
        if name in BUILTINS:
            return BUILTINS[name]
        return values.get(name, ".*")
    return VARIABLE_RE.sub(repl, expr)


def variables_in(expr):
    return [m.group(1) or m.group(2) for m in VARIABLE_RE.finditer(expr)]


def variable_selector(query):
    """The PromQL part of a Prometheus variable query, or None (label_values(label))."""
    if isinstance(query, dict):
        query = query.get("query", "")
    m = LABEL_VALUES_RE.match(query)
    if m:
        return m.group(1)
    if LABEL_VALUES_ONLY_RE.match(query):
        return None
    m = QUERY_RESULT_RE.match(query)
    if m:
        return m.group(1)
    return None


def load_dashboards(*paths):
    """[(file, dashboard dict)] for files or directories of *.json, sorted by file name."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            files += [os.path.join(path, n) for n in sorted(os.listdir(path))
                      if n.endswith(".json")]
        else:
            files.append(path)
    out = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            out.append((f, json.load(fh)))
    return out


def iter_panels(panels):
    """Every panel, including those nested in collapsed rows."""
    for panel in panels or []:
        yield panel
        yield from iter_panels(panel.get("panels"))


def extract(dashboards, values=None):
    queries = []
    for file, dash in dashboards:
        uid, title = dash.get("uid", ""), dash.get("title", "")
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            selector = variable_selector(var.get("query", ""))
            if selector is None:
                continue
            raw = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            queries.append(Query(file, uid, title, "variable " + var.get("name", ""), 0,
                                 var.get("name", ""), "variable", raw,
                                 substitute(selector, values)))
        for panel in iter_panels(dash.get("panels")):
            for t in panel.get("targets", []) or []:
                expr = t.get("expr")
                if not expr:
                    continue
                queries.append(Query(file, uid, title, panel.get("title", ""),
                                     panel.get("id", 0), t.get("refId", ""), "panel", expr,
                                     substitute(expr, values)))
    return queries


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*",
                        default=[os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                              "..", "dashboards")])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="value for a dashboard variable (default .*)")
    args = parser.parse_args(argv[1:])
    values = dict(kv.split("=", 1) for kv in args.set)
    for q in extract(load_dashboards(*args.paths), values):
        if args.json:
            print(json.dumps(dataclasses.asdict(q)))
        else:
            print(q.expr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
