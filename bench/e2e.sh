#!/usr/bin/env bash
# End-to-end cluster benchmark (issue 4, Benchmarks): starts `meridian dev --brokers 3` on free
# ports and runs `meridian bench produce` with 1 KiB records for acks=all RF=3, acks=1 RF=3 and
# acks=1 RF=1 (MB/s, records/s, produce latency p50/p99/p999); then acks=all RF=3 at half the
# measured maximum rate with a concurrent `meridian bench consume` (end-to-end latency from
# the send time stamped in each value); and the loopback TCP ceiling (bench/ceilings.cc, run
# through log_bench) in the same run. Prints a markdown table and appends it, dated and with
# the load average, to bench/RESULTS.md. "broker CPU" is the user+system CPU time of the
# `meridian dev` process per MB produced: unlike MB/s and latency it hardly moves with the load
# other processes put on the machine, so it compares builds on a busy machine.
#   ./bench/e2e.sh                   10 s per run, appends to bench/RESULTS.md
#   DURATION=5 ./bench/e2e.sh --no-append
#   MERIDIAN_BUILD_DIR=build-x MERIDIAN_SKIP_BUILD=1 ./bench/e2e.sh   use binaries built already
#   MERIDIAN_LOG_WRITEBACK_BYTES=0 ./bench/e2e.sh --no-append   A/B: writeback left to the kernel
#   BENCH_PRODUCE_FLAGS=--coroutine-senders ./bench/e2e.sh --no-append   A/B: the load tool before
#     session 7 (a coroutine per record in flight: ~4x its CPU per record)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${MERIDIAN_BUILD_DIR:-build}
DURATION=${DURATION:-10}
APPEND=1
[ "${1:-}" = "--no-append" ] && APPEND=0
PY=/usr/bin/python3

if [ -z "${MERIDIAN_SKIP_BUILD:-}" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j2 --target meridian log_bench >/dev/null
fi
M=$BUILD/cli/meridian
TMP=$(mktemp -d)
. bench/bench_lib.sh

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
bench_start_dev "$M" "$TMP"
# Dirty + Writeback page cache (MB) once a second: second-long produce stalls come from the
# kernel throttling writers (balance_dirty_pages) when this gets near vm.dirty_ratio.
( while kill -0 "$DEV_PID" 2>/dev/null; do
    awk '/^(Dirty|Writeback):/ {s += $2} END {print int(s / 1024)}' /proc/meminfo
    sleep 1
  done ) >"$TMP/dirty.txt" 2>/dev/null &
DIRTY_SAMPLER=$!

cpu_ticks() { awk '{print $14 + $15}' "/proc/$DEV_PID/stat"; }
bench() {  # bench NAME ACKS RF [more flags]
  local name=$1 acks=$2 rf=$3 before line
  shift 3
  # Each run starts with the earlier runs' data on disk: their writeback would otherwise compete
  # with this run's appends (measured: the half-rate p99 doubled after the max-rate runs).
  sync
  before=$(cpu_ticks)
  line=$("$M" bench produce -t "bench-$name" --acks "$acks" -r "$rf" -p 6 -s 1024 -d "$DURATION" \
    --format json -b "$BOOT" ${BENCH_PRODUCE_FLAGS:-} "$@" | tail -1)
  # Adds broker_cpu_ticks (clock ticks of the broker process during the run) to the JSON line.
  echo "${line%\}},\"broker_cpu_ticks\":$(($(cpu_ticks) - before))}" | tee -a "$TMP/results.jsonl"
}
echo "== loopback ceiling" >&2
"$BUILD/bench/log_bench" --benchmark_filter=LoopbackTcp --benchmark_min_time=2 \
  --benchmark_format=json >"$TMP/ceiling.json" 2>/dev/null
echo "== acks=all RF=3" >&2
max=$(bench all-rf3 all 3 | $PY -c 'import json,sys; print(int(json.load(sys.stdin)["records_per_s"]))')
echo "== acks=1 RF=3" >&2
bench one-rf3 1 3 >/dev/null
echo "== acks=1 RF=1" >&2
bench one-rf1 1 1 >/dev/null
half=$((max / 2))
echo "== acks=all RF=3 at $half records/s (half of $max) with an end-to-end consumer" >&2
"$M" topic create bench-half -p 6 -r 3 -b "$BOOT" >/dev/null
# The consumer asks any broker once: wait until the new topic's metadata reached them all.
for _ in $(seq 1 50); do
  [ "$(kcat -b "$BOOT" -L -t bench-half -m 3 2>/dev/null | grep -c 'leader [0-9]')" = 6 ] && break
  sleep 0.1
done
"$M" bench consume -t bench-half --from end -d $((DURATION + 30)) --idle-timeout-ms 3000 \
  --format json -b "$BOOT" >"$TMP/consume.json" &
CONSUMER=$!
sleep 1
bench half all 3 --rate "$half" >/dev/null
wait "$CONSUMER" || true
tail -1 "$TMP/consume.json" >>"$TMP/results.jsonl"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$DIRTY_SAMPLER" 2>/dev/null || true
dirty_peak=$(sort -n "$TMP/dirty.txt" | tail -1)

report=$($PY - "$TMP/results.jsonl" "$TMP/ceiling.json" "$load_before" "$load_after" "$DURATION" "${dirty_peak:-?}" <<'PYEOF'
import json, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ceiling = json.load(open(sys.argv[2]))["benchmarks"][0]["bytes_per_second"] / 1e6
out = []
out.append(f"\n## Cluster produce/consume over loopback ({datetime.date.today().isoformat()}, `bench/e2e.sh`)\n")
out.append(f"`meridian dev --brokers 3` and the load tool on the same 2 cores, 1 KiB records, 6 partitions, "
           f"{sys.argv[5]} s per run, batch.size 256 KiB, linger 2 ms, 2,048 records in flight "
           f"(one sending loop with completion callbacks, as kafka-producer-perf-test). "
           f"Load average (1/5/15 min) before: {sys.argv[3]}, after: {sys.argv[4]} "
           f"(the machine is shared with other builds: figures are noisy). Peak dirty + writeback "
           f"page cache during the runs: {sys.argv[6]} MB.\n")
import os
hz = os.sysconf("SC_CLK_TCK")
out.append("| Run | MB/s | records/s | p50 ms | p99 ms | p999 ms | vs loopback TCP | broker CPU ms/MB |")
out.append("|---|---|---|---|---|---|---|---|")
names = {"bench-all-rf3": "produce acks=all RF=3", "bench-one-rf3": "produce acks=1 RF=3",
         "bench-one-rf1": "produce acks=1 RF=1", "bench-half": "produce acks=all RF=3 at half rate"}
for r in rows:
    name = names.get(r["topic"], r["topic"])
    if r["kind"] == "consume":
        name = "end-to-end (consume) at half rate"
    out.append(f"| {name} | {r['mb_per_s']:.1f} | {r['records_per_s']:,.0f} | {r['p50_ms']:.2f} | "
               f"{r['p99_ms']:.2f} | {r['p999_ms']:.2f} | {100 * r['mb_per_s'] / ceiling:.0f} % | "
               + (f"{1000 * r['broker_cpu_ticks'] / hz / (r['bytes'] / 1e6):.2f} |"
                  if "broker_cpu_ticks" in r and r.get("bytes") else " |"))
out.append(f"| loopback TCP ceiling, one stream (same run) | {ceiling:,.0f} | | | | | 100 % | |")
print("\n".join(out))
PYEOF
)
echo "$report"
if [ "$APPEND" = 1 ]; then
  echo "$report" >>bench/RESULTS.md
  echo "appended to bench/RESULTS.md" >&2
fi
