#!/usr/bin/env bash
# Failover time of a three-broker DC on a real ZooKeeper (issue 4): from the fault on the leader
# of a partition to (a) the first metadata answer naming a new leader and (b) the first
# acknowledged acks=all produce on the new leader, while a producer (kafka-python, one record at
# a time, acks=all) runs. Two faults, TRIALS times each:
#   SIGKILL  the leader dies: the controller learns it when its ZooKeeper session times out
#   SIGTERM  controlled shutdown: the controller moves leadership before the broker exits
# With BACKEND=embedded (or both, the default) the same is measured inside `meridian dev`
# (embedded coordination), where one broker cannot be SIGKILLed: the control port's crash hook
# (POST /v1/dev/brokers/{id}/crash) makes the leader look SIGKILLed to the others and its
# embedded session expires after SESSION_MS; it is restarted from its data dir after each trial.
#   ./bench/failover.sh [MERIDIAN_BINARY]        env: TRIALS (3), SESSION_MS (3000), BACKEND
# Prints one line per trial and a markdown table for bench/RESULTS.md. Loopback only; bounded.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
MERIDIAN=${1:-$SRC/build/cli/meridian}
TRIALS=${TRIALS:-3}
BACKEND=${BACKEND:-both}
if [ "$BACKEND" = both ]; then
  BACKEND=embedded "$0" "$MERIDIAN" || exit $?
  echo
  BACKEND=zookeeper
fi
if [ "$BACKEND" = embedded ]; then
  exec "$SRC/bench/failover_embedded.sh" "$MERIDIAN"
fi
source "$SRC/tests/support/zk_cluster_lib.sh"
ZK_SESSION_MS=${SESSION_MS:-3000}
LAG_MS=5000
zk_setup "$MERIDIAN" "$SRC" failover_bench
zk_start
for id in 1 2 3; do broker_start "$id"; done
brokers_up 3 || die_logs "cluster up"
create_topic fo 1 && wait_isr fo 0 3 || die_logs "topic fo"
CLIENT="$SRC/tests/support/cluster_client.py"

# first_ack_after ACKS PRODUCER_OUT T0: ms from T0 to the first acknowledgement that follows the
# producer's first error after T0 (the request in flight on the old leader fails; an ack
# stamped just after T0 may still come from the old leader).
first_ack_after() {
  /usr/bin/python3 -c '
import json, sys
t0 = int(sys.argv[3])
errors = []
for line in open(sys.argv[2]):
    if line.startswith("{\"error_log"):
        errors = [t for t, _ in json.loads(line)["error_log"] if t >= t0]
start = errors[0] if errors else t0
for line in open(sys.argv[1]):
    t = json.loads(line)["t"]
    if t > start:
        print(t - t0)
        break
else:
    print(-1)' "$1" "$2" "$3"
}

declare -A RESULTS=()
trial() {  # trial SIGNAL N
  local sig=$1 n=$2 old t0 t_meta new acks
  acks="$TMP/acks-$sig-$n.jsonl"
  rm -f "$TMP/stop"
  /usr/bin/python3 "$CLIENT" "$(boot)" produce fo "$acks" --stop-file "$TMP/stop" --seconds 120 \
    >"$TMP/producer-$sig-$n.out" 2>&1 &
  local producer=$!
  sleep 2
  old=$(leader_of fo 0)
  t0=$(now_ms)
  kill -"$sig" "${PIDS[$old]}"
  new=""
  for _ in $(seq 1 600); do
    new=$(leader_of fo 0)
    [ -n "$new" ] && [ "$new" != "$old" ] && [ "$new" -ge 0 ] && break
    sleep 0.02
  done
  t_meta=$(( $(now_ms) - t0 ))
  sleep 3
  touch "$TMP/stop"
  wait "$producer"
  local t_ack
  t_ack=$(first_ack_after "$acks" "$TMP/producer-$sig-$n.out" "$t0")
  echo "$sig trial $n: leader $old -> $new: metadata ${t_meta} ms, first ack ${t_ack} ms"
  RESULTS[$sig]="${RESULTS[$sig]:-} $t_ack"
  RESULTS[meta_$sig]="${RESULTS[meta_$sig]:-} $t_meta"
  wait "${PIDS[$old]}" 2>/dev/null
  broker_start "$old"
  wait_isr fo 0 3 || die_logs "ISR after trial"
}
for n in $(seq 1 "$TRIALS"); do trial KILL "$n"; trial TERM "$n"; done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "| fault (ZooKeeper backend, zookeeper.session.timeout.ms=$ZK_SESSION_MS) | new leader in metadata, median ms | first acked produce, median ms | trials |"
echo "|---|---|---|---|"
echo "| SIGKILL of the leader | $(median <<<"${RESULTS[meta_KILL]}") | $(median <<<"${RESULTS[KILL]}") | ${RESULTS[KILL]} |"
echo "| SIGTERM of the leader (controlled shutdown) | $(median <<<"${RESULTS[meta_TERM]}") | $(median <<<"${RESULTS[TERM]}") | ${RESULTS[TERM]} |"
stop_all
