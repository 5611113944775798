#!/usr/bin/env bash
# Idempotent producer across failures of `meridian dev --brokers 3` (all brokers in one process,
# so the whole process is the unit of failure). Topic `ids`: one partition, RF 3, min ISR 2. A
# python3-confluent-kafka producer with enable.idempotence=True, acks=all and a 1 s request
# timeout writes the ids 0, 1, 2, ... while
#   1. the process is SIGSTOPped for 3 s: every in-flight request times out and is retried;
#   2. the process is SIGKILLed mid-stream and restarted on the same port and data dir: the
#      leader rebuilds the producer state from the log and the retries land on it.
# Afterwards the stream read back must be exactly 0..n-1: no duplicate, no gap, every
# delivery-reported record at its reported offset. Whether a retry reaches the leader after its
# original was appended depends on timing here (the whole process stops, so nothing is appended
# during the freeze), so the deduplicated batches are counted, not required;
# idempotent_failover_test.sh freezes a single follower on the ZooKeeper cluster and requires them.
#   idempotent_dev_test.sh MERIDIAN SRC
set -uo pipefail
source "$2/tests/integration/dev_clients/target_lib.sh"
target_setup dev "$1" "$2" idempotent_dev_test
CLIENT="/usr/bin/python3 $SRC/tests/integration/idempotence/idempotent_client.py"
PRODUCER_PID=""
trap 'kill -KILL $PRODUCER_PID 2>/dev/null; cleanup' EXIT
progress() { cat "$TMP/progress" 2>/dev/null || echo 0; }
wait_progress() {  # waits until the producer has $1 deliveries (bounded)
  for _ in $(seq 1 300); do
    [ "$(progress)" -ge "$1" ] && return 0
    kill -0 "$PRODUCER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# The same Kafka port across the restart: the producer's bootstrap must come back.
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dev() {
  "$MERIDIAN" dev --port "$PORT" --gateway-port 0 --admin-port 0 --data-dir "$TMP/data" \
    --brokers 3 --set default.replication.factor=3 --set min.insync.replicas=2 \
    >>"$TMP/dev.out" 2>>"$TMP/dev.err" &
  DEV_PID=$!
  for _ in $(seq 1 100); do
    [ "$(grep -c 'bootstrap ' "$TMP/dev.out")" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
BOOT=127.0.0.1:$PORT
dev 1 && ok "meridian dev up on $BOOT" || { bad "meridian dev started" "$(tail "$TMP/dev.err")"; finish; }
out=$($CLIENT create "$BOOT" ids 2>&1)
[ $? -eq 0 ] && ok "created ids (1 partition, RF 3, min ISR 2)" || { bad "create topic" "$out"; finish; }

$CLIENT produce "$BOOT" ids "$TMP/result.json" "$TMP/stop" "$TMP/progress" 120 >"$TMP/producer.log" 2>&1 &
PRODUCER_PID=$!
wait_progress 1000 && ok "1000 idempotent records delivered" || { bad "producer progress" "$(cat "$TMP/producer.log")"; finish; }

kill -STOP "$DEV_PID"
sleep 3
kill -CONT "$DEV_PID"
ok "SIGSTOPped meridian dev for 3 s (beyond the producer's request timeout)"
before=$(progress)
wait_progress $((before + 1000)) && ok "stream continued after the freeze" || bad "no progress after the freeze" "$(tail -5 "$TMP/producer.log")"

kill -KILL "$DEV_PID"
wait "$DEV_PID" 2>/dev/null
ok "SIGKILLed meridian dev (every broker, the leader of ids-0 too) mid-stream"
sleep 1
dev 2 && ok "restarted on the same port and data dir" || { bad "restart" "$(tail "$TMP/dev.err")"; finish; }
before=$(progress)
wait_progress $((before + 1000)) && ok "stream continued after the restart" || bad "no progress after the restart" "$(tail -5 "$TMP/producer.log")"
touch "$TMP/stop"
wait "$PRODUCER_PID"
rc=$?
PRODUCER_PID=""
[ "$rc" -eq 0 ] && ok "producer: $(tail -1 "$TMP/producer.log")" || bad "producer reported errors" "$(cat "$TMP/producer.log")"

out=$($CLIENT verify "$BOOT" ids "$TMP/result.json" 2>&1)
if [ $? -eq 0 ]; then ok "$(tail -1 <<<"$out")"; echo "$out" | head -1; else bad "verify the idempotent stream" "$out"; fi
dups=$(grep -h "duplicate batch of producer" "$TMP/dev.out" "$TMP/dev.err" | wc -l)
echo "    the leader acknowledged $dups retried batches as duplicates (not appended again)"
target_stop_clean
finish
