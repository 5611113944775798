#!/usr/bin/python3
"""Generates grafana/dashboards/*.json. Edit this file, not the JSON, then run:

    /usr/bin/python3 grafana/tools/generate_dashboards.py

The lint test (tests/integration/prometheus_rules) fails when the JSON is stale. Metric names
must exist in common/admin/metric_names.h; variables are used only inside regex matchers
(`=~"$topic"`) so multi-value and All selections work.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dashboard_builder import (dashboard, layout, query_variable, stat, table,  # noqa: E402
                               timeseries)

DC = 'datacenter=~"$datacenter"'
RI = "$__rate_interval"


def v_datacenter():
    return query_variable("datacenter", "Datacenter",
                          "label_values(meridian_build_info, datacenter)")


def v_broker():
    return query_variable("broker", "Broker",
                          f"label_values(meridian_cluster_controller_active{{{DC}}}, broker)")


def v_topic():
    return query_variable("topic", "Topic",
                          f"label_values(meridian_topic_partitions{{{DC}}}, topic)")


def v_group():
    return query_variable("group", "Consumer group",
                          f"label_values(meridian_consumer_group_members{{{DC}}}, group)")


def v_link():
    return query_variable("link", "Mirror link",
                          f"label_values(meridian_mirror_link_state{{{DC}}}, link)")


def v_route():
    return query_variable("route", "Route",
                          f"label_values(meridian_http_requests_total{{{DC}}}, route)")


def quantile(q, metric, selector, by=""):
    group = f"le, {by}" if by else "le"
    return (f"histogram_quantile({q}, sum by ({group}) "
            f"(rate({metric}_bucket{{{selector}}}[{RI}])))")


def health_stats():
    """The top row every Meridian dashboard opens with (CONVENTIONS.md §2)."""
    return [
        stat("Brokers up", f"sum(meridian_cluster_brokers{{{DC}}})",
             steps=((None, "red"), (1, "green")),
             description="Brokers alive as seen by the active controller of each datacenter."),
        stat("Processes scraped", f'sum(up{{job=~"meridian.*", {DC}}})',
             steps=((None, "red"), (1, "green")),
             description="Meridian admin ports Prometheus can scrape."),
        stat("Active controllers", f"sum(meridian_cluster_controller_active{{{DC}}})",
             steps=((None, "red"), (1, "green"), (2, "red")),
             description="Exactly one per datacenter; 0 or 2 is an outage."),
        stat("Under-replicated", f"sum(meridian_partition_under_replicated{{{DC}}})",
             description="Partitions whose ISR is smaller than the replica set."),
        stat("Under min ISR", f"sum(meridian_partition_under_min_isr{{{DC}}})",
             description="Partitions rejecting acks=all produce requests."),
        stat("Offline partitions", f"sum(meridian_cluster_unavailable_partitions{{{DC}}})",
             description="Partitions without a live leader."),
    ]


def overview():
    sel = DC
    return dashboard(
        "meridian-overview", "Meridian / Overview",
        "Cluster health, throughput, latency and lag across datacenters.",
        [v_datacenter()],
        layout([
            (None, health_stats(), 4),
            ("Throughput", [
                timeseries("Records produced / s by topic", [
                    (f"sum by (topic) (rate(meridian_records_produced_total{{{sel}}}[{RI}]))",
                     "{{topic}}")], unit="short"),
                timeseries("Records fetched / s by topic", [
                    (f"sum by (topic) (rate(meridian_records_fetched_total{{{sel}}}[{RI}]))",
                     "{{topic}}")], unit="short"),
                timeseries("Bytes / s by request", [
                    (f"sum by (request) (rate(meridian_request_bytes_total{{{sel}}}[{RI}]))",
                     "{{request}}")], unit="Bps"),
                timeseries("Throughput by datacenter", [
                    (f"sum by (datacenter) (rate(meridian_records_produced_total{{{sel}}}[{RI}]))",
                     "produced {{datacenter}}"),
                    (f"sum by (datacenter) (rate(meridian_records_fetched_total{{{sel}}}[{RI}]))",
                     "fetched {{datacenter}}")], unit="short"),
            ], 12),
            ("Latency", [
                timeseries("Produce latency", [
                    (quantile(0.99, "meridian_request_latency_seconds",
                              f'request="produce", {sel}'), "p99"),
                    (quantile(0.95, "meridian_request_latency_seconds",
                              f'request="produce", {sel}'), "p95")], unit="s"),
                timeseries("Fetch latency", [
                    (quantile(0.99, "meridian_request_latency_seconds",
                              f'request="fetch", {sel}'), "p99"),
                    (quantile(0.95, "meridian_request_latency_seconds",
                              f'request="fetch", {sel}'), "p95")], unit="s"),
            ], 12),
            ("Consumers and storage", [
                timeseries("Consumer lag (top 10 group/topic)", [
                    (f"topk(10, sum by (group, topic) (meridian_consumer_group_lag{{{sel}}}))",
                     "{{group}} / {{topic}}")], unit="short"),
                timeseries("Disk free by broker", [
                    (f"min by (datacenter, broker) (meridian_storage_disk_free_bytes{{{sel}}}"
                     f" / meridian_storage_disk_total_bytes{{{sel}}})",
                     "{{datacenter}} broker {{broker}}")], unit="percentunit"),
            ], 12),
            ("Inventory", [
                table("Processes", [f"meridian_build_info{{{sel}}}"],
                      description="Version and git revision of every scraped process.",
                      rename={"Value": "up"}),
                table("Cluster size", [
                    f"sum by (datacenter) (meridian_cluster_topics{{{sel}}})",
                    f"sum by (datacenter) (meridian_cluster_partitions{{{sel}}})",
                    f"sum by (datacenter) (meridian_cluster_brokers{{{sel}}})"],
                    rename={"Value #A": "topics", "Value #B": "partitions",
                            "Value #C": "brokers"}),
            ], 12),
        ]))


def replication():
    sel = f'{DC}, topic=~"$topic"'
    return dashboard(
        "meridian-replication", "Meridian / Replication & ISR",
        "In-sync replica sets, follower lag and leadership per topic and partition.",
        [v_datacenter(), v_broker(), v_topic()],
        layout([
            (None, health_stats(), 4),
            ("In-sync replicas", [
                timeseries("Under-replicated partitions by topic", [
                    (f"sum by (topic) (meridian_partition_under_replicated{{{sel}}})",
                     "{{topic}}")]),
                timeseries("Under min ISR by topic", [
                    (f"sum by (topic) (meridian_partition_under_min_isr{{{sel}}})",
                     "{{topic}}")]),
                timeseries("ISR size (smallest partition per topic)", [
                    (f"min by (topic) (meridian_partition_in_sync_replicas{{{sel}}})",
                     "{{topic}}")]),
                timeseries("ISR shrinks and expands / s", [
                    (f"sum by (topic) (rate(meridian_partition_isr_shrinks_total{{{sel}}}[{RI}]))",
                     "shrink {{topic}}"),
                    (f"sum by (topic) (rate(meridian_partition_isr_expands_total{{{sel}}}[{RI}]))",
                     "expand {{topic}}")]),
            ], 12),
            ("Followers and leaders", [
                timeseries("Follower lag (records)", [
                    (f'max by (topic, partition, follower) (meridian_replication_fetch_lag_records'
                     f'{{{sel}, broker=~"$broker"}})', "{{topic}}-{{partition}} f{{follower}}")]),
                timeseries("Leadership changes / s", [
                    (f"sum by (topic) (rate(meridian_leadership_changes_total{{{sel}}}[{RI}]))",
                     "{{topic}}")]),
            ], 12),
            ("Partitions", [
                table("Partitions", [
                    f"max by (topic, partition) (meridian_partition_log_start_offset{{{sel}}})",
                    f"max by (topic, partition) (meridian_partition_high_watermark{{{sel}}})",
                    f"min by (topic, partition) (meridian_partition_in_sync_replicas{{{sel}}})"],
                    rename={"Value #A": "log start", "Value #B": "high watermark",
                            "Value #C": "ISR size"}),
                table("Topics", [
                    f"max by (topic) (meridian_topic_partitions{{{sel}}})",
                    f"max by (topic) (meridian_topic_replicas{{{sel}}})",
                    f"sum by (topic) (meridian_storage_log_size_bytes{{{sel}}})"],
                    rename={"Value #A": "partitions", "Value #B": "replicas",
                            "Value #C": "log bytes"}),
            ], 12),
        ]))


def mirror():
    sel = f'{DC}, link=~"$link"'
    tsel = f'{sel}, topic=~"$topic"'
    return dashboard(
        "meridian-mirror", "Meridian / Mirror & DR",
        "Cross-datacenter links: state, lag in records, bytes and seconds, throughput, errors, "
        "checkpoints.",
        [v_datacenter(), v_link(), v_topic()],
        layout([
            (None, [
                stat("Links active", f'sum(meridian_mirror_link_state{{state="active", {sel}}})',
                     steps=((None, "red"), (1, "green"))),
                stat("Links not active",
                     f'sum(1 - meridian_mirror_link_state{{state="active", {sel}}})'),
                stat("Max lag (records)", f"max(meridian_mirror_lag_records{{{tsel}}})",
                     steps=((None, "green"), (10000, "red"))),
                stat("Max lag (seconds)", f"max(meridian_mirror_lag_seconds{{{tsel}}})",
                     unit="s", steps=((None, "green"), (60, "red"))),
                stat("Lag (bytes)", f"sum(meridian_mirror_lag_bytes{{{tsel}}})", unit="bytes",
                     steps=((None, "green"), (1073741824, "red"))),
                stat("Errors (5m)", f"sum(increase(meridian_mirror_errors_total{{{sel}}}[5m]))",
                     steps=((None, "green"), (1, "orange")), decimals=0),
                stat("Replication p99", quantile(0.99, "meridian_mirror_replication_latency_seconds",
                                                 tsel), unit="s",
                     steps=((None, "green"), (30, "red"))),
                stat("Max checkpoint lag", f"max(meridian_mirror_checkpoint_lag_seconds{{{sel}}})",
                     unit="s", steps=((None, "green"), (300, "red"))),
            ], 3),
            ("Lag", [
                timeseries("Lag (records) by topic", [
                    (f"sum by (link, topic) (meridian_mirror_lag_records{{{tsel}}})",
                     "{{link}} {{topic}}")]),
                timeseries("Lag (seconds) by topic", [
                    (f"max by (link, topic) (meridian_mirror_lag_seconds{{{tsel}}})",
                     "{{link}} {{topic}}")], unit="s"),
                timeseries("Lag (bytes) by topic", [
                    (f"sum by (link, topic) (meridian_mirror_lag_bytes{{{tsel}}})",
                     "{{link}} {{topic}}")], unit="bytes"),
                timeseries("Replication latency", [
                    (quantile(0.99, "meridian_mirror_replication_latency_seconds", tsel, "link"),
                     "p99 {{link}}"),
                    (quantile(0.95, "meridian_mirror_replication_latency_seconds", tsel, "link"),
                     "p95 {{link}}")], unit="s"),
                timeseries("Checkpoint lag by group", [
                    (f"max by (link, group) (meridian_mirror_checkpoint_lag_seconds{{{sel}}})",
                     "{{link}} {{group}}")], unit="s"),
            ], 12),
            ("Throughput", [
                timeseries("Records copied / s", [
                    (f"sum by (link, topic) (rate(meridian_mirror_records_total{{{tsel}}}[{RI}]))",
                     "{{link}} {{topic}}")]),
                timeseries("Bytes copied / s", [
                    (f"sum by (link, topic) (rate(meridian_mirror_bytes_total{{{tsel}}}[{RI}]))",
                     "{{link}} {{topic}}")], unit="Bps"),
            ], 12),
            ("Errors", [
                timeseries("Errors / s by kind", [
                    (f"sum by (link, kind) (rate(meridian_mirror_errors_total{{{sel}}}[{RI}]))",
                     "{{link}} {{kind}}")],
                    description="source_fetch, target_append, source_truncated, misaligned, "
                    "fenced, source_metadata, mirror_setup, group_sync, config_sync."),
                table("Errors by kind", [
                    f"sum by (link, kind) (increase(meridian_mirror_errors_total{{{sel}}}[1h]))",
                    f"max by (link, kind) (time() - "
                    f"meridian_mirror_last_error_timestamp_seconds{{{sel}}})"],
                    rename={"Value #A": "errors (1h)", "Value #B": "seconds since the last"},
                    description="The message of the newest error: `meridian mirror status` / "
                    "GET /v3/clusters/-/links/{link} (recent_error)."),
            ], 12),
            ("Links", [
                table("Link state", [f"meridian_mirror_link_state{{{sel}}} == 1"],
                      description="The current state of every link (one series per state)."),
                table("Lag per partition", [
                    f"max by (link, topic, partition) (meridian_mirror_lag_records{{{tsel}}})",
                    f"max by (link, topic, partition) (meridian_mirror_lag_seconds{{{tsel}}})",
                    f"max by (link, topic, partition) (meridian_mirror_lag_bytes{{{tsel}}})"],
                    rename={"Value #A": "lag records", "Value #B": "lag seconds",
                            "Value #C": "lag bytes"}),
            ], 12),
        ]))


def gateway():
    sel = f'{DC}, route=~"$route"'
    rate = f"rate(meridian_http_requests_total{{{sel}}}[{RI}])"
    return dashboard(
        "meridian-gateway", "Meridian / Gateway",
        "REST gateway: request rate, errors by status class, latency by route.",
        [v_datacenter(), v_route()],
        layout([
            (None, [
                stat("Requests / s", f"sum({rate})", unit="reqps",
                     steps=((None, "green"),)),
                stat("5xx ratio",
                     f'sum(rate(meridian_http_requests_total{{status=~"5..", {sel}}}[{RI}]))'
                     f" / sum({rate})", unit="percentunit",
                     steps=((None, "green"), (0.01, "red"))),
                stat("p95 latency", quantile(0.95, "meridian_http_request_duration_seconds", sel),
                     unit="s", steps=((None, "green"), (0.5, "red"))),
                stat("Consumer instances",
                     f"sum(meridian_gateway_consumer_instances{{{DC}}})",
                     steps=((None, "green"),)),
            ], 6),
            ("Requests", [
                timeseries("Requests / s by route", [
                    (f"sum by (route, method) ({rate})", "{{method}} {{route}}")], unit="reqps"),
                timeseries("Responses / s by status class", [
                    (f'sum(rate(meridian_http_requests_total{{status=~"2..", {sel}}}[{RI}]))',
                     "2xx"),
                    (f'sum(rate(meridian_http_requests_total{{status=~"4..", {sel}}}[{RI}]))',
                     "4xx"),
                    (f'sum(rate(meridian_http_requests_total{{status=~"5..", {sel}}}[{RI}]))',
                     "5xx")], unit="reqps"),
            ], 12),
            ("Latency", [
                timeseries("p95 latency by route", [
                    (quantile(0.95, "meridian_http_request_duration_seconds", sel, "route"),
                     "{{route}}")], unit="s"),
                timeseries("p99 latency by route", [
                    (quantile(0.99, "meridian_http_request_duration_seconds", sel, "route"),
                     "{{route}}")], unit="s"),
                timeseries("Consumer instances", [
                    (f"sum by (datacenter, instance) (meridian_gateway_consumer_instances{{{DC}}})",
                     "{{datacenter}} {{instance}}")]),
            ], 8),
            ("Routes", [
                table("Routes", [
                    f"sum by (route, method) ({rate})",
                    f'sum by (route, method) (rate(meridian_http_requests_total{{status=~"5..", '
                    f"{sel}}}[{RI}]))",
                    quantile(0.95, "meridian_http_request_duration_seconds", sel, "route, method")],
                    rename={"Value #A": "req/s", "Value #B": "5xx/s", "Value #C": "p95 s"}),
            ], 24),
        ]))


def consumer_groups():
    sel = f'{DC}, group=~"$group", topic=~"$topic"'
    return dashboard(
        "meridian-consumer-groups", "Meridian / Consumer groups",
        "Consumer group lag, members and consumption rate.",
        [v_datacenter(), v_group(), v_topic()],
        layout([
            (None, [
                stat("Groups", f'count(meridian_consumer_group_members{{{DC}, group=~"$group"}})',
                     steps=((None, "green"),)),
                stat("Members", f'sum(meridian_consumer_group_members{{{DC}, group=~"$group"}})',
                     steps=((None, "green"),)),
                stat("Total lag (records)", f"sum(meridian_consumer_group_lag{{{sel}}})",
                     steps=((None, "green"), (10000, "red"))),
                stat("Max partition lag", f"max(meridian_consumer_group_lag{{{sel}}})",
                     steps=((None, "green"), (10000, "red"))),
            ], 6),
            ("Lag", [
                timeseries("Lag by group and topic", [
                    (f"sum by (group, topic) (meridian_consumer_group_topic_lag{{{sel}}})",
                     "{{group}} / {{topic}}")]),
                timeseries("Lag by partition", [
                    (f"max by (group, topic, partition) (meridian_consumer_group_lag{{{sel}}})",
                     "{{group}} {{topic}}-{{partition}}")]),
                timeseries("Consumption rate (offsets committed / s)", [
                    (f"sum by (group, topic) "
                     f"(rate(meridian_consumer_group_committed_offset{{{sel}}}[{RI}]))",
                     "{{group}} / {{topic}}")]),
                timeseries("Members by group", [
                    (f'sum by (group) (meridian_consumer_group_members{{{DC}, group=~"$group"}})',
                     "{{group}}")]),
            ], 12),
            ("Offsets", [
                table("Committed offsets and lag", [
                    f"max by (group, topic, partition) "
                    f"(meridian_consumer_group_committed_offset{{{sel}}})",
                    f"max by (group, topic, partition) (meridian_consumer_group_lag{{{sel}}})"],
                    rename={"Value #A": "committed", "Value #B": "lag"}),
            ], 24),
        ]))


DASHBOARDS = {
    "overview.json": overview,
    "replication.json": replication,
    "mirror.json": mirror,
    "gateway.json": gateway,
    "consumer_groups.json": consumer_groups,
}


def render(build):
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main(argv):
    out_dir = argv[1] if len(argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "dashboards")
    os.makedirs(out_dir, exist_ok=True)
    for name, build in DASHBOARDS.items():
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(render(build))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
