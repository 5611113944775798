#!/usr/bin/python3
"""Turns Google Benchmark JSON into the ratio tables of bench/RESULTS.md.

Usage: report.py log <log.json>
Every Meridian figure is printed next to the machine ceiling it is bounded by, measured in the
same run, with the ratio and the issue's target.
"""
import json
import sys


def load(path):
    with open(path) as f:
        data = json.load(f)
    by_name = {}
    for b in data["benchmarks"]:
        name = b.get("run_name", b["name"]).replace("/real_time", "")
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                by_name[name] = b  # medians win over single runs
        else:
            by_name.setdefault(name, b)
    return data["context"], by_name


def mbps(b):
    return b["bytes_per_second"] / 1e6


def machine(ctx):
    return (f"{ctx.get('host_name', '?')}: {ctx.get('num_cpus', '?')} CPUs @ "
            f"{ctx.get('mhz_per_cpu', '?')} MHz, {ctx.get('date', '')}")


def log_report(path):
    ctx, b = load(path)
    print(f"Machine: {machine(ctx)}\n")
    print("| Measurement | Meridian | Ceiling (same run) | Ratio | Target |")
    print("|---|---|---|---|---|")
    rows = [
        ("append 16 KiB batches, no flush", "BM_LogAppend/batch_bytes:16384/flush:0", "BM_Ceiling_Write/16384", 0.70),
        ("append 1 MiB batches, no flush", "BM_LogAppend/batch_bytes:1048576/flush:0", "BM_Ceiling_Write/1048576", 0.70),
        ("append 16 KiB batches, fsync each", "BM_LogAppend/batch_bytes:16384/flush:1", "BM_Ceiling_WriteFdatasync/16384", 0.70),
        ("append 1 MiB batches, fsync each", "BM_LogAppend/batch_bytes:1048576/flush:1", "BM_Ceiling_WriteFdatasync/1048576", 0.70),
        ("read 16 KiB from page cache", "BM_LogRead/read_bytes:16384", "BM_Ceiling_Memcpy/16384", 0.50),
        ("read 1 MiB from page cache", "BM_LogRead/read_bytes:1048576", "BM_Ceiling_Memcpy/1048576", 0.50),
    ]
    for label, ours, ceiling, target in rows:
        if ours not in b or ceiling not in b:
            print(f"| {label} | missing | | | |")
            continue
        ratio = mbps(b[ours]) / mbps(b[ceiling])
        verdict = "met" if ratio >= target else "below"
        print(f"| {label} | {mbps(b[ours]):,.0f} MB/s | {mbps(b[ceiling]):,.0f} MB/s | "
              f"{ratio:.0%} | ≥ {target:.0%} ({verdict}) |")
    for name, label in (("BM_Crc32c/bytes:1048576/hw:1", "CRC32C (hardware path)"),
                        ("BM_Crc32c/bytes:1048576/hw:0", "CRC32C (table path)")):
        if name in b:
            print(f"| {label} | {b[name]['bytes_per_second'] / 1e9:.2f} GB/s | | | |")
    rec = next((v for k, v in b.items() if k.startswith("BM_Recovery")), None)
    if rec:
        secs_per_gib = (1 << 30) / rec["bytes_per_second"]
        print(f"| crash recovery (validate every batch) | {secs_per_gib:.2f} s/GiB | | | |")
    tcp = b.get("BM_Ceiling_LoopbackTcp/65536")
    if tcp:
        print(f"| loopback TCP ceiling (one stream) | {mbps(tcp):,.0f} MB/s | | | |")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "log":
        sys.exit(__doc__)
    log_report(sys.argv[2])
