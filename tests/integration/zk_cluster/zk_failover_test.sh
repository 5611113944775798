#!/usr/bin/env bash
# Three `meridian broker` processes coordinated by a real Apache ZooKeeper. RF=3,
# min.insync.replicas=2, acks=all. kafka-python writes 300 records; the leader of partition 0
# is SIGKILLed; 300 more are written (the controller elects a new leader from the ISR); the
# killed broker restarts and catches up. Every acknowledged record must be read back
# at its acknowledged offset (duplicates from retries are counted, not failed: no idempotent
# producer yet), and the replicas must end byte-identical.
set -uo pipefail
MERIDIAN=$1
SRC=$2
TMP=$(mktemp -d)
passed=0
failed=0
PIDS=()
ZK_PID=""
cleanup() {
  for pid in "${PIDS[@]}" $ZK_PID; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | tail -30; }
finish() { echo "zk_failover_test: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ZK_PORT=$(free_port)
"$SRC/tests/support/start_zookeeper.sh" "$ZK_PORT" "$TMP/zk" >"$TMP/zk.log" 2>&1 &
ZK_PID=$!
# Each probe is bounded: a ZooKeeper that accepts but never answers must not hang the test.
for _ in $(seq 1 300); do
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ZK_PORT && echo srvr >&3 && grep -q Mode <&3" \
    2>/dev/null && break
  sleep 0.1
done

declare -A PORT
start_broker() {
  local id=$1
  cat >"$TMP/broker-$id.yaml" <<YAML
broker.id: $id
listeners: PLAINTEXT://127.0.0.1:${PORT[$id]}
log.dirs: $TMP/data/broker-$id
zookeeper.connect: 127.0.0.1:$ZK_PORT/meridian
admin.listener: 127.0.0.1:0
zookeeper.session.timeout.ms: 3000
num.partitions: 3
default.replication.factor: 3
min.insync.replicas: 2
replica.lag.time.max.ms: 5000
YAML
  "$MERIDIAN" broker --config "$TMP/broker-$id.yaml" >>"$TMP/broker-$id.log" 2>&1 &
  PIDS[$id]=$!
}
for id in 1 2 3; do PORT[$id]=$(free_port); start_broker "$id"; done
BOOT="127.0.0.1:${PORT[1]},127.0.0.1:${PORT[2]},127.0.0.1:${PORT[3]}"

ready=0
for _ in $(seq 1 100); do
  n=$(kcat -b "$BOOT" -L -m 5 2>/dev/null | grep -c "^  broker ")
  [ "$n" -eq 3 ] && { ready=1; break; }
  sleep 0.2
done
[ "$ready" -eq 1 ] && ok "3 brokers registered in ZooKeeper" || { bad "cluster up" "$(cat "$TMP"/broker-*.log)"; finish; }

out=$(/usr/bin/python3 "$SRC/tests/integration/zk_cluster/failover_client.py" "$BOOT" produce "$TMP/acked-1.json" 300 2>&1)
[ $? -eq 0 ] && ok "300 acks=all records before the failure" || bad "first produce" "$out"

leader=$(kcat -b "$BOOT" -L -t test -m 5 2>/dev/null | sed -n 's/.*partition 0, leader \([0-9]*\),.*/\1/p')
if [ -z "$leader" ]; then bad "found the leader of test-0"; finish; fi
kill -KILL "${PIDS[$leader]}"
ok "SIGKILLed broker $leader (leader of test-0)"

out=$(/usr/bin/python3 "$SRC/tests/integration/zk_cluster/failover_client.py" "$BOOT" produce "$TMP/acked-2.json" 300 2>&1)
[ $? -eq 0 ] && ok "300 acks=all records after the failover" || bad "produce after failover" "$out"

new_leader=$(kcat -b "$BOOT" -L -t test -m 5 2>/dev/null | sed -n 's/.*partition 0, leader \([0-9]*\),.*/\1/p')
if [ -n "$new_leader" ] && [ "$new_leader" != "$leader" ]; then ok "test-0 moved to broker $new_leader"; else bad "leader did not move ($new_leader)"; fi

start_broker "$leader"
caught_up=0
for _ in $(seq 1 100); do
  isr=$(kcat -b "$BOOT" -L -t test -m 5 2>/dev/null | grep -cE 'isrs: [0-9],[0-9],[0-9]$')
  [ "$isr" -eq 3 ] && { caught_up=1; break; }
  sleep 0.2
done
[ "$caught_up" -eq 1 ] && ok "restarted broker $leader rejoined every ISR" || bad "ISR not restored" "$(kcat -b "$BOOT" -L -t test 2>&1)"

out=$(/usr/bin/python3 "$SRC/tests/integration/zk_cluster/failover_client.py" "$BOOT" verify "$TMP/acked-1.json" "$TMP/acked-2.json" 2>&1)
if [ $? -eq 0 ]; then ok "$(tail -1 <<<"$out")"; else bad "verify acknowledged records" "$out"; fi

for id in 1 2 3; do kill -TERM "${PIDS[$id]}"; done
for id in 1 2 3; do wait "${PIDS[$id]}"; done
identical=1
for p in 0 1 2; do
  for b in 2 3; do
    cmp -s "$TMP/data/broker-1/test-$p/00000000000000000000.log" \
           "$TMP/data/broker-$b/test-$p/00000000000000000000.log" || identical=0
  done
done
[ "$identical" -eq 1 ] && ok "all replicas byte-identical after shutdown" || bad "replicas differ" "$(ls -l "$TMP"/data/broker-*/test-*/*.log)"
finish
