#!/usr/bin/env bash
# The embedded-backend half of bench/failover.sh: `meridian dev --brokers 3` with its control
# port; per trial, while a kafka-python producer writes acks=all one record at a time, the
# partition leader gets POST /v1/dev/brokers/{id}/crash (listener and connections closed,
# fetchers and controller stopped, its embedded session left to expire after SESSION_MS: what a
# SIGKILL looks like to the others). Measured from the crash: the first metadata answer naming
# a new leader, and the first acknowledged produce after the producer's first error. Then the
# broker is restarted from its data dir and the next trial waits for ISR 3.
#   ./bench/failover_embedded.sh MERIDIAN_BINARY   env: TRIALS (3), SESSION_MS (3000)
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
MERIDIAN=$1
TRIALS=${TRIALS:-3}
SESSION_MS=${SESSION_MS:-3000}
TMP=$(mktemp -d)
CLIENT="$SRC/tests/support/cluster_client.py"
DEV_PID=""
PRODUCER=""
trap '[ -n "$PRODUCER" ] && kill -KILL $PRODUCER 2>/dev/null; [ -n "$DEV_PID" ] && kill -KILL $DEV_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
now_ms() { date +%s%3N; }
die() { echo "failover_embedded: $1" >&2; tail -n 30 "$TMP/dev.err" >&2; exit 1; }

"$MERIDIAN" dev --brokers 3 --port 0 --gateway-port 0 --admin-port 0 --control-port 0 \
  --data-dir "$TMP/data" --set zookeeper.session.timeout.ms=$SESSION_MS \
  --set min.insync.replicas=2 --set replica.lag.time.max.ms=5000 >"$TMP/dev.out" 2>"$TMP/dev.err" &
DEV_PID=$!
BOOT="" CONTROL=""
for _ in $(seq 1 200); do
  BOOT=$(sed -n 's/.*bootstrap \([0-9.]*:[0-9]*\).*/\1/p' "$TMP/dev.out")
  CONTROL=$(sed -n 's/.*control \(http:[^ ,]*\).*/\1/p' "$TMP/dev.out")
  [ -n "$BOOT" ] && [ -n "$CONTROL" ] && break
  sleep 0.1
done
[ -n "$CONTROL" ] || die "dev did not start"
ALL=""
for _ in $(seq 1 100); do
  ALL=$(kcat -b "$BOOT" -L -m 3 2>/dev/null | sed -n 's/^  broker [0-9]* at \([0-9.:]*\).*/\1/p' | paste -sd,)
  [ "$(tr ',' '\n' <<<"$ALL" | grep -c .)" -eq 3 ] && break
  sleep 0.1
done
part_line() { kcat -b "$ALL" -L -t fo -m 3 2>/dev/null | grep "partition 0,"; }
leader_of() { part_line | sed -n 's/.*leader \(-\?[0-9]*\),.*/\1/p'; }
wait_isr3() {
  for _ in $(seq 1 600); do
    [ "$(part_line | sed -n 's/.*isrs: \([0-9,]*\).*/\1/p' | tr ',' '\n' | grep -c .)" = 3 ] && return 0
    sleep 0.1
  done
  return 1
}
/usr/bin/python3 "$CLIENT" "$ALL" create fo 1 >/dev/null && wait_isr3 || die "topic fo"

# first_ack_after ACKS T0: ms from T0 to the first ack after the producer's stall (the first gap
# of >= 1 s between acks after T0): acks stamped just after the crash may come from requests
# the old leader answered before its connections closed; the crashed leader sends no error.
first_ack_after() {
  /usr/bin/python3 -c '
import json, sys
t0 = int(sys.argv[2])
prev = None
for line in open(sys.argv[1]):
    t = json.loads(line)["t"]
    if t < t0:
        prev = t
        continue
    if prev is not None and t - prev >= 1000:
        print(t - t0)
        break
    prev = t
else:
    print(-1)' "$1" "$2"
}

ACKS_ALL="" META_ALL=""
for n in $(seq 1 "$TRIALS"); do
  acks="$TMP/acks-$n.jsonl"
  rm -f "$TMP/stop"
  /usr/bin/python3 "$CLIENT" "$ALL" produce fo "$acks" --stop-file "$TMP/stop" --seconds 120 \
    >"$TMP/producer-$n.out" 2>&1 &
  PRODUCER=$!
  sleep 2
  old=$(leader_of)
  t0=$(now_ms)
  curl -s -X POST "$CONTROL/v1/dev/brokers/$old/crash" | grep -q crashed || die "crash $old"
  new=""
  for _ in $(seq 1 600); do
    new=$(leader_of)
    [ -n "$new" ] && [ "$new" != "$old" ] && [ "$new" -ge 0 ] && break
    sleep 0.02
  done
  t_meta=$(( $(now_ms) - t0 ))
  sleep 3
  touch "$TMP/stop"
  wait "$PRODUCER"
  PRODUCER=""
  t_ack=$(first_ack_after "$acks" "$t0")
  echo "crash trial $n: leader $old -> $new: metadata ${t_meta} ms, first ack ${t_ack} ms"
  ACKS_ALL="$ACKS_ALL $t_ack"
  META_ALL="$META_ALL $t_meta"
  curl -s -X POST "$CONTROL/v1/dev/brokers/$old/restart" | grep -q serving || die "restart $old"
  wait_isr3 || die "ISR after trial $n"
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "| fault (embedded backend, meridian dev, session timeout $SESSION_MS ms) | new leader in metadata, median ms | first acked produce, median ms | trials |"
echo "|---|---|---|---|"
echo "| crash hook on the leader (SIGKILL-equivalent) | $(median <<<"$META_ALL") | $(median <<<"$ACKS_ALL") | $ACKS_ALL |"
kill -TERM "$DEV_PID"
for _ in $(seq 1 300); do kill -0 "$DEV_PID" 2>/dev/null || break; sleep 0.1; done
