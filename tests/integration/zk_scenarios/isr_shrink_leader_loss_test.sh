#!/usr/bin/env bash
# ISR shrink then leader loss (the Jepsen 2013 Kafka scenario): follower F1 is SIGKILLed and
# leaves the ISR; records are acknowledged by {L, F2}; then L and F2 are SIGKILLed together and
# F1 comes back. F1 is alive but out of sync: it must NOT become leader (the partition stays
# offline, unclean election is off). When the last ISR member returns it leads, F1 catches up
# from it, and every acknowledged record is in every replica.
# Which ISR the offline partition keeps depends on the order in which ZooKeeper expires the two
# sessions: when F1's controller sees L's registration while F2's is already gone, it drops F2
# from the ISR (Kafka's OfflineReplica transition: the leader looks alive) and the last ISR is
# {L}; the other order gives {F2}, or {L,F2} when both go together. Only a broker of that last
# ISR may lead (Kafka too), so the test brings that one back first and the other one last.
set -uo pipefail
source "$2/tests/support/zk_cluster_lib.sh"
zk_setup "$1" "$2" isr_shrink_leader_loss_test
CLIENT="$SRC/tests/support/cluster_client.py"
zk_start
for id in 1 2 3; do broker_start "$id"; done
brokers_up 3 && ok "3 brokers registered" || die_logs "cluster up"
create_topic j 1 && wait_isr j 0 3 && ok "topic j: RF=3" || die_logs "topic"
/usr/bin/python3 "$CLIENT" "$(boot)" produce j "$TMP/acked.jsonl" --count 20 >/dev/null || bad "produce 1"
L=$(leader_of j 0)
fs=()
for b in 1 2 3; do [ "$b" != "$L" ] && fs+=("$b"); done
F1=${fs[0]}
F2=${fs[1]}
kill -KILL "${PIDS[$F1]}"
wait "${PIDS[$F1]}" 2>/dev/null
wait_isr j 0 2 && ok "F1=$F1 SIGKILLed: ISR {$L,$F2}" || bad "ISR: $(part_line j 0)"
/usr/bin/python3 "$CLIENT" "$(boot)" produce j "$TMP/acked.jsonl" --count 30 >/dev/null &&
  ok "30 records acknowledged by {$L,$F2} only" || bad "produce 2"
kill -KILL "${PIDS[$L]}" "${PIDS[$F2]}"
wait "${PIDS[$L]}" "${PIDS[$F2]}" 2>/dev/null
broker_start "$F1"
BOOT_ONLY=$F1
off=$(WAIT_STEPS=200 wait_leader j 0 '[ "$1" = -1 ]')
[ "$off" = -1 ] && ok "L=$L and F2=$F2 gone, F1=$F1 back: j-0 offline" || bad "not offline: $(part_line j 0)"
led=0
for _ in $(seq 1 20); do [ "$(leader_of j 0)" = "$F1" ] && led=1; sleep 0.2; done
[ "$led" -eq 0 ] && ok "out-of-sync F1=$F1 never became leader" || bad "F1 became leader (Jepsen 2013 loss)"
last_isr=$(isr_of j 0)
last_isr=${last_isr%,}
[[ ",$last_isr," != *",$F1,"* ]] && [ -n "$last_isr" ] &&
  ok "offline j-0 keeps its last ISR {$last_isr}, without F1" || bad "last ISR: $(part_line j 0)"
if [[ ",$last_isr," == *",$F2,"* ]]; then R=$F2 O=$L; else R=$L O=$F2; fi
BOOT_ONLY=
t0=$(now_ms)
broker_start "$R"
new=$(WAIT_STEPS=300 wait_leader j 0 "[ \"\$1\" = $R ]")
[ "$new" = "$R" ] && ok "last ISR member $R returned and leads after $(( $(now_ms) - t0 )) ms" ||
  bad "leader: $(part_line j 0)" "$(grep -h 'tp=j-0\|broker(s)' "$TMP"/broker-*.log | tail -20)"
broker_start "$O"
wait_isr j 0 3 && ok "all three replicas in sync again" || bad "ISR not restored"
stop_all
for b in 1 2 3; do dump_partition "$b" j 0 >"$TMP/dump-p0-b$b.txt"; done
out=$(/usr/bin/python3 "$CLIENT" - verify "$TMP/acked.jsonl" "$TMP"/dump-p0-b*.txt)
[ $? -eq 0 ] && ok "$(tail -1 <<<"$out")" || bad "verify" "$out"
finish
