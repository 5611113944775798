#!/usr/bin/env bash
# Mirror throughput and replication lag vs one-way WAN delay (issue 7), next to the source's own
# maximum acks=all produce rate measured in the same run. Needs root (network namespaces).
#   sudo bench/mirror.sh [BUILD_DIR] [SECONDS_PER_RUN] [DELAYS...]     (default: build 10 0 20 100)
#
# East and west are `meridian dev --brokers 1` in two network namespaces joined by a veth, the
# fault proxy in west on the WAN hop (tests/integration/mirror_netns/netns_lib.sh): east's
# producer (`meridian bench produce`, acks=all, 1 KiB records, 3 partitions) talks to east
# directly, only the link's fetches see the delay. Per delay, two runs on fresh topics:
#   full: east's producer at its maximum rate for SECONDS -> source MB/s; a `meridian bench
#         consume` in west reads the mirror topic: mirror MB/s (first to last record), records
#         copied, and end-to-end lag p50/p99 (east send stamp -> read in west: includes the
#         source's own produce latency, the WAN fetch and the mirror append);
#   half: the same at half the full run's rate: lag p50/p99.
# Every wait is bounded (each client has a duration and an idle timeout).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
SECONDS_PER_RUN=${2:-10}
shift $(($# < 2 ? $# : 2))
DELAYS=("$@")
[ ${#DELAYS[@]} -gt 0 ] || DELAYS=(0 20 100)
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
MERIDIAN="$BUILD/cli/meridian"
PROXY="$BUILD/tests/tools/fault_proxy/meridian-fault-proxy"
TMP=$(mktemp -d /tmp/meridian-mirror-bench.XXXXXX)
# shellcheck source=../tests/integration/mirror_netns/netns_lib.sh
source "$ROOT/tests/integration/mirror_netns/netns_lib.sh"
trap 'netns_cleanup; rm -rf "$TMP"' EXIT
netns_setup
start_dcs 0 'bench.*'
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

printf '| one-way delay | source acks=all (max) | mirror, full load | copied | lag p50 / p99 full | lag p50 / p99 half load (%s) |\n' "rate"
printf '|---|---|---|---|---|---|\n'
for d in "${DELAYS[@]}"; do
  proxy_cmd delay "$d" >/dev/null
  IFS='|' read -r prod cons <<<"$(one_run "bench-d$d" 0)"
  src_mb=$(field "$prod" mb_per_s)
  src_rec=$(field "$prod" records_per_s)
  produced=$(field "$prod" records)
  mir_mb=$(field "$cons" mb_per_s)
  copied=$(field "$cons" records)
  f50=$(field "$cons" p50_ms)
  f99=$(field "$cons" p99_ms)
  half=$(/usr/bin/python3 -c "print(int(float('$src_rec') / 2))")
  IFS='|' read -r hprod hcons <<<"$(one_run "bench-d$d-half" "$half")"
  h50=$(field "$hcons" p50_ms)
  h99=$(field "$hcons" p99_ms)
  hmb=$(field "$hprod" mb_per_s)
  /usr/bin/python3 - "$d" "$src_mb" "$src_rec" "$mir_mb" "$copied" "$produced" "$f50" "$f99" \
    "$h50" "$h99" "$hmb" <<'EOF'
import sys
d, smb, srec, mmb, copied, produced, f50, f99, h50, h99, hmb = sys.argv[1:]
smb, mmb = float(smb), float(mmb)
print("| %s ms | %.1f MB/s (%.0f rec/s) | %.1f MB/s (%.0f %%) | %s / %s | %.3f / %.3f s | %.3f / %.3f s (%.1f MB/s) |"
      % (d, smb, float(srec), mmb, 100 * mmb / smb, copied, produced, float(f50) / 1e3,
         float(f99) / 1e3, float(h50) / 1e3, float(h99) / 1e3, float(hmb)), flush=True)
EOF
done
echo "load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
