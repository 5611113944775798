#!/usr/bin/env bash
# KIP-101 / KIP-279 truncation by leader epoch: the leader L writes a tail with acks=1 while
# both followers are SIGSTOPped (they stay in the ISR: shorter than replica.lag.time.max.ms),
# then L is SIGKILLed and the followers resume. A follower becomes leader with a higher epoch
# and acknowledges new acks=all records at the SAME offsets as L's unreplicated tail. When L
# restarts it must truncate its divergent tail by OffsetsForLeaderEpoch (not keep it, not keep
# it by high watermark) and end byte-identical to the others.
set -uo pipefail
source "$2/tests/support/zk_cluster_lib.sh"
LAG_MS=10000
zk_setup "$1" "$2" divergent_truncation_test
CLIENT="$SRC/tests/support/cluster_client.py"
zk_start
for id in 1 2 3; do broker_start "$id"; done
brokers_up 3 && ok "3 brokers registered" || die_logs "cluster up"
create_topic k 1 && wait_isr k 0 3 && ok "topic k: RF=3" || die_logs "topic"
/usr/bin/python3 "$CLIENT" "$(boot)" produce k "$TMP/acked.jsonl" --count 20 >/dev/null &&
  ok "20 records acknowledged by all" || bad "produce 1"
L=$(leader_of k 0)
fs=()
for b in 1 2 3; do [ "$b" != "$L" ] && fs+=("$b"); done
kill -STOP "${PIDS[${fs[0]}]}" "${PIDS[${fs[1]}]}"
BOOT_ONLY=$L /usr/bin/python3 "$CLIENT" "127.0.0.1:${PORT[$L]}" produce k "$TMP/acks1.jsonl" \
  --count 10 --acks 1 >/dev/null && ok "10 records written by leader $L alone (acks=1)" || bad "acks=1 produce"
kill -KILL "${PIDS[$L]}"
wait "${PIDS[$L]}" 2>/dev/null
kill -CONT "${PIDS[${fs[0]}]}" "${PIDS[${fs[1]}]}"
new=$(WAIT_STEPS=200 wait_leader k 0 "[ \"\$1\" != $L ] && [ \"\$1\" -ge 0 ]")
[ -n "$new" ] && ok "leader $L SIGKILLed; broker $new leads with a new epoch" || die_logs "failover"
/usr/bin/python3 "$CLIENT" "$(boot)" produce k "$TMP/acked.jsonl" --count 20 >/dev/null &&
  ok "20 acks=all records at the offsets of the divergent tail" || bad "produce 3"
overlap=$(/usr/bin/python3 -c '
import json, sys
a = {json.loads(l)["o"] for l in open(sys.argv[1])}
b = {json.loads(l)["o"] for l in open(sys.argv[2])}
print(len(a & b))' "$TMP/acked.jsonl" "$TMP/acks1.jsonl")
[ "$overlap" -gt 0 ] && ok "$overlap offsets hold different records on $L and on $new" || bad "no divergence set up"
broker_start "$L"
wait_isr k 0 3 && ok "broker $L restarted and rejoined the ISR" || bad "ISR: $(part_line k 0)"
grep -qi "truncat" "$TMP/broker-$L.log" && ok "broker $L logged its truncation" ||
  bad "no truncation logged" "$(tail -20 "$TMP/broker-$L.log")"
stop_all
for b in 1 2 3; do dump_partition "$b" k 0 >"$TMP/dump-p0-b$b.txt"; done
out=$(/usr/bin/python3 "$CLIENT" - verify "$TMP/acked.jsonl" "$TMP"/dump-p0-b*.txt)
[ $? -eq 0 ] && ok "$(tail -1 <<<"$out")" || bad "verify" "$out"
# A fetch pending when the followers were paused may still deliver the first acks=1 records:
# those are on every replica. The rest must be on none (truncated from $L).
read -r everywhere nowhere partial <<<"$(/usr/bin/python3 -c '
import json, sys
values = [json.loads(l)["v"] for l in open(sys.argv[1])]
logs = [set(line.split(" ", 1)[1].strip() for line in open(p)) for p in sys.argv[2:]]
n = [sum(v in log for log in logs) for v in values]
print(n.count(len(logs)), n.count(0), len(n) - n.count(len(logs)) - n.count(0))' \
  "$TMP/acks1.jsonl" "$TMP"/dump-p0-b*.txt)"
[ "$partial" = 0 ] && [ "$nowhere" -ge 1 ] &&
  ok "acks=1 tail: $nowhere truncated from every replica, $everywhere replicated before the failover" ||
  bad "acks=1 tail: $partial on some replicas only, $nowhere truncated, $everywhere everywhere"
cmp -s "$TMP/data/broker-1/k-0/00000000000000000000.log" "$TMP/data/broker-2/k-0/00000000000000000000.log" &&
cmp -s "$TMP/data/broker-1/k-0/00000000000000000000.log" "$TMP/data/broker-3/k-0/00000000000000000000.log" &&
  ok "replicas byte-identical" || bad "replicas differ" "$(ls -l "$TMP"/data/broker-*/k-0/)"
finish
