#!/usr/bin/env bash
# Mirror throughput and replication lag vs one-way WAN delay (issue 7), next to the source's own
# maximum acks=all produce rate measured in the same run. Needs root (network namespaces).
#   sudo bench/mirror.sh [BUILD_DIR] [SECONDS_PER_RUN] [DELAYS...]     (default: build 10 0 20 100)
# Environment:
#   MODES="partition batched"  the link's fetch modes compared, alternated per delay (ABBA):
#                              batched = one multi-partition Fetch per source broker (default
#                              of the link); partition = the previous one-Fetch-per-partition
#                              copy (MERIDIAN_MIRROR_FETCH=partition in west's environment)
#   PROXY_BUFFER_MB=64         the proxy's per-connection buffer, i.e. the bytes in flight the
#                              delayed hop can hold (its default 8 MiB caps a connection at
#                              80 MB/s at 100 ms, like an untuned TCP window on a long fat pipe)
#
# East and west are `meridian dev --brokers 1` in two network namespaces joined by a veth, the
# fault proxy in west on the WAN hop (tests/integration/mirror_netns/netns_lib.sh): east's
# producer (`meridian bench produce`, acks=all, 1 KiB records, 3 partitions) talks to east
# directly, only the link's fetches see the delay. Per delay and mode, west is restarted (fresh
# data dir, mirroring only that run's topics) and two runs on fresh topics follow:
#   full: east's producer at its maximum rate for SECONDS -> source MB/s; a `meridian bench
#         consume` in west reads the mirror topic: mirror MB/s (first to last record), records
#         copied, and end-to-end lag p50/p99 (east send stamp -> read in west: includes the
#         source's own produce latency, the WAN fetch and the mirror append);
#   half: the same at half the full run's rate: lag p50/p99, and the source's own acks=all
#         latency p99 of that run (the part of the lag that is not the mirror's).
# Every wait is bounded (each client has a duration and an idle timeout).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
SECONDS_PER_RUN=${2:-10}
shift $(($# < 2 ? $# : 2))
DELAYS=("$@")
[ ${#DELAYS[@]} -gt 0 ] || DELAYS=(0 20 100)
read -r -a MODE_LIST <<<"${MODES:-partition batched}"
PROXY_BUFFER=$(( ${PROXY_BUFFER_MB:-64} * 1024 * 1024 ))
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
MERIDIAN="$BUILD/cli/meridian"
PROXY="$BUILD/tests/tools/fault_proxy/meridian-fault-proxy"
TMP=$(mktemp -d /tmp/meridian-mirror-bench.XXXXXX)
# shellcheck source=../tests/integration/mirror_netns/netns_lib.sh
source "$ROOT/tests/integration/mirror_netns/netns_lib.sh"
trap 'netns_cleanup; rm -rf "$TMP"' EXIT
netns_setup
start_east
start_proxy 0 "$PROXY_BUFFER"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

field() {  # field JSON NAME
  /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# wait_mirrored TOPIC: the mirror topic exists and is caught up (bounded: 30 s).
wait_mirrored() {
  local i
  for ((i = 0; i < 150; i++)); do
    if mirror_json "/v3/clusters/-/links/west/mirrors" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
m = [m for m in json.load(sys.stdin)["data"] if m["mirror_topic_name"] == sys.argv[1]]
sys.exit(0 if m and m[0]["mirror_lags"] and all(p["lag_records"] == 0 and p["mirrored_offset"] >= 0
         and p["state"] == "mirroring" for p in m[0]["mirror_lags"]) else 1)' "$1"; then
      return 0
    fi
    sleep 0.2
  done
  echo "mirror of $1 not caught up after 30 s" >&2
  return 1
}

# one_run TOPIC RATE: prints "<produce json>|<consume json>".
one_run() {
  local topic=$1 rate=$2 prod cons
  in_east "$MERIDIAN" bench produce -t "$topic" -p 3 -r 1 -s 1024 --acks all -n 6 \
    --format json -b "$EAST_ADDR" >/dev/null
  wait_mirrored "$topic"
  in_west "$MERIDIAN" bench consume -t "$topic" --from end -d $((SECONDS_PER_RUN + 120)) \
    --idle-timeout-ms 5000 --format json -b "$WEST_BOOT" >"$TMP/consume.json" &
  local consumer=$!
  sleep 1
  prod=$(in_east "$MERIDIAN" bench produce -t "$topic" -p 3 -r 1 -s 1024 --acks all \
    -d "$SECONDS_PER_RUN" --rate "$rate" --format json -b "$EAST_ADDR" | tail -1)
  wait "$consumer" || true
  cons=$(tail -1 "$TMP/consume.json")
  echo "$prod|$cons"
}

# one_mode DELAY MODE: west restarted in MODE, a full and a half run; prints the table row.
one_mode() {
  local d=$1 mode=$2 topic="bench-d$1-$2" prod cons hprod hcons
  WEST_ENV=()
  [ "$mode" != partition ] || WEST_ENV=(MERIDIAN_MIRROR_FETCH=partition)
  start_west "$topic(-half)?"
  IFS='|' read -r prod cons <<<"$(one_run "$topic" 0)"
  local half
  half=$(/usr/bin/python3 -c "print(int(float('$(field "$prod" records_per_s)') / 2))")
  IFS='|' read -r hprod hcons <<<"$(one_run "$topic-half" "$half")"
  stop_west
  /usr/bin/python3 - "$d" "$mode" "$prod" "$cons" "$hprod" "$hcons" \
    "$(cut -d' ' -f1 /proc/loadavg)" <<'EOF'
import json, sys
d, mode, prod, cons, hprod, hcons, load = sys.argv[1:]
p, c, hp, hc = (json.loads(x) for x in (prod, cons, hprod, hcons))
print("| %s ms | %s | %.1f MB/s (%.0f rec/s) | %.1f MB/s (%.0f %%) | %d / %d | %.3f / %.3f s "
      "| %.3f / %.3f s (%.1f MB/s) | %.3f s | %s |"
      % (d, mode, p["mb_per_s"], p["records_per_s"], c["mb_per_s"],
         100 * c["mb_per_s"] / p["mb_per_s"], c["records"], p["records"], c["p50_ms"] / 1e3,
         c["p99_ms"] / 1e3, hc["p50_ms"] / 1e3, hc["p99_ms"] / 1e3, hp["mb_per_s"],
         hp["p99_ms"] / 1e3, load), flush=True)
EOF
}

echo "proxy buffer $PROXY_BUFFER bytes per connection and direction; modes: ${MODE_LIST[*]}"
printf '| one-way delay | fetch | source acks=all (max) | mirror, full load | copied | lag p50 / p99 full | lag p50 / p99 half load (rate) | source ack p99, half | load |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
n=0
for d in "${DELAYS[@]}"; do
  proxy_cmd delay "$d" >/dev/null
  order=("${MODE_LIST[@]}")
  if ((n % 2 == 1)); then  # ABBA: neither mode always runs first
    order=()
    for ((i = ${#MODE_LIST[@]} - 1; i >= 0; i--)); do order+=("${MODE_LIST[i]}"); done
  fi
  for mode in "${order[@]}"; do
    one_mode "$d" "$mode"
  done
  n=$((n + 1))
done
echo "load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
