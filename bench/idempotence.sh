#!/usr/bin/env bash
# Client producer benchmark (issues 5 and 6): starts `meridian dev --brokers 3` on free ports
# and, in this one run, with 1 KiB records on 6-partition topics with RF=3 and
# min.insync.replicas=2:
#   1. plain acks=all vs idempotent produce, alternating phases of DURATION s for ROUNDS rounds
#      (`meridian bench produce --compare-idempotence`), and the overhead;
#   2. acks=all with max_in_flight 1 (one batch per partition in flight: the old Producer) vs
#      5 (the default), alternating too.
# Prints the JSON lines and a markdown table with the load average (for bench/RESULTS.md).
#   ./bench/idempotence.sh                       (DURATION=8 ROUNDS=2)
#   MERIDIAN_BUILD_DIR=build-x MERIDIAN_SKIP_BUILD=1 DURATION=5 ./bench/idempotence.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${MERIDIAN_BUILD_DIR:-build}
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-2}
PY=/usr/bin/python3
if [ -z "${MERIDIAN_SKIP_BUILD:-}" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j2 --target meridian >/dev/null
fi
M=$BUILD/cli/meridian
TMP=$(mktemp -d)
. bench/bench_lib.sh
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
bench_start_dev "$M" "$TMP"
common=(-p 6 -r 3 --min-insync-replicas 2 -s 1024 -d "$DURATION" --format json -b "$BOOT")

echo "== plain acks=all vs idempotent, $ROUNDS rounds" >&2
"$M" bench produce -t bench-idem "${common[@]}" --compare-idempotence "$ROUNDS" | tee "$TMP/idem.jsonl"
echo "== acks=all max_in_flight 1 vs 5, $ROUNDS rounds" >&2
for round in $(seq 1 "$ROUNDS"); do
  for mif in 1 5; do
    "$M" bench produce -t bench-mif "${common[@]}" --max-in-flight "$mif" |
      $PY -c "import json,sys; j=json.loads(sys.stdin.readlines()[-1]); j['kind']='produce-mif$mif'; print(json.dumps(j))" |
      tee -a "$TMP/mif.jsonl"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
$PY - "$TMP/idem.jsonl" "$TMP/mif.jsonl" "$load_before" "$load_after" <<'PY'
import collections, json, sys
rows = collections.defaultdict(list)
summary = None
for path in sys.argv[1:3]:
    for line in open(path):
        j = json.loads(line)
        if j["kind"] == "idempotence-summary":
            summary = j
        else:
            rows[j["kind"]].append(j)
print("| run | phases | records/s | MB/s | p50 ms | p99 ms |")
print("|---|---|---|---|---|---|")
names = {"produce-plain": "acks=all (plain)", "produce-idempotent": "acks=all idempotent",
         "produce-mif1": "acks=all, max_in_flight 1", "produce-mif5": "acks=all, max_in_flight 5"}
for kind, label in names.items():
    r = rows.get(kind)
    if not r:
        continue
    mean = lambda k: sum(x[k] for x in r) / len(r)
    print(f"| {label} | {len(r)} | {mean('records_per_s'):,.0f} | {mean('mb_per_s'):.1f} | "
          f"{mean('p50_ms'):.2f} | {mean('p99_ms'):.2f} |")
if summary:
    print(f"\nidempotence overhead: {summary['overhead_percent']:.1f}% of plain acks=all records/s")
print(f"load average before {sys.argv[3]}, after {sys.argv[4]} (2 cores, shared)")
PY
