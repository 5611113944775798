#!/usr/bin/env bash
# ISR shrink then leader loss (the Jepsen 2013 Kafka scenario): follower F1 is SIGKILLed and
# leaves the ISR; records are acknowledged by {L, F2}; then L and F2 are SIGKILLed together and
# F1 comes back. F1 is alive but out of sync: it must NOT become leader (the partition stays
# offline, unclean election is off). When F2 (an ISR member) returns it leads, F1 catches up from
# it, and every acknowledged record is in every replica.
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
BOOT_ONLY=
broker_start "$F2"
new=$(WAIT_STEPS=300 wait_leader j 0 "[ \"\$1\" = $F2 ]")
[ "$new" = "$F2" ] && ok "ISR member F2=$F2 returned and leads" || bad "leader: $(part_line j 0)"
broker_start "$L"
wait_isr j 0 3 && ok "all three replicas in sync again" || bad "ISR not restored"
stop_all
for b in 1 2 3; do dump_partition "$b" j 0 >"$TMP/dump-p0-b$b.txt"; done
out=$(/usr/bin/python3 "$CLIENT" - verify "$TMP/acked.jsonl" "$TMP"/dump-p0-b*.txt)
[ $? -eq 0 ] && ok "$(tail -1 <<<"$out")" || bad "verify" "$out"
finish
