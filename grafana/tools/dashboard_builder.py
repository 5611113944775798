"""Small builders for Grafana dashboard JSON (schemaVersion 39, Grafana 10/11).

Every panel and target uses the datasource variable DS_PROMETHEUS (CONVENTIONS.md §2):
file provisioning does not substitute `__inputs`, so the variable form is the portable one.
Stdlib only, so the generator runs with Debian's /usr/bin/python3 and no pip.
"""

DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
SCHEMA_VERSION = 39
TAGS = ["Meridian"]

# Panel heights on the 24-column grid.
STAT_H = 4
SERIES_H = 8
TABLE_H = 8


def target(expr, legend="", ref="A", instant=False, table=False):
    t = {"datasource": DS, "expr": expr, "refId": ref, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant, "editorMode": "code"}
    if table:
        t["format"] = "table"
    return t


def _thresholds(steps):
    return {"mode": "absolute",
            "steps": [{"color": color, "value": value} for value, color in steps]}


def stat(title, expr, unit="none", steps=((None, "green"), (1, "red")), description="",
         decimals=None):
    defaults = {"unit": unit, "color": {"mode": "thresholds"}, "thresholds": _thresholds(steps),
                "mappings": []}
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "stat", "title": title, "description": description, "datasource": DS,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "background", "graphMode": "area", "justifyMode": "auto",
                    "orientation": "auto", "textMode": "auto", "wideLayout": True,
                    "showPercentChange": False},
        "targets": [target(expr, instant=True)],
        "_h": STAT_H,
    }


def timeseries(title, targets, unit="short", description="", stack=False, min_zero=True):
    refs = "ABCDEFGHIJ"
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
              "spanNulls": False, "axisPlacement": "auto", "lineInterpolation": "linear",
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    defaults = {"unit": unit, "custom": custom, "color": {"mode": "palette-classic"},
                "thresholds": _thresholds(((None, "green"),)), "mappings": []}
    if min_zero:
        defaults["min"] = 0
    return {
        "type": "timeseries", "title": title, "description": description, "datasource": DS,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True,
                               "calcs": []},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": [target(expr, legend, refs[i]) for i, (expr, legend) in enumerate(targets)],
        "_h": SERIES_H,
    }


def table(title, targets, description="", rename=None):
    """Instant queries in table format, merged on their common labels."""
    refs = "ABCDEFGHIJ"
    excluded = {"Time": True}
    return {
        "type": "table", "title": title, "description": description, "datasource": DS,
        "fieldConfig": {"defaults": {"custom": {"align": "auto", "cellOptions": {"type": "auto"}},
                                     "thresholds": _thresholds(((None, "green"),)),
                                     "mappings": []},
                        "overrides": []},
        "options": {"showHeader": True, "cellHeight": "sm",
                    "footer": {"show": False, "reducer": ["sum"], "fields": ""}},
        "targets": [target(expr, "", refs[i], instant=True, table=True)
                    for i, expr in enumerate(targets)],
        "transformations": [
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {"excludeByName": excluded,
                                           "renameByName": rename or {}}},
        ],
        "_h": TABLE_H,
    }


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "_h": 1}


def layout(sections):
    """sections: list of (row_title or None, [panels], width per panel). Assigns ids/gridPos."""
    panels, y, next_id = [], 0, 1
    for title, section, width in sections:
        if title:
            r = row(title)
            r["id"], r["gridPos"] = next_id, {"h": 1, "w": 24, "x": 0, "y": y}
            del r["_h"]
            panels.append(r)
            next_id += 1
            y += 1
        x, line_h = 0, 0
        for panel in section:
            if x + width > 24:
                x, y, line_h = 0, y + line_h, 0
            h = panel.pop("_h")
            panel["id"] = next_id
            panel["gridPos"] = {"h": h, "w": width, "x": x, "y": y}
            next_id += 1
            x += width
            line_h = max(line_h, h)
            panels.append(panel)
        y += line_h
    return panels


def datasource_variable():
    return {"type": "datasource", "name": "DS_PROMETHEUS", "label": "Data source",
            "query": "prometheus", "current": {}, "hide": 0, "includeAll": False,
            "multi": False, "options": [], "refresh": 1, "regex": "", "skipUrlSync": False}


def query_variable(name, label, query, multi=True):
    """A label_values() variable; multi + All with allValue `.*` so `=~"$name"` always works."""
    return {"type": "query", "name": name, "label": label, "datasource": DS,
            "definition": query, "query": {"query": query,
                      "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "current": {}, "hide": 0, "includeAll": multi, "multi": multi, "allValue": ".*",
            "options": [], "refresh": 2, "regex": "", "skipUrlSync": False, "sort": 1}


def dashboard(uid, title, description, variables, panels):
    return {
        "__inputs": [],
        "__requires": [{"type": "datasource", "id": "prometheus", "name": "Prometheus",
                        "version": "1.0.0"}],
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [{"asDropdown": True, "icon": "external link", "includeVars": True,
                   "keepTime": True, "tags": TAGS, "targetBlank": False, "title": "Meridian",
                   "tooltip": "", "type": "dashboards", "url": ""}],
        "panels": panels,
        "refresh": "10s",
        "schemaVersion": SCHEMA_VERSION,
        "tags": TAGS,
        "templating": {"list": [datasource_variable()] + variables},
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }
