#!/usr/bin/env bash
# Idempotent producer across failures. Three `meridian broker` processes on a real Apache
# ZooKeeper; topic `ids` has one partition, RF=3, min.insync.replicas=2. A
# python3-confluent-kafka producer with enable.idempotence=True, acks=all and a 1 s request
# timeout writes the ids 0, 1, 2, ... while
#   1. a follower is SIGSTOPped for 3 s (longer than the request timeout, shorter than its
#      ZooKeeper session and replica.lag.time.max.ms): acks=all requests time out and are
#      retried although the leader appended them, so the leader must acknowledge the retries
#      as duplicates (asserted from its log);
#   2. the partition's leader is SIGKILLed mid-stream, then restarted;
#   3. the new leader is SIGKILLed too, then restarted: the retries land on leaders that learned
#      the producer's state by replication or rebuilt it from the log.
# Afterwards the stream read back must be exactly 0..n-1: no duplicate, no gap, every
# delivery-reported record at its reported offset.
set -uo pipefail
MERIDIAN=$1
SRC=$2
TMP=$(mktemp -d)
CLIENT="/usr/bin/python3 $SRC/tests/integration/idempotence/idempotent_client.py"
passed=0
failed=0
PIDS=()
ZK_PID=""
PRODUCER_PID=""
cleanup() {
  for pid in "${PIDS[@]}" $ZK_PID $PRODUCER_PID; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [ -n "${KEEP_TMP:-}" ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | tail -40; }
finish() { echo "idempotent_failover_test: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
progress() { cat "$TMP/progress" 2>/dev/null || echo 0; }
# Waits until the producer has `$1` deliveries (bounded).
wait_progress() {
  for _ in $(seq 1 300); do
    [ "$(progress)" -ge "$1" ] && return 0
    kill -0 "$PRODUCER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
leader_of_ids() {
  kcat -b "$BOOT" -L -t ids -m 5 2>/dev/null | sed -n 's/.*partition 0, leader \([0-9]*\),.*/\1/p'
}
wait_full_isr() {
  for _ in $(seq 1 150); do
    kcat -b "$BOOT" -L -t ids -m 5 2>/dev/null | grep -qE 'isrs: [0-9],[0-9],[0-9]$' && return 0
    sleep 0.2
  done
  return 1
}

ZK_PORT=$(free_port)
"$SRC/tests/support/start_zookeeper.sh" "$ZK_PORT" "$TMP/zk" >"$TMP/zk.log" 2>&1 &
ZK_PID=$!
zk_up=0
for _ in $(seq 1 300); do  # generous: the JVM starts slowly on a loaded 2-core machine
  (exec 3<>/dev/tcp/127.0.0.1/"$ZK_PORT" && echo srvr >&3 && grep -q Mode <&3) 2>/dev/null && { zk_up=1; break; }
  sleep 0.1
done
[ "$zk_up" -eq 1 ] || { bad "ZooKeeper did not start" "$(cat "$TMP/zk.log")"; finish; }

declare -A PORT ADMIN_PORT
start_broker() {
  local id=$1
  cat >"$TMP/broker-$id.yaml" <<YAML
broker.id: $id
listeners: PLAINTEXT://127.0.0.1:${PORT[$id]}
admin.listener: 127.0.0.1:${ADMIN_PORT[$id]}
log.dirs: $TMP/data/broker-$id
zookeeper.connect: 127.0.0.1:$ZK_PORT/meridian
zookeeper.session.timeout.ms: 6000
default.replication.factor: 3
min.insync.replicas: 2
replica.lag.time.max.ms: 5000
auto.create.topics.enable: false
YAML
  "$MERIDIAN" broker --config "$TMP/broker-$id.yaml" >>"$TMP/broker-$id.log" 2>&1 &
  PIDS[$id]=$!
}
for id in 1 2 3; do PORT[$id]=$(free_port); ADMIN_PORT[$id]=$(free_port); start_broker "$id"; done
BOOT="127.0.0.1:${PORT[1]},127.0.0.1:${PORT[2]},127.0.0.1:${PORT[3]}"

ready=0
for _ in $(seq 1 100); do
  n=$(kcat -b "$BOOT" -L -m 5 2>/dev/null | grep -c "^  broker ")
  [ "$n" -eq 3 ] && { ready=1; break; }
  sleep 0.2
done
[ "$ready" -eq 1 ] && ok "3 brokers registered in ZooKeeper" || { bad "cluster up" "$(tail -n 5 "$TMP"/broker-*.log)"; finish; }
out=$($CLIENT create "$BOOT" ids 2>&1)
[ $? -eq 0 ] && ok "created ids (1 partition, RF 3, min ISR 2)" || { bad "create topic" "$out"; finish; }
wait_full_isr || { bad "ids has a full ISR" "$(kcat -b "$BOOT" -L 2>&1)"; finish; }

$CLIENT produce "$BOOT" ids "$TMP/result.json" "$TMP/stop" "$TMP/progress" 150 >"$TMP/producer.log" 2>&1 &
PRODUCER_PID=$!

# Failure 0: freeze a follower; in-flight acks=all requests time out and are retried.
wait_progress 1000 && ok "1000 idempotent records delivered" || { bad "producer progress" "$(cat "$TMP/producer.log")"; finish; }
leader=$(leader_of_ids)
follower=""
for id in 1 2 3; do [ "$id" != "$leader" ] && { follower=$id; break; }; done
kill -STOP "${PIDS[$follower]}"
sleep 3
kill -CONT "${PIDS[$follower]}"
ok "SIGSTOPped follower $follower for 3 s (beyond the producer's request timeout)"
before=$(progress)
wait_progress $((before + 500)) && ok "stream continued after the freeze" || bad "no progress after the freeze" "$(tail -5 "$TMP/producer.log")"
wait_full_isr && ok "follower $follower rejoined the ISR" || bad "ISR not restored after the freeze"

# Failure 1: SIGKILL the leader mid-stream, restart it once the stream goes on elsewhere.
first=$(leader_of_ids)
[ -n "$first" ] || { bad "found the leader of ids-0"; finish; }
kill -KILL "${PIDS[$first]}"
ok "SIGKILLed broker $first (leader of ids-0) mid-stream"
before=$(progress)
wait_progress $((before + 1000)) && ok "stream continued on the new leader" || bad "no progress after failover" "$(tail -5 "$TMP/producer.log")"
start_broker "$first"
wait_full_isr && ok "restarted broker $first rejoined the ISR" || bad "ISR not restored after restart"

# Failure 2: SIGKILL the new leader too; the next one dedups from replicated or rebuilt state.
second=$(leader_of_ids)
if [ -n "$second" ] && [ "$second" != "$first" ]; then ok "ids-0 moved to broker $second"; else bad "leader did not move ($second)"; fi
kill -KILL "${PIDS[$second]}"
ok "SIGKILLed broker $second (leader of ids-0) mid-stream"
before=$(progress)
wait_progress $((before + 1000)) && ok "stream continued after the second failover" || bad "no progress after second failover" "$(tail -5 "$TMP/producer.log")"
start_broker "$second"
wait_full_isr && ok "restarted broker $second rejoined the ISR" || bad "ISR not restored after second restart"
before=$(progress)
wait_progress $((before + 500)) || true
touch "$TMP/stop"
wait "$PRODUCER_PID"
rc=$?
PRODUCER_PID=""
[ "$rc" -eq 0 ] && ok "producer: $(tail -1 "$TMP/producer.log")" || bad "producer reported errors" "$(cat "$TMP/producer.log")"

out=$($CLIENT verify "$BOOT" ids "$TMP/result.json" 2>&1)
if [ $? -eq 0 ]; then ok "$(tail -1 <<<"$out")"; echo "$out" | head -1; else bad "verify the idempotent stream" "$out"; fi
dups=$(grep -h "duplicate batch of producer" "$TMP"/broker-*.log | wc -l)
[ "$dups" -gt 0 ] && ok "leaders acknowledged $dups retried batches as duplicates (not appended again)" \
  || bad "no retried batch was deduplicated: the test did not exercise idempotence"
finish
