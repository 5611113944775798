#!/usr/bin/env bash
# Consumer-group coordinator failover on three `meridian broker` processes with a real ZooKeeper
# (zk only: it kills one broker process). A kafka-python member consumes and commits 300 records;
# then the group's coordinator broker and the member are both SIGKILLed; 300 more records are
# produced; a new member of the same group, served by the new coordinator (which loaded the group
# from its replica of __consumer_offsets), must resume exactly at the committed offsets: every
# new record once or more, no old record again, nothing skipped.
#   groups_zk_failover_test.sh MERIDIAN SRC
set -uo pipefail
source "$2/tests/integration/dev_clients/target_lib.sh"
target_setup zk "$1" "$2" groups_zk_failover_test
HERE="$SRC/tests/integration/groups"
PY=/usr/bin/python3
MEMBERS=()
EXTRA_PIDS=""  # zk_cleanup kills these too
records_of() { grep -h '^R ' "$@" 2>/dev/null | awk '{print $2, $3}' | sort -u; }
committed_total() {
  $PY "$HERE/committed_offsets.py" "$1" zk-group 2>/dev/null | awk '{s += $3} END {print s + 0}'
}

target_start offsets.topic.num.partitions=10 group.initial.rebalance.delay.ms=500

timeout 120 $PY "$HERE/produce_numbered.py" "$BOOT" gfail 6 0 300 3 >"$TMP/acked-1" 2>"$TMP/produce-1.err"
[ "$(grep -c '^acked' "$TMP/acked-1")" -eq 300 ] && ok "300 records acknowledged (6 partitions, RF 3)" \
  || bad "produce 1" "$(tail -5 "$TMP/produce-1.err")"

$PY "$HERE/group_member.py" "$BOOT" zk-group gfail "$TMP/member-1.out" "$TMP/stop-1" &
MEMBERS+=($!)
EXTRA_PIDS="${MEMBERS[*]}"
done1=0
for _ in $(seq 1 150); do
  [ "$(committed_total "$BOOT")" -eq 300 ] && { done1=1; break; }
  sleep 0.4
done
[ "$done1" -eq 1 ] && ok "member 1 consumed and committed all 300" || bad "first member" "$(tail -5 "$TMP/member-1.out")"

coordinator=$($PY "$HERE/find_coordinator.py" "$BOOT" zk-group)
[ -n "$coordinator" ] && [ -n "${PIDS[$coordinator]:-}" ] || { bad "found the coordinator ($coordinator)"; finish; }
kill -KILL "${MEMBERS[0]}" "${PIDS[$coordinator]}"
ok "SIGKILLed member 1 and the coordinator, broker $coordinator"
ALIVE=""
for id in 1 2 3; do [ "$id" != "$coordinator" ] && ALIVE="$ALIVE${ALIVE:+,}127.0.0.1:${PORT[$id]}"; done

# The ZooKeeper session of the killed broker ends after 3 s; then the controller elects new
# leaders, among them the group's new coordinator.
new_coordinator=$coordinator
for _ in $(seq 1 60); do
  new_coordinator=$($PY "$HERE/find_coordinator.py" "$ALIVE" zk-group)
  [ -n "$new_coordinator" ] && [ "$new_coordinator" != "$coordinator" ] && break
  sleep 0.5
done
[ -n "$new_coordinator" ] && [ "$new_coordinator" != "$coordinator" ] && ok "the group moved to broker $new_coordinator" \
  || bad "coordinator did not move ($new_coordinator)"
timeout 120 $PY "$HERE/produce_numbered.py" "$ALIVE" gfail 6 300 600 3 >"$TMP/acked-2" 2>"$TMP/produce-2.err"
[ "$(grep -c '^acked' "$TMP/acked-2")" -eq 300 ] && ok "300 more records acknowledged after the kill (2 of 3 brokers, min ISR 2)" \
  || bad "produce 2" "$(tail -5 "$TMP/produce-2.err")"

started=$(date +%s%3N)
$PY "$HERE/group_member.py" "$ALIVE" zk-group gfail "$TMP/member-2.out" "$TMP/stop-2" &
MEMBERS+=($!)
EXTRA_PIDS="${MEMBERS[*]}"
awk '{print $2, $3}' "$TMP/acked-2" | sort -u >"$TMP/want-2"
for _ in $(seq 1 150); do
  records_of "$TMP/member-2.out" >"$TMP/got-2"
  [ -z "$(comm -23 "$TMP/want-2" "$TMP/got-2")" ] && break
  sleep 0.4
done
echo "    member 2 caught up $(( $(date +%s%3N) - started )) ms after it started"
touch "$TMP/stop-2"
missing=$(comm -23 "$TMP/want-2" "$TMP/got-2" | wc -l)
again=$(comm -12 <(awk '{print $2, $3}' "$TMP/acked-1" | sort -u) "$TMP/got-2" | wc -l)
[ "$(wc -l <"$TMP/want-2")" -eq 300 ] && [ "$missing" -eq 0 ] && ok "member 2 consumed all 300 new records" \
  || bad "member 2 missed $missing of $(wc -l <"$TMP/want-2") records"
[ "$again" -eq 0 ] && ok "member 2 resumed at the committed offsets (no record of the first 300 again)" \
  || bad "$again old records consumed again"
after=0
for _ in $(seq 1 50); do
  after=$(committed_total "$ALIVE")
  [ "$after" -eq 600 ] && break
  sleep 0.3
done
[ "$after" -eq 600 ] && ok "new coordinator holds commits for all 600 records" || bad "committed total $after"
finish
