#!/usr/bin/env bash
# min.insync.replicas violated: with both followers SIGKILLed the ISR is {leader}, below
# min.insync.replicas=2. Every acks=all produce must fail with NOT_ENOUGH_REPLICAS, nothing of
# those attempts may become visible to consumers or reach the log; once the followers return,
# producing works again and exactly the acknowledged records are there.
set -uo pipefail
source "$2/tests/support/zk_cluster_lib.sh"
zk_setup "$1" "$2" min_isr_test
CLIENT="$SRC/tests/support/cluster_client.py"
zk_start
for id in 1 2 3; do broker_start "$id"; done
brokers_up 3 && ok "3 brokers registered" || die_logs "cluster up"
create_topic m 1 && wait_isr m 0 3 && ok "topic m: RF=3, min.insync.replicas=2" || die_logs "topic"
/usr/bin/python3 "$CLIENT" "$(boot)" produce m "$TMP/acked.jsonl" --count 20 >/dev/null &&
  ok "20 records acknowledged" || bad "first produce"
leader=$(leader_of m 0)
for b in 1 2 3; do
  [ "$b" != "$leader" ] && { kill -KILL "${PIDS[$b]}"; wait "${PIDS[$b]}" 2>/dev/null; }
done
BOOT_ONLY=$leader
wait_isr m 0 1 && ok "followers SIGKILLed: ISR is {$leader}" || bad "ISR did not shrink: $(part_line m 0)"
nes=0
for i in 1 2 3 4 5; do
  res=$(/usr/bin/python3 "$CLIENT" "$(boot)" try-produce m 2>&1 | tail -1)
  [ "$res" = NotEnoughReplicasError ] && nes=$((nes + 1)) || echo "     attempt $i: $res"
done
[ "$nes" -eq 5 ] && ok "5 of 5 acks=all attempts: NOT_ENOUGH_REPLICAS" || bad "$nes of 5 NOT_ENOUGH_REPLICAS"
visible=$(/usr/bin/python3 "$CLIENT" "$(boot)" consume m 2>&1)
n=$(grep -c . <<<"$visible")
grep -q probe <<<"$visible" && bad "a rejected record is visible" || ok "consumers see $n records, none of the rejected ones"
[ "$n" -eq 20 ] && ok "exactly the 20 acknowledged records are visible" || bad "visible: $n"
BOOT_ONLY=
for b in 1 2 3; do [ "$b" != "$leader" ] && broker_start "$b"; done
wait_isr m 0 3 && ok "followers back in the ISR" || bad "ISR not restored"
/usr/bin/python3 "$CLIENT" "$(boot)" produce m "$TMP/acked.jsonl" --count 20 >/dev/null &&
  ok "20 more records acknowledged" || bad "produce after recovery"
stop_all
for b in 1 2 3; do dump_partition "$b" m 0 >"$TMP/dump-p0-b$b.txt"; done
grep -l probe "$TMP"/dump-p0-b*.txt && bad "a rejected record reached a log" || ok "no rejected record in any log"
out=$(/usr/bin/python3 "$CLIENT" - verify "$TMP/acked.jsonl" "$TMP"/dump-p0-b*.txt)
[ $? -eq 0 ] && ok "$(tail -1 <<<"$out")" || bad "verify" "$out"
finish
