#!/usr/bin/env bash
# REST gateway throughput (issue 6), loopback, wrk, in one run next to a bare Beast "return 200"
# server (bench/bare_beast.cc) with the same thread count:
#   1. single-record produce, acks=all, RF=3 (POST /topics/b1 with one binary record), with
#      CONNS and then WIDE_CONNS connections: each connection waits for its answer before it
#      sends again, so CONNS / latency caps the first figure (64 / 2.5 ms); the second shows
#      what the server does when the client does not cap it
#   2. batched produce: 100 x 1 KiB records per request (MB/s of record payload)
#   3. the bare Beast server answering the single-record request
#   4. long-poll consume of what run 2 wrote: the stateless GET .../partitions/{p}/records (one
#      keep-alive connection per partition) and one v2 consumer instance (GET .../records with
#      timeout), each for DURATION, MB/s of record values 
#   5. INSTANCES idle v2 consumer instances created and held, in a FRESH `meridian dev`
#      (1 broker, nothing else done in it): RSS sampled before, at INSTANCES/2 and at INSTANCES;
#      KiB per instance from the second half (the slope, free of one-time allocations), with
#      the RSS drift of an idle second before as the noise figure
#   ./bench/gateway.sh [BUILD_DIR]      env: DURATION (10s), CONNS (64), WIDE_CONNS (256),
#                                            THREADS (2),
#                                            WARMUP (2s of the single-record load, unmeasured,
#                                            before runs 1 and 3; 0 skips it),
#                                            INSTANCES (20000; 0 skips 4 and 5),
#                                            PARTS (all; or a comma list of single,wide,batch,
#                                            bare,consume,idle: e.g. PARTS=single to profile it)
# Prints a markdown table for bench/RESULTS.md, with the load average (the machine is shared) and
# the CPU time the server process spent per request (from /proc: comparable under load too).
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
MERIDIAN=$BUILD/cli/meridian
BARE=$BUILD/bench/bare_beast
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
WIDE_CONNS=${WIDE_CONNS:-256}
THREADS=${THREADS:-2}
INSTANCES=${INSTANCES:-20000}
PARTS=${PARTS:-all}
want() { [ "$PARTS" = all ] || [[ ",$PARTS," == *",$1,"* ]]; }
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

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
DEV_PID=${PIDS[0]}
BARE_PID=${PIDS[1]}
cat >"$TMP/consume.py" <<'PY'
# Long-poll consume and idle-instance memory for bench/gateway.sh (written to $TMP by it).
# argv: GW TOPIC PARTITIONS SECONDS INSTANCES PID. Prints markdown table rows.
import http.client, json, sys, threading, time, urllib.parse

gw, topic, parts, secs, instances, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
u = urllib.parse.urlparse(gw)
BIN = "application/vnd.kafka.binary.v2+json"
V2 = "application/vnd.kafka.v2+json"


def conn():
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def call(c, method, path, body=None, ctype=V2, accept=V2):
    headers = {"Accept": accept}
    if body is not None:
        headers["Content-Type"] = ctype
        body = json.dumps(body)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    return r.status, data


def value_bytes(records):
    n = 0
    for rec in records:
        v = rec.get("value") or ""
        n += len(v) * 3 // 4 - (v.endswith("==") + v.endswith("="))
    return n


def stateless():
    # One keep-alive connection per partition, each walking its partition from offset 0.
    totals = [0] * parts
    reqs = [0] * parts
    deadline = time.monotonic() + secs

    def walk(p):
        c = conn()
        offset = 0
        while time.monotonic() < deadline:
            st, data = call(c, "GET", "/topics/%s/partitions/%d/records?offset=%d&max_bytes=4194304"
                            "&timeout=1000" % (topic, p, offset), accept=BIN)
            assert st == 200, (st, data[:200])
            recs = json.loads(data)
            reqs[p] += 1
            if recs:
                totals[p] += value_bytes(recs)
                offset = recs[-1]["offset"] + 1
    start = time.monotonic()
    ts = [threading.Thread(target=walk, args=(p,)) for p in range(parts)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.monotonic() - start
    return sum(totals) / took / 1e6, sum(reqs)


def instance():
    c = conn()
    st, data = call(c, "POST", "/consumers/bench-lp", {"name": "lp", "format": "binary",
                    "auto.offset.reset": "earliest", "auto.commit.enable": "false"})
    assert st == 200, (st, data)
    base = urllib.parse.urlparse(json.loads(data)["base_uri"]).path
    st, data = call(c, "POST", base + "/subscription", {"topics": [topic]})
    assert st == 204, (st, data)
    total, reqs, start = 0, 0, None
    deadline = time.monotonic() + secs + 30  # the group join comes first, bounded
    while time.monotonic() < deadline:
        st, data = call(c, "GET", base + "/records?timeout=1000&max_bytes=4194304", accept=BIN)
        assert st == 200, (st, data[:200])
        recs = json.loads(data)
        if recs and start is None:
            start = time.monotonic()  # from the first records: the join is not consume time
            deadline = start + secs
        if start is not None:
            total += value_bytes(recs)
            reqs += 1
    took = time.monotonic() - start if start else 1
    call(c, "DELETE", base)
    return total / took / 1e6, reqs


def rss_kib():
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle(n):
    # Run against a fresh process: one-time allocations (the first instance, the HTTP path) are
    # made by a warm-up instance, created and deleted, before the first sample.
    c = conn()
    st, data = call(c, "POST", "/consumers/bench-warm", {"name": "w", "format": "binary"})
    assert st == 200, (st, data)
    st, _ = call(c, "DELETE", "/consumers/bench-warm/instances/w")
    assert st == 204, st
    time.sleep(1)
    idle0 = rss_kib()
    time.sleep(1)
    before = rss_kib()
    start = time.monotonic()
    created, half, mid = 0, n // 2, None
    for i in range(n):
        st, data = call(c, "POST", "/consumers/bench-idle", {"name": "i%d" % i, "format": "binary"})
        assert st == 200, (st, data)
        created += 1
        if created == half:
            time.sleep(0.5)
            mid = rss_kib()
        if time.monotonic() - start > 120:
            break
    took = time.monotonic() - start
    time.sleep(1)
    after = rss_kib()
    # Still held: the first and the last answer (an expired one would be 404).
    for i in (0, created - 1):
        st, _ = call(c, "GET", "/consumers/bench-idle/instances/i%d/subscription" % i)
        assert st == 200, ("instance i%d gone" % i, st)
    slope = (after - mid) / (created - half) if mid is not None and created > half else 0.0
    return created, took, before, mid or 0, after, (after - before) / created, slope, before - idle0


if len(sys.argv) > 7 and sys.argv[7] == "idle":
    created, took, before, mid, after, per, slope, drift = idle(instances)
    print("| idle v2 consumer instances held, fresh `meridian dev --brokers 1` | %d (created in "
          "%.1f s) | RSS %.1f -> %.1f -> %.1f MiB (0, %d, %d) | **%.2f KiB per instance** "
          "(second half; %.2f KiB over all) | | idle RSS drift %+d KiB/s |"
          % (created, took, before / 1024, mid / 1024, after / 1024, created // 2, created,
             slope, per, drift))
    sys.exit(0)

mbs, n = stateless()
print("| long-poll consume, stateless GET /topics/%s/partitions/{p}/records, %d conns | %.1f MB/s "
      "(%d requests) | | | | |" % (topic, parts, mbs, n))
mbs, n = instance()
print("| long-poll consume, one v2 consumer instance (GET .../records?timeout=1000) | %.1f MB/s "
      "(%d requests) | | | | |" % (mbs, n))
PY

run() {  # run NAME URL SCRIPT CONNS PID -> "reqs errors p50us p99us cpu_ticks_of_PID"
  local t0
  t0=$(cpu_ticks "$5")
  wrk -t2 -c"$4" -d"$DURATION" --latency -s "$3" "$2" >"$TMP/$1.wrk" 2>&1
  echo "$(grep '^RESULT' "$TMP/$1.wrk" | awk '{print $2, $3, $4, $5}') $(($(cpu_ticks "$5") - t0))"
}
warm_up() {  # warm_up URL -> acknowledged requests: connections, pools and caches warm first
  [ "${WARMUP:-2s}" = 0 ] && { echo 0; return; }
  wrk -t2 -c"$CONNS" -d"${WARMUP:-2s}" -s "$TMP/one.lua" "$1" >"$TMP/warm.wrk" 2>&1
  grep '^RESULT' "$TMP/warm.wrk" | awk '{print $2 - $3}'
}
secs=${DURATION%s}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
n1=0 e1=0 nw=0 ew=0 nb=0 n0=0 warm1=0
want single && warm1=$(warm_up "$GW/topics/b1")
want single && read -r n1 e1 p50_1 p99_1 c1 < <(run single "$GW/topics/b1" "$TMP/one.lua" "$CONNS" "$DEV_PID")
want wide && read -r nw ew p50_w p99_w cw < <(run wide "$GW/topics/b1" "$TMP/one.lua" "$WIDE_CONNS" "$DEV_PID")
want batch && read -r nb eb p50_b p99_b cb < <(run batch "$GW/topics/b100" "$TMP/batch.lua" 16 "$DEV_PID")
want bare && warm_up "$BARE_URL/topics/b1" >/dev/null
want bare && read -r n0 e0 p50_0 p99_0 c0 < <(run bare "$BARE_URL/topics/b1" "$TMP/one.lua" "$CONNS" "$BARE_PID")
consume=""
if [ "$INSTANCES" -gt 0 ] && want consume && want batch; then
  consume=$(timeout 300 /usr/bin/python3 "$TMP/consume.py" "$GW" b100 3 "$secs" \
    "$INSTANCES" "$DEV_PID" 2>"$TMP/consume.err") || { echo "consume bench failed"; cat "$TMP/consume.err"; }
fi
# Verify: every acknowledged record is in the log (end offsets sum >= acknowledged requests).
ends=0
for p in 0 1 2; do
  e=$(curl -s "$GW/topics/b1/partitions/$p/offsets" | sed -n 's/.*"end_offset":\([0-9]*\).*/\1/p')
  ends=$((ends + ${e:-0}))
done
idle=""
if [ "$INSTANCES" -gt 0 ] && want idle; then
  # Idle instances in a fresh process: the run above freed memory malloc would hand out again.
  kill "$DEV_PID" 2>/dev/null
  wait "$DEV_PID" 2>/dev/null
  "$MERIDIAN" dev --brokers 1 --port 0 --gateway-port 0 --admin-port 0 --data-dir "$TMP/idle" \
    >"$TMP/idle.out" 2>"$TMP/idle.err" &
  IDLE_PID=$!
  PIDS+=("$IDLE_PID")
  IGW=""
  for _ in $(seq 1 100); do
    IGW=$(sed -n 's/.*gateway \(http:\/\/[0-9.]*:[0-9]*\).*/\1/p' "$TMP/idle.out")
    [ -n "$IGW" ] && break
    sleep 0.1
  done
  if [ -n "$IGW" ]; then
    idle=$(timeout 300 /usr/bin/python3 "$TMP/consume.py" "$IGW" none 0 0 "$INSTANCES" \
      "$IDLE_PID" idle 2>"$TMP/idle.py.err") || { echo "idle-instance bench failed"; cat "$TMP/idle.py.err"; }
  else
    echo "fresh meridian dev did not start"; cat "$TMP/idle.err"
  fi
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "| scenario (loopback, $THREADS gateway threads, wrk ${DURATION}) | requests/s | p50 | p99 | errors | server CPU per request |"
echo "|---|---|---|---|---|---|"
tick_us=$((1000000 / $(getconf CLK_TCK)))
row() {  # row LABEL REQUESTS ERRORS P50_US P99_US CPU_TICKS: one req/s table line
  awk -v l="$1" -v n="$2" -v e="$3" -v a="$4" -v b="$5" -v t="$6" -v s="$secs" -v u="$tick_us" \
    'BEGIN{printf "| %s | %.0f | %.2f ms | %.2f ms | %d | %.0f us |\n", l, n/s, a/1000, b/1000, e, t*u/(n>0?n:1)}'
}
[ "$n1" -gt 0 ] && row "single-record produce, acks=all RF=3, $CONNS conns" "$n1" "$e1" "$p50_1" "$p99_1" "$c1"
[ "$nw" -gt 0 ] && row "single-record produce, acks=all RF=3, $WIDE_CONNS conns" "$nw" "$ew" "$p50_w" "$p99_w" "$cw"
[ "$nb" -gt 0 ] && awk -v n="$nb" -v s="$secs" -v a="$p50_b" -v b="$p99_b" -v e="$eb" -v t="$cb" -v u="$tick_us" 'BEGIN{printf "| batched produce 100 x 1 KiB, 16 conns | %.0f (%.1f MB/s) | %.2f ms | %.2f ms | %d | %.0f us |\n", n/s, n*100*1024/s/1e6, a/1000, b/1000, e, t*u/(n>0?n:1)}'
[ "$n0" -gt 0 ] && row "bare Beast return-200 (same request), $CONNS conns" "$n0" "$e0" "$p50_0" "$p99_0" "$c0"
[ -n "$consume" ] && echo "$consume"
[ -n "$idle" ] && echo "$idle"
echo
echo "load average before: $load_before, after: $load_after ($(nproc) cores)"
echo "b1 end offsets sum: $ends (>= acknowledged single-record requests: $((n1 - e1 + nw - ew)) + $((warm1 + 1)) warm-up)"
