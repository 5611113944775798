#!/usr/bin/env bash
# `meridian dev --brokers 3` with its control port: while a producer writes unique ids with
# acks=all (RF=3, min.insync.replicas=2), POST /v1/dev/brokers/{leader}/crash makes the leader
# look SIGKILLed (listener and connections closed, fetchers stopped, its embedded session
# expires after SESSION_MS). A new leader must take over and acknowledge; then the crashed
# broker restarts from its data dir and catches up. Every acknowledged record must be at its
# offset in all three replicas. Loopback only, every wait bounded, dev killed on exit.
set -uo pipefail
MERIDIAN=$1
SRC=$2
TMP=$(mktemp -d)
SESSION_MS=${SESSION_MS:-2000}
CLIENT="$SRC/tests/support/cluster_client.py"
source "$SRC/tests/integration/dev_clients/dev_lib.sh"
PRODUCER=""
finish_test() {
  [ -n "$PRODUCER" ] && kill -KILL "$PRODUCER" 2>/dev/null
  if [ "$failed" -ne 0 ]; then tail -n 40 "$TMP/dev.err"; fi
  cleanup
}
trap finish_test EXIT
now_ms() { date +%s%3N; }

start_dev --brokers 3 --control-port 0 --set zookeeper.session.timeout.ms=$SESSION_MS \
  --set min.insync.replicas=2 --set replica.lag.time.max.ms=3000 &&
  ok "meridian dev up at $BOOT" || { bad "dev start" "$(cat "$TMP/dev.err")"; exit 1; }
CONTROL=""
for _ in $(seq 1 50); do
  CONTROL=$(sed -n 's/.*control \(http:[^ ,]*\).*/\1/p' "$TMP/dev.out")
  [ -n "$CONTROL" ] && break
  sleep 0.1
done
[ -n "$CONTROL" ] && ok "control port $CONTROL" || { bad "no control port" "$(cat "$TMP/dev.out")"; exit 1; }
# Every broker as bootstrap: the crashed one may be broker 1.
ALL=""
for _ in $(seq 1 100); do
  ALL=$(kcat -b "$BOOT" -L -m 3 2>/dev/null | sed -n 's/^  broker [0-9]* at \([0-9.:]*\).*/\1/p' | paste -sd,)
  [ "$(tr ',' '\n' <<<"$ALL" | grep -c .)" -eq 3 ] && break
  sleep 0.1
done
part_line() { kcat -b "$ALL" -L -t c -m 3 2>/dev/null | grep "partition 0,"; }
leader_of() { part_line | sed -n 's/.*leader \(-\?[0-9]*\),.*/\1/p'; }
isr_count() { part_line | sed -n 's/.*isrs: \([0-9,]*\).*/\1/p' | tr ',' '\n' | grep -c .; }
wait_isr3() {
  for _ in $(seq 1 300); do [ "$(isr_count)" = 3 ] && return 0; sleep 0.1; done
  return 1
}
/usr/bin/python3 "$CLIENT" "$ALL" create c 1 >/dev/null && wait_isr3 && ok "topic c: RF=3, ISR 3" ||
  { bad "topic c: $(part_line)"; exit 1; }

/usr/bin/python3 "$CLIENT" "$ALL" produce c "$TMP/acked.jsonl" --stop-file "$TMP/stop" \
  --seconds 60 >"$TMP/producer.out" 2>&1 &
PRODUCER=$!
for _ in $(seq 1 100); do [ -s "$TMP/acked.jsonl" ] && break; sleep 0.1; done
sleep 1
old=$(leader_of)
t0=$(now_ms)
reply=$(curl -s -X POST "$CONTROL/v1/dev/brokers/$old/crash")
grep -q '"crashed"' <<<"$reply" && ok "leader $old crashed (hook: $reply)" || bad "crash: $reply"
# The crashed broker answers nothing: its listener is closed.
port_of_old=$(kcat -b "$ALL" -L -m 3 2>/dev/null | sed -n "s/^  broker $old at [0-9.]*:\([0-9]*\).*/\1/p")
if [ -n "$port_of_old" ] && timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port_of_old" 2>/dev/null; then
  bad "broker $old still accepts connections"
else
  ok "broker $old's listener is closed"
fi
new=""
for _ in $(seq 1 300); do
  new=$(leader_of)
  [ -n "$new" ] && [ "$new" != "$old" ] && [ "$new" -ge 0 ] && break
  sleep 0.05
done
t_meta=$(( $(now_ms) - t0 ))
[ -n "$new" ] && [ "$new" != "$old" ] && [ "$new" -ge 0 ] &&
  ok "new leader $new after ${t_meta} ms (session ${SESSION_MS} ms)" || bad "no new leader: $(part_line)"
# Acknowledged produces resume on the new leader.
before=$(wc -l <"$TMP/acked.jsonl")
resumed=0
for _ in $(seq 1 100); do
  [ "$(wc -l <"$TMP/acked.jsonl")" -gt $((before + 10)) ] && resumed=1 && break
  sleep 0.1
done
[ "$resumed" -eq 1 ] && ok "acks=all produces acknowledged by the new leader" || bad "no acks after failover"
reply=$(curl -s -X POST "$CONTROL/v1/dev/brokers/$old/restart")
grep -q '"serving"' <<<"$reply" && ok "broker $old restarted from its data dir" || bad "restart: $reply"
wait_isr3 && ok "broker $old caught up: ISR 3" || bad "ISR after restart: $(part_line)"
sleep 1
touch "$TMP/stop"
wait "$PRODUCER"
rc=$?
PRODUCER=""
[ "$rc" -eq 0 ] && ok "producer: $(tail -1 "$TMP/producer.out")" || bad "producer exit $rc" "$(tail -5 "$TMP/producer.out")"
wait_isr3 || bad "ISR before stop: $(part_line)"
kill -TERM "$DEV_PID"
for _ in $(seq 1 300); do kill -0 "$DEV_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DEV_PID" 2>/dev/null && bad "dev did not stop on SIGTERM"
for b in 1 2 3; do
  "$MERIDIAN" log dump --records --json "$TMP/data/broker-$b/c-0" 2>/dev/null |
    /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{"):
        j = json.loads(line)
        if "value" in j:
            print(j["offset"], j["value"])' >"$TMP/dump-p0-b$b.txt"
done
out=$(/usr/bin/python3 "$CLIENT" - verify "$TMP/acked.jsonl" "$TMP"/dump-p0-b*.txt)
[ $? -eq 0 ] && ok "$(tail -1 <<<"$out")" || bad "verify" "$out"
echo "dev_crash_leader_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
