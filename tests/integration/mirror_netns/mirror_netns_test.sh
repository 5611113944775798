#!/usr/bin/env bash
# Mirror between two DCs in two network namespaces (netns_lib.sh), the fault proxy on the WAN
# hop with 20 ms one-way delay:
#   1. steady state: 1,500 keyed records with headers produced in east (kafka-python, acks=all)
#      appear in west at the same offsets with the same key, value, headers and timestamp;
#   2. cut: `meridian bench produce` keeps writing in east while the proxy cuts the link for
#      4 s: west's lag_seconds rises during the cut, lag returns to 0 after the heal,
#      and west holds exactly east's records (same digests, no gap, no duplicate), including
#      every acknowledged one (the pipelined copy loop restarts from the target's log end).
# Usage: mirror_netns_test.sh MERIDIAN PROXY. Needs root: without it the test fails, loudly.
set -uo pipefail
MERIDIAN=$1
PROXY=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/meridian-mirror-netns.XXXXXX)
# shellcheck source=netns_lib.sh
source "$HERE/netns_lib.sh"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1 [${SECONDS}s]"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
finish() {
  netns_cleanup
  if [ "$failed" -gt 0 ]; then
    for f in "$TMP"/*.err; do echo "--- $f"; tail -15 "$f"; done
  fi
  rm -rf "$TMP"
}
trap finish EXIT

netns_setup  # exits 1 with a clear message without CAP_NET_ADMIN
start_dcs 20 'orders' || { bad "east, proxy and west start"; exit 1; }
ok "east and west in namespaces $NS_EAST / $NS_WEST, proxy (20 ms) on the WAN hop"

# lag TOPIC: "<sum lag_records> <max lag_seconds> <partitions mirroring>" from west's link.
lag() {
  mirror_json /v3/clusters/-/links/west/mirrors 2>/dev/null | $PY -c '
import json, sys
m = [m for m in json.load(sys.stdin)["data"] if m["mirror_topic_name"] == sys.argv[1]]
p = m[0]["mirror_lags"] if m else []
print(sum(x["lag_records"] for x in p), max([x["lag_seconds"] for x in p] or [0]),
      sum(1 for x in p if x["state"] == "mirroring" and x["mirrored_offset"] >= 0))' "$1"
}

# caught_up TOPIC TENTHS: waits for lag 0 on all 3 partitions.
caught_up() {
  local i l
  for ((i = 0; i < $2; i++)); do
    l=$(lag "$1")
    if [[ "$l" == "0 "*" 3" ]]; then
      return 0
    fi
    sleep 0.1
  done
  echo "last lag: $l"
  return 1
}

# compare TOPIC WHAT: east's and west's digests of TOPIC are equal and gap-free.
compare() {
  local e w
  e=$(in_east $PY "$HERE/dump_topic.py" "$EAST_ADDR" "$1" 3 2>"$TMP/dump-east.err")
  w=$(in_west $PY "$HERE/dump_topic.py" "$WEST_BOOT" "$1" 3 2>"$TMP/dump-west.err")
  if [ -n "$e" ] && [ "$e" = "$w" ] && [[ "$e" == *'"gaps": []'* ]]; then
    ok "$2"
  else
    bad "$2"
    echo "east: $e"
    echo "west: $w"
  fi
  EAST_DUMP=$e
}

# 1. steady state
in_east $PY - "$EAST_ADDR" >"$TMP/produce.out" 2>"$TMP/produce.err" <<'EOF'
import sys
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
KafkaAdminClient(bootstrap_servers=sys.argv[1]).create_topics([NewTopic("orders", 3, 1)])
p = KafkaProducer(bootstrap_servers=sys.argv[1], acks="all", linger_ms=5)
fs = [p.send("orders", key=b"k%d" % i, value=b"v%d" % i, partition=i % 3,
             headers=[("i", str(i).encode())]) for i in range(1500)]
print(sum(1 for f in fs if f.get(timeout=60)))
EOF
acked=$(cat "$TMP/produce.out")
if [ "$acked" = 1500 ] && caught_up orders 300; then
  ok "steady state: 1500 acknowledged records mirrored, lag 0"
else
  bad "steady state: acked '$acked', mirror caught up within 30 s"
fi
compare orders "steady state: west = east (offsets, keys, values, headers, timestamps)"
if [[ "$EAST_DUMP" == *'"keyed": 1500'*'"keys": 1500'* ]]; then
  ok "east holds each of the 1500 keys once"
else
  bad "east keys: $EAST_DUMP"
fi

# 2. cut during production, then heal
in_east "$MERIDIAN" bench produce -t orders -p 3 -r 1 -s 1024 --acks all --rate 2000 -d 7 \
  --format json -b "$EAST_ADDR" >"$TMP/bench.out" 2>"$TMP/bench.err" &
bench_pid=$!
# One process in west cuts the link after 2 s, samples west's lag for 4 s, heals.
cut=$(in_west $PY - "$ADMIN" "$CONTROL" 2>"$TMP/cut.err" <<'EOF'
import json, socket, sys, time, urllib.request
admin, control = sys.argv[1], int(sys.argv[2])
def proxy(cmd):
    with socket.create_connection(("127.0.0.1", control), timeout=5) as s:
        s.sendall((cmd + "\n").encode())
        assert s.makefile().readline().startswith("ok")
def lag_seconds():
    body = json.loads(urllib.request.urlopen(admin + "/v3/clusters/-/links/west/mirrors", timeout=5).read())
    return max(p["lag_seconds"] for m in body["data"] if m["mirror_topic_name"] == "orders"
               for p in m["mirror_lags"])
time.sleep(2)
proxy("cut")
cut_at, peak = time.time(), 0.0
while time.time() - cut_at < 4:
    peak = max(peak, lag_seconds())
    time.sleep(0.1)
proxy("heal")
print("%.2f %.2f" % (time.time() - cut_at, peak))
EOF
)
read -r cut_s max_seconds <<<"$cut"
wait "$bench_pid"
bench=$(tail -1 "$TMP/bench.out")
bench_acked=$($PY -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["records"] if j["errors"] == 0 else -1)' "$bench" 2>/dev/null)
if $PY -c "import sys; sys.exit(0 if 2.5 <= float('${max_seconds:-0}') <= float('${cut_s:-0}') + 2 else 1)"; then
  ok "lag rose during the ${cut_s} s cut: lag_seconds reached $max_seconds"
else
  bad "lag during the cut: '$cut' (want lag_seconds >= 2.5 and about the cut's length)"
fi
heal_start=$(date +%s.%N)
if caught_up orders 300; then
  ok "lag back to 0 $($PY -c "import time; print('%.1f' % (time.time() - $heal_start))") s after production ended"
else
  bad "lag did not return to 0 within 30 s of the heal"
fi
read -r _ s _ <<<"$(lag orders)"
if $PY -c "import sys; sys.exit(0 if float('$s') < 2 else 1)"; then
  ok "lag_seconds back to ~0 ($s s)"
else
  bad "lag_seconds still $s after catching up"
fi
compare orders "after cut + heal: west = east, no gap, no duplicate"
total=$($PY -c 'import json,sys; j=json.loads(sys.argv[1]); print(sum(j[str(p)][1] for p in range(3)))' "$EAST_DUMP" 2>/dev/null)
if [ "${bench_acked:--1}" -gt 0 ] && [ "${total:-0}" -ge $((1500 + bench_acked)) ]; then
  ok "all $((1500 + bench_acked)) acknowledged records are in both DCs ($total records)"
else
  bad "acknowledged: 1500 + '$bench_acked', records in east and west: '$total'"
fi

echo "passed $passed, failed $failed"
[ "$failed" -eq 0 ]
