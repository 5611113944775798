#!/usr/bin/env bash
# Controlled shutdown on SIGTERM (issue 4): three `meridian broker` processes on a real
# ZooKeeper, RF=3, min.insync.replicas=2. While an acks=all producer runs, the leader of the
# partition gets SIGTERM. It must ask the controller to move leadership away and wait for the
# answer before it exits: the producer sees only retriable errors, the new leader is elected
# before the process is gone (the broker logs the controller's answer before "stopped"), and
# every acknowledged record is in every replica at its offset.
set -uo pipefail
source "$2/tests/support/zk_cluster_lib.sh"
zk_setup "$1" "$2" controlled_shutdown_test
zk_start
for id in 1 2 3; do broker_start "$id"; done
brokers_up 3 && ok "3 brokers registered" || die_logs "cluster up"
create_topic cs 1 && wait_isr cs 0 3 && ok "topic cs: RF=3, full ISR" || die_logs "topic cs"

/usr/bin/python3 "$SRC/tests/support/cluster_client.py" "$(boot)" produce cs "$TMP/acked.jsonl" \
  --seconds 60 --stop-file "$TMP/stop" >"$TMP/producer.out" 2>&1 &
PRODUCER=$!
EXTRA_PIDS=$PRODUCER
sleep 3
old=$(leader_of cs 0)
[ -n "$old" ] || die_logs "leader of cs-0"
before=$(wc -l <"$TMP/acked.jsonl")
t0=$(now_ms)
kill -TERM "${PIDS[$old]}"
wait "${PIDS[$old]}"
rc=$?
t1=$(now_ms)
[ "$rc" -eq 0 ] && ok "broker $old exited 0 after SIGTERM in $((t1 - t0)) ms" || bad "exit status $rc"
grep -q "broker $old: controlled shutdown succeeded" "$TMP/broker-$old.log" &&
  ok "broker $old: controlled shutdown succeeded before exit" ||
  bad "controlled shutdown not confirmed" "$(tail -20 "$TMP/broker-$old.log")"
grep -hq "controlled shutdown of broker $old: 1 partition(s) changed, 0 still led" "$TMP"/broker-*.log &&
  ok "the controller moved cs-0 away from broker $old" ||
  bad "controller log" "$(grep -h 'controlled shutdown' "$TMP"/broker-*.log)"
new=$(WAIT_STEPS=30 wait_leader cs 0 "[ \"\$1\" != $old ] && [ \"\$1\" -ge 0 ]")
[ -n "$new" ] && ok "metadata: cs-0 led by broker $new right after the exit" || bad "no new leader"

broker_start "$old"
wait_isr cs 0 3 && ok "broker $old restarted and rejoined the ISR" || bad "ISR not restored"
sleep 2
touch "$TMP/stop"
wait "$PRODUCER"
prc=$?
summary=$(tail -1 "$TMP/producer.out")
after=$(wc -l <"$TMP/acked.jsonl")
[ "$prc" -eq 0 ] && [ "$after" -gt "$before" ] &&
  ok "producer: $summary" || bad "producer failed ($prc)" "$(cat "$TMP/producer.out")"
unexpected=$(/usr/bin/python3 -c '
import json, sys
e = json.loads(sys.argv[1])["errors"]
print(",".join(k for k in e if k not in ("NotLeaderForPartitionError", "KafkaConnectionError",
                                           "RequestTimedOutError")))' "$summary")
[ -z "$unexpected" ] && ok "producer saw only NOT_LEADER and reconnects to the stopped broker" || bad "unexpected producer errors: $unexpected"
gap=$(/usr/bin/python3 -c '
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1])]
print(max(b - a for a, b in zip(t, t[1:])))' "$TMP/acked.jsonl")
echo "     longest gap between acknowledgements: $gap ms"

stop_all
for b in 1 2 3; do dump_partition "$b" cs 0 >"$TMP/dump-p0-b$b.txt"; done
out=$(/usr/bin/python3 "$SRC/tests/support/cluster_client.py" - verify "$TMP/acked.jsonl" "$TMP"/dump-p0-b*.txt)
[ $? -eq 0 ] && ok "$(tail -1 <<<"$out")" || bad "verify" "$out"
cmp -s "$TMP/data/broker-1/cs-0/00000000000000000000.log" "$TMP/data/broker-2/cs-0/00000000000000000000.log" &&
cmp -s "$TMP/data/broker-1/cs-0/00000000000000000000.log" "$TMP/data/broker-3/cs-0/00000000000000000000.log" &&
  ok "replicas byte-identical" || bad "replicas differ" "$(ls -l "$TMP"/data/broker-*/cs-0/)"
finish
