#!/usr/bin/env bash
# Controller failover during a leader election: the leader L of a partition is SIGKILLed, and
# the controller C (another broker) is SIGKILLed right when L's ZooKeeper session expires, i.e.
# while C handles the election. The survivor must become controller with a higher epoch, rebuild
# its state from ZooKeeper, elect itself (an ISR member) for every partition, and accept
# produce; after L and C return every acknowledged record is in every replica.
set -uo pipefail
source "$2/tests/support/zk_cluster_lib.sh"
zk_setup "$1" "$2" controller_failover_test
CLIENT="$SRC/tests/support/cluster_client.py"
zk_start
for id in 1 2 3; do broker_start "$id"; done
brokers_up 3 && ok "3 brokers registered" || die_logs "cluster up"
create_topic cf 3 min.insync.replicas=1 && for p in 0 1 2; do wait_isr cf $p 3 || die_logs "ISR"; done
ok "topic cf: 3 partitions, RF=3"
/usr/bin/python3 "$CLIENT" "$(boot)" produce cf "$TMP/acked.jsonl" --count 60 >/dev/null &&
  ok "60 records acknowledged" || bad "produce 1"
epoch_line() {
  grep -h "is the controller, epoch" "$TMP"/broker-*.log |
    sed -n 's/.*broker \([0-9]*\) is the controller, epoch \([0-9]*\).*/\2 \1/p' | sort -n | tail -1
}
read -r e0 C <<<"$(epoch_line)"
L=""
for p in 0 1 2; do l=$(leader_of cf $p); [ "$l" != "$C" ] && { L=$l; break; }; done
[ -n "$L" ] || die_logs "no partition led outside the controller"
S=$((6 - L - C))
kill -KILL "${PIDS[$L]}"
sleep 3.0  # zookeeper.session.timeout.ms: L's registration goes now and C starts electing
kill -KILL "${PIDS[$C]}"
wait "${PIDS[$L]}" "${PIDS[$C]}" 2>/dev/null
ok "SIGKILLed leader $L, then controller $C 3.0 s later"
BOOT_ONLY=$S
all_led_by_s() { local p; for p in 0 1 2; do [ "$(leader_of cf $p)" = "$S" ] || return 1; done; }
for _ in $(seq 1 150); do all_led_by_s && break; sleep 0.1; done
all_led_by_s && ok "survivor $S leads all 3 partitions" || bad "leaders: $(kcat -b "$(boot)" -L -t cf 2>&1 | grep partition)"
read -r e1 C1 <<<"$(epoch_line)"
[ "$C1" = "$S" ] && [ "$e1" -gt "$e0" ] && ok "broker $S is the controller, epoch $e0 -> $e1" || bad "controller $C1 epoch $e1"
/usr/bin/python3 "$CLIENT" "$(boot)" produce cf "$TMP/acked.jsonl" --count 60 >/dev/null &&
  ok "60 records acknowledged by the survivor" || bad "produce 2"
BOOT_ONLY=
broker_start "$L"; broker_start "$C"
for p in 0 1 2; do wait_isr cf $p 3 || bad "ISR of cf-$p"; done
ok "L and C rejoined every ISR"
stop_all
for p in 0 1 2; do for b in 1 2 3; do dump_partition "$b" cf "$p" >"$TMP/dump-p$p-b$b.txt"; done; done
out=$(/usr/bin/python3 "$CLIENT" - verify "$TMP/acked.jsonl" "$TMP"/dump-p*-b*.txt)
[ $? -eq 0 ] && ok "$(tail -1 <<<"$out")" || bad "verify" "$out"
finish
