#!/usr/bin/env bash
# REST gateway throughput (issue 6), loopback, wrk, in one run next to a bare Beast "return 200"
# server (bench/bare_beast.cc) with the same thread count:
#   1. single-record produce, acks=all, RF=3 (POST /topics/b1 with one binary record)
#   2. batched produce: 100 x 1 KiB records per request (MB/s of record payload)
#   3. the bare Beast server answering the single-record request
#   ./bench/gateway.sh [BUILD_DIR]      env: DURATION (10s), CONNS (64), THREADS (2)
# Prints a markdown table for bench/RESULTS.md, with the load average (the machine is shared).
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
MERIDIAN=$BUILD/cli/meridian
BARE=$BUILD/bench/bare_beast
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
for f in "$MERIDIAN" "$BARE"; do
  [ -x "$f" ] || { echo "missing $f (cmake --build $BUILD --target meridian bare_beast)"; exit 2; }
done

"$MERIDIAN" dev --brokers 3 --port 0 --gateway-port 0 --admin-port 0 --data-dir "$TMP/data" \
  --set num.partitions=3 --set default.replication.factor=3 >"$TMP/dev.out" 2>"$TMP/dev.err" &
PIDS+=($!)
GW=""
for _ in $(seq 1 100); do
  GW=$(sed -n 's/.*gateway \(http:\/\/[0-9.]*:[0-9]*\).*/\1/p' "$TMP/dev.out")
  [ -n "$GW" ] && break
  sleep 0.1
done
[ -n "$GW" ] || { echo "meridian dev did not start"; cat "$TMP/dev.err"; exit 1; }
"$BARE" 0 "$THREADS" >"$TMP/bare.out" &
PIDS+=($!)
sleep 0.5
BARE_URL="http://127.0.0.1:$(awk '{print $2}' "$TMP/bare.out")"

BIN='application/vnd.kafka.binary.v2+json'
# Create the topics (RF=3) and warm the producer path.
for t in b1 b100; do
  curl -s -XPOST "$GW/v3/clusters/meridian/topics" -H 'Content-Type: application/json' \
    -d "{\"topic_name\":\"$t\",\"partitions_count\":3,\"replication_factor\":3}" >/dev/null
done
curl -s -XPOST "$GW/topics/b1" -H "Content-Type: $BIN" -d '{"records":[{"value":"aGVsbG8="}]}' >/dev/null

/usr/bin/python3 - "$TMP" <<'PY'
import base64, json, sys
tmp = sys.argv[1]
one = json.dumps({"records": [{"value": base64.b64encode(b"x" * 100).decode()}]})
batch = json.dumps({"records": [{"value": base64.b64encode(b"y" * 1024).decode()}] * 100})
for name, body in (("one", one), ("batch", batch)):
    with open("%s/%s.lua" % (tmp, name), "w") as f:
        f.write('wrk.method = "POST"\n')
        f.write('wrk.headers["Content-Type"] = "application/vnd.kafka.binary.v2+json"\n')
        f.write("wrk.body = %s\n" % json.dumps(body))
        f.write('done = function(summary, latency, requests)\n'
                '  io.write(string.format("RESULT %d %d %.0f %.0f\\n", summary.requests, '
                'summary.errors.status + summary.errors.connect + summary.errors.read + '
                'summary.errors.write + summary.errors.timeout, latency:percentile(50), '
                'latency:percentile(99)))\nend\n')
PY

run() {  # run NAME URL SCRIPT CONNS -> "reqs errors p50us p99us"
  wrk -t2 -c"$4" -d"$DURATION" --latency -s "$3" "$2" >"$TMP/$1.wrk" 2>&1
  grep '^RESULT' "$TMP/$1.wrk" | awk '{print $2, $3, $4, $5}'
}
secs=${DURATION%s}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
read -r n1 e1 p50_1 p99_1 < <(run single "$GW/topics/b1" "$TMP/one.lua" "$CONNS")
read -r nb eb p50_b p99_b < <(run batch "$GW/topics/b100" "$TMP/batch.lua" 16)
read -r n0 e0 p50_0 p99_0 < <(run bare "$BARE_URL/topics/b1" "$TMP/one.lua" "$CONNS")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
# Verify: every acknowledged record is in the log (end offsets sum >= acknowledged requests).
ends=0
for p in 0 1 2; do
  e=$(curl -s "$GW/topics/b1/partitions/$p/offsets" | sed -n 's/.*"end_offset":\([0-9]*\).*/\1/p')
  ends=$((ends + ${e:-0}))
done

echo
echo "| scenario (loopback, $THREADS gateway threads, wrk ${DURATION}) | requests/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|"
awk -v n="$n1" -v s="$secs" -v a="$p50_1" -v b="$p99_1" -v e="$e1" -v c="$CONNS" 'BEGIN{printf "| single-record produce, acks=all RF=3, %d conns | %.0f | %.2f ms | %.2f ms | %d |\n", c, n/s, a/1000, b/1000, e}'
awk -v n="$nb" -v s="$secs" -v a="$p50_b" -v b="$p99_b" -v e="$eb" 'BEGIN{printf "| batched produce 100 x 1 KiB, 16 conns | %.0f (%.1f MB/s) | %.2f ms | %.2f ms | %d |\n", n/s, n*100*1024/s/1e6, a/1000, b/1000, e}'
awk -v n="$n0" -v s="$secs" -v a="$p50_0" -v b="$p99_0" -v e="$e0" -v c="$CONNS" 'BEGIN{printf "| bare Beast return-200 (same request), %d conns | %.0f | %.2f ms | %.2f ms | %d |\n", c, n/s, a/1000, b/1000, e}'
echo
echo "load average before: $load_before, after: $load_after ($(nproc) cores)"
echo "b1 end offsets sum: $ends (>= acknowledged single-record requests: $((n1 - e1)) + 1 warm-up)"
