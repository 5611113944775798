#!/usr/bin/env bash
# Automatic preferred-leader rebalance (auto.leader.rebalance.enable,
# leader.imbalance.check.interval.seconds, leader.imbalance.per.broker.percentage): a broker
# that was SIGKILLed and restarted gets back the leadership of the partitions it prefers
# (first in the assignment) once it is in sync again, without any admin call.
set -uo pipefail
source "$2/tests/support/zk_cluster_lib.sh"
BROKER_EXTRA_YAML=$'auto.leader.rebalance.enable: true\nleader.imbalance.check.interval.seconds: 1\nleader.imbalance.per.broker.percentage: 10'
zk_setup "$1" "$2" preferred_rebalance_test
zk_start
for id in 1 2 3; do broker_start "$id"; done
brokers_up 3 && ok "3 brokers registered" || die_logs "cluster up"
create_topic pr 3 && for p in 0 1 2; do wait_isr pr "$p" 3 || die_logs "ISR of pr-$p"; done
ok "topic pr: 3 partitions, RF=3, full ISRs"
preferred_of() { part_line pr "$1" | sed -n 's/.*replicas: \([0-9]*\).*/\1/p'; }
balanced() {
  local p
  for p in 0 1 2; do [ "$(leader_of pr "$p")" = "$(preferred_of "$p")" ] || return 1; done
}
for _ in $(seq 1 50); do balanced && break; sleep 0.2; done
balanced && ok "every partition led by its preferred replica" || die_logs "initial balance"
p=0
victim=$(preferred_of $p)
/usr/bin/python3 "$SRC/tests/support/cluster_client.py" "$(boot)" produce pr "$TMP/acked.jsonl" --count 50 >/dev/null
kill -KILL "${PIDS[$victim]}"
wait "${PIDS[$victim]}" 2>/dev/null
other=$(wait_leader pr $p "[ \"\$1\" != $victim ] && [ \"\$1\" -ge 0 ]")
[ -n "$other" ] && ok "pr-$p failed over from broker $victim to $other" || die_logs "failover"
/usr/bin/python3 "$SRC/tests/support/cluster_client.py" "$(boot)" produce pr "$TMP/acked.jsonl" --count 50 >/dev/null
t0=$(now_ms)
broker_start "$victim"
back=$(WAIT_STEPS=200 wait_leader pr $p "[ \"\$1\" = $victim ]")
t1=$(now_ms)
[ -n "$back" ] && ok "restarted broker $victim leads pr-$p again $((t1 - t0)) ms after restart" ||
  bad "leadership did not come back" "$(grep -h 'preferred\|leader' "$TMP"/broker-*.log | tail -20)"
for _ in $(seq 1 50); do balanced && break; sleep 0.2; done
balanced && ok "all partitions back on their preferred leaders" || bad "still imbalanced"
grep -hq "preferred leader election moved" "$TMP"/broker-*.log && ok "controller logged the rebalance" ||
  bad "no rebalance log line"
stop_all
for p in 0 1 2; do for b in 1 2 3; do dump_partition "$b" pr "$p" >"$TMP/dump-p$p-b$b.txt"; done; done
out=$(/usr/bin/python3 "$SRC/tests/support/cluster_client.py" - verify "$TMP/acked.jsonl" "$TMP"/dump-p*-b*.txt)
[ $? -eq 0 ] && ok "$(tail -1 <<<"$out")" || bad "verify" "$out"
finish
