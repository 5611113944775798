# Two datacenters in two network namespaces, for the mirror test and bench/mirror.sh (sourced,
# not run). Needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN for `ip netns`), MERIDIAN, PROXY and TMP.
#
#   namespace NS_EAST                       namespace NS_WEST
#   east `meridian dev` 0.0.0.0:9092        west `meridian dev` (127.0.0.1) + the mirror link
#   lo: 10.77.9.9 (east's advertised)       lo: 10.77.9.9 = the fault proxy's listener
#   veth 10.201.0.1/30  <---------------->  veth 10.201.0.2/30
#
# East advertises 10.77.9.9:9092. Inside east that address is east itself, so east's producers
# talk to their broker directly; inside west it is the fault proxy, which forwards over the veth
# to 10.201.0.1:9092. Only the WAN hop (the link's fetches) crosses the proxy's delay and cuts.
NS_EAST="mpe-$$"
NS_WEST="mpw-$$"
EAST_ADDR=10.77.9.9:9092
NS_PIDS=()

# netns_setup: creates both namespaces and the veth; exits 1 with a clear message if it cannot.
netns_setup() {
  local err
  if ! err=$(ip netns add "$NS_EAST" 2>&1); then
    echo "FAIL cannot create network namespaces (needs root / CAP_NET_ADMIN): $err" >&2
    exit 1
  fi
  ip netns add "$NS_WEST"
  ip link add "ve$$" type veth peer name "vw$$"
  ip link set "ve$$" netns "$NS_EAST"
  ip link set "vw$$" netns "$NS_WEST"
  ip -n "$NS_EAST" addr add 10.201.0.1/30 dev "ve$$"
  ip -n "$NS_WEST" addr add 10.201.0.2/30 dev "vw$$"
  local ns
  for ns in "$NS_EAST" "$NS_WEST"; do
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add 10.77.9.9/32 dev lo
  done
  ip -n "$NS_EAST" link set "ve$$" up
  ip -n "$NS_WEST" link set "vw$$" up
}

# netns_cleanup: kills what netns_spawn started, deletes the namespaces (and so the veth).
netns_cleanup() {
  local pid
  for pid in "${NS_PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${NS_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  NS_PIDS=()
  ip netns del "$NS_EAST" 2>/dev/null || true
  ip netns del "$NS_WEST" 2>/dev/null || true
}

# in_east / in_west CMD...: runs CMD in that namespace.
in_east() { ip netns exec "$NS_EAST" "$@"; }
in_west() { ip netns exec "$NS_WEST" "$@"; }

# netns_spawn NS NAME CMD...: starts CMD in namespace NS in the background, output in
# $TMP/NAME.out and .err; the pid is remembered for netns_cleanup.
netns_spawn() {
  local ns=$1 name=$2
  shift 2
  ip netns exec "$ns" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  NS_PIDS+=($!)
}

# wait_line NAME REGEX [TENTHS]: waits (default 15 s) for REGEX in $TMP/NAME.out; prints the
# first match of its \1 group.
wait_line() {
  local name=$1 re=$2 tenths=${3:-150} i v
  for ((i = 0; i < tenths; i++)); do
    v=$(sed -n "s/$re/\1/p" "$TMP/$name.out" | head -1)
    if [ -n "$v" ]; then
      echo "$v"
      return 0
    fi
    sleep 0.1
  done
  echo "FAIL $name did not print /$re/ in $((tenths / 10)) s: $(tail -5 "$TMP/$name.err")" >&2
  return 1
}

# start_dcs DELAY_MS TOPICS_REGEX [PROXY_BUFFER_BYTES]: east, the proxy (in west) and west
# with its mirror link. Sets CONTROL (the proxy's control port, in west), ADMIN (the mirror
# admin URL, in west) and WEST_BOOT.
start_dcs() {
  start_east && start_proxy "$1" "${3:-}" && start_west "$2"
}

start_east() {
  netns_spawn "$NS_EAST" east "$MERIDIAN" dev --brokers 1 --host 0.0.0.0 --port 9092 \
    --gateway-port 0 --admin-port 0 --dc east --data-dir "$TMP/east" \
    --set "advertised.listeners=PLAINTEXT://$EAST_ADDR" --set num.partitions=3
  wait_line east '.*bootstrap \([0-9.]*:[0-9]*\).*' >/dev/null || return 1
}

# start_proxy DELAY_MS [BUFFER_BYTES]: the proxy's per-connection, per-direction buffer bounds
# the bytes in flight on the delayed hop (default 8 MiB: 80 MB/s at 100 ms, like a TCP window).
start_proxy() {
  local buffer=()
  [ -z "${2:-}" ] || buffer=(--buffer-bytes "$2")
  netns_spawn "$NS_WEST" proxy "$PROXY" --route "$EAST_ADDR=10.201.0.1:9092" \
    --control 127.0.0.1:0 --delay-ms "$1" --log-level warn "${buffer[@]}"
  CONTROL=$(wait_line proxy '^control \([0-9]*\)') || return 1
}

# start_west TOPICS_REGEX: west (fresh data dir) mirroring TOPICS_REGEX from east. Extra
# environment for west's process: the WEST_ENV array (e.g. MERIDIAN_MIRROR_FETCH=partition).
# Sets ADMIN, WEST_BOOT and WEST_PID.
WEST_RUN=0
WEST_ENV=()
start_west() {
  WEST_RUN=$((WEST_RUN + 1))
  netns_spawn "$NS_WEST" west env "${WEST_ENV[@]}" "$MERIDIAN" dev --brokers 1 --port 0 \
    --gateway-port 0 --admin-port 0 --dc west --data-dir "$TMP/west$WEST_RUN" \
    --mirror-from "$EAST_ADDR" --mirror-admin-port 0 --mirror-topics "$1"
  WEST_PID=${NS_PIDS[-1]}
  ADMIN=$(wait_line west '.*mirror from [^ ]* admin \(http:[^ ,]*\).*') || return 1
  WEST_BOOT=$(wait_line west '.*bootstrap \([0-9.]*:[0-9]*\).*') || return 1
}

# stop_west: SIGKILLs west (the mirror's progress is in its data dir, deleted too).
stop_west() {
  kill -KILL "$WEST_PID" 2>/dev/null || true
  wait "$WEST_PID" 2>/dev/null || true
  local keep=() pid
  for pid in "${NS_PIDS[@]}"; do
    [ "$pid" = "$WEST_PID" ] || keep+=("$pid")
  done
  NS_PIDS=("${keep[@]}")
  rm -rf "$TMP/west$WEST_RUN"
}

# proxy_cmd COMMAND...: one control command to the proxy; prints its reply.
proxy_cmd() {
  in_west /usr/bin/python3 -c '
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
    s.sendall((" ".join(sys.argv[2:]) + "\n").encode())
    print(s.makefile().readline().strip())' "$CONTROL" "$@"
}

# mirror_json PATH: GET PATH of the mirror admin API (in west).
mirror_json() {
  in_west /usr/bin/python3 -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$ADMIN$1"
}
