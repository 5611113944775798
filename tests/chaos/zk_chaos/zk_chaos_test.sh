#!/usr/bin/env bash
# Bounded chaos test (issue 4): three `meridian broker` processes on a real ZooKeeper, RF=3,
# min.insync.replicas=2, replica.lag.time.max.ms=2000, zookeeper.session.timeout.ms=3000. An
# acks=all producer writes unique ids while a seeded loop, in rounds, SIGKILLs and restarts the
# leader, the controller and a follower, SIGSTOPs a broker beyond replica.lag.time.max.ms and
# resumes it, and SIGSTOPs one beyond the session timeout (its ZooKeeper session expires; the
# broker exits with status 75 and is restarted, as its supervisor would). After each fault the loop waits (bounded)
# for full ISRs. Afterwards every acknowledged record must be in every replica at its offset,
# acks in order, replicas byte-identical; acked / lost / duplicated counts are printed.
# Default profile ~60-90 s; MERIDIAN_LONG_TESTS=1 runs 300 s of faults. Seed: CHAOS_SEED.
set -uo pipefail
source "$2/tests/support/zk_cluster_lib.sh"
SEED=${CHAOS_SEED:-$RANDOM}
RANDOM=$SEED
DURATION=${CHAOS_SECONDS:-40}
[ "${MERIDIAN_LONG_TESTS:-0}" = 1 ] && DURATION=${CHAOS_SECONDS:-300}
NUM_PARTITIONS=3
LAG_MS=2000
ZK_SESSION_MS=3000
zk_setup "$1" "$2" zk_chaos_test
echo "seed $SEED, $DURATION s of faults"
on_fail_seed() { [ "$failed" -ne 0 ] && echo "zk_chaos_test failed with CHAOS_SEED=$SEED"; }
trap 'on_fail_seed; zk_cleanup' EXIT
zk_start
for id in 1 2 3; do broker_start "$id"; done
brokers_up 3 && ok "3 brokers registered" || die_logs "cluster up"
create_topic chaos 3 && ok "topic chaos: 3 partitions, RF=3" || die_logs "create topic"
all_isr_full() {
  local p
  for p in 0 1 2; do
    [ "$(tr ',' '\n' <<<"$(isr_of chaos "$p")" | grep -c .)" -eq 3 ] || return 1
    [ "$(leader_of chaos "$p")" -ge 1 ] 2>/dev/null || return 1
  done
}
wait_healthy() {  # bounded: 40 s (kcat's own metadata timeout included)
  local deadline=$((SECONDS + 40))
  while [ "$SECONDS" -lt "$deadline" ]; do
    brokers_up 3 1 >/dev/null 2>&1 && all_isr_full && return 0
    sleep 0.2
  done
  return 1
}
wait_healthy && ok "full ISRs" || die_logs "initial ISRs"

controller() {
  grep -h "is the controller, epoch" "$TMP"/broker-*.log 2>/dev/null |
    sed -n 's/.*broker \([0-9]*\) is the controller, epoch \([0-9]*\).*/\2 \1/p' | sort -n | tail -1 | cut -d' ' -f2
}
restart() {  # restart ID after a SIGKILL or a session expiry
  kill -KILL "${PIDS[$1]}" 2>/dev/null
  wait "${PIDS[$1]}" 2>/dev/null
  sleep "0.$((RANDOM % 9 + 1))"
  broker_start "$1"
}
supervise() {  # like systemd's Restart=on-failure: a broker that exited by itself is restarted
  local id
  for id in 1 2 3; do
    if ! kill -0 "${PIDS[$id]}" 2>/dev/null; then
      echo "     broker $id exited by itself: restarted"
      restart "$id"
    fi
  done
}
pick_other() {  # a broker other than $1 (and $2)
  local b
  while :; do b=$((RANDOM % 3 + 1)); [ "$b" != "$1" ] && [ "$b" != "${2:-0}" ] && { echo "$b"; return; }; done
}

/usr/bin/python3 "$SRC/tests/support/cluster_client.py" "$(boot)" produce chaos "$TMP/acked.jsonl" \
  --stop-file "$TMP/stop" --seconds $((DURATION + 200)) >"$TMP/producer.out" 2>&1 &
PRODUCER=$!
EXTRA_PIDS=$PRODUCER
sleep 2
declare -A DONE=()
unhealthy=0
t_end=$(( $(date +%s) + DURATION ))
round=0
while [ "$(date +%s)" -lt "$t_end" ]; do
  action=$(( round % 5 ))
  round=$((round + 1))
  p=$((RANDOM % 3))
  case $action in
    0) v=$(leader_of chaos $p); [ "${v:-0}" -ge 1 ] 2>/dev/null || v=$(pick_other 0)
       echo "     round $round: SIGKILL leader of chaos-$p (broker $v)"; name=kill_leader
       kill -KILL "${PIDS[$v]}"; sleep "$((RANDOM % 3 + 1))"; restart "$v" ;;
    1) v=$(controller); [ -n "$v" ] || v=1
       echo "     round $round: SIGKILL controller (broker $v)"; name=kill_controller
       kill -KILL "${PIDS[$v]}"; sleep "$((RANDOM % 3 + 1))"; restart "$v" ;;
    2) l=$(leader_of chaos $p); v=$(pick_other "${l:-0}")
       echo "     round $round: SIGKILL follower of chaos-$p (broker $v)"; name=kill_follower
       kill -KILL "${PIDS[$v]}"; sleep "$((RANDOM % 3 + 1))"; restart "$v" ;;
    3) l=$(leader_of chaos $p); v=$(pick_other "${l:-0}")  # a follower: a paused leader shrinks nothing
       echo "     round $round: SIGSTOP follower of chaos-$p (broker $v) for 2.6 s (> replica.lag.time.max.ms)"; name=pause_lag
       shrinks=$(grep -h "shrinking ISR: broker $v " "$TMP"/broker-*.log | wc -l)
       kill -STOP "${PIDS[$v]}"; sleep 2.6; kill -CONT "${PIDS[$v]}"
       for _ in $(seq 1 15); do  # the leader's log line may reach the file a moment later
         [ "$(grep -h "shrinking ISR: broker $v " "$TMP"/broker-*.log | wc -l)" -gt "$shrinks" ] &&
           { DONE[isr_shrunk]=$(( ${DONE[isr_shrunk]:-0} + 1 )); break; }
         sleep 0.2
       done ;;
    4) v=$((RANDOM % 3 + 1))
       echo "     round $round: SIGSTOP broker $v for 5 s (> zookeeper.session.timeout.ms)"; name=expire_session
       kill -STOP "${PIDS[$v]}"; sleep 5; kill -CONT "${PIDS[$v]}"
       for _ in $(seq 1 30); do grep -q "session expired" "$TMP/broker-$v.log" && break; sleep 0.2; done
       grep -q "session expired" "$TMP/broker-$v.log" && DONE[session_expired]=$(( ${DONE[session_expired]:-0} + 1 ))
       # It exits by itself (status 75) for its supervisor to restart it.
       for _ in $(seq 1 150); do kill -0 "${PIDS[$v]}" 2>/dev/null || break; sleep 0.2; done
       kill -0 "${PIDS[$v]}" 2>/dev/null || { wait "${PIDS[$v]}"; [ $? -eq 75 ] &&
         DONE[exited_75]=$(( ${DONE[exited_75]:-0} + 1 )); }
       restart "$v" ;;
  esac
  DONE[$name]=$(( ${DONE[$name]:-0} + 1 ))
  supervise
  if ! wait_healthy; then
    unhealthy=$((unhealthy + 1))
    echo "     cluster did not recover full ISRs within 40 s after round $round"
  fi
done
touch "$TMP/stop"
wait "$PRODUCER"
prc=$?
summary=$(tail -1 "$TMP/producer.out")
faults=""
for k in "${!DONE[@]}"; do faults="$faults $k=${DONE[$k]}"; done
echo "     faults:$faults"
[ "$unhealthy" -eq 0 ] && ok "cluster recovered after each of $round faults" || bad "$unhealthy rounds without recovery"
[ "$prc" -eq 0 ] && ok "producer: $summary" || bad "producer ended with $prc" "$(cat "$TMP/producer.out")"
# Reported, not asserted: whether a 2.6 s pause outlasts the 2 s lag by enough for a shrink
# depends on the load (1 in ~10 runs saw none); zk_metrics_test asserts the shrink on SIGSTOP.
echo "     info: a leader shrank the ISR in ${DONE[isr_shrunk]:-0} of ${DONE[pause_lag]:-0} lag pauses"
[ "${DONE[session_expired]:-0}" -ge 1 ] || [ "${DONE[expire_session]:-0}" -eq 0 ] &&
  ok "ZooKeeper session expiry seen ${DONE[session_expired]:-0} time(s)" || bad "no session expired"
[ "${DONE[exited_75]:-0}" -eq "${DONE[session_expired]:-0}" ] &&
  ok "each broker whose session expired exited with status 75 (${DONE[exited_75]:-0})" ||
  bad "${DONE[exited_75]:-0} of ${DONE[session_expired]:-0} expired brokers exited with status 75"
wait_healthy || bad "final ISRs not full"
stop_all
for p in 0 1 2; do for b in 1 2 3; do dump_partition "$b" chaos "$p" >"$TMP/dump-p$p-b$b.txt"; done; done
out=$(/usr/bin/python3 "$SRC/tests/support/cluster_client.py" - verify "$TMP/acked.jsonl" "$TMP"/dump-p*-b*.txt)
[ $? -eq 0 ] && ok "$(tail -1 <<<"$out")" || bad "verify acknowledged records" "$out"
identical=1
for p in 0 1 2; do
  for b in 2 3; do
    cmp -s "$TMP/data/broker-1/chaos-$p/00000000000000000000.log" \
           "$TMP/data/broker-$b/chaos-$p/00000000000000000000.log" || identical=0
  done
done
[ "$identical" -eq 1 ] && ok "replicas byte-identical" || bad "replicas differ" "$(ls -l "$TMP"/data/broker-*/chaos-*/*.log)"
grep -h "UNCLEAN" "$TMP"/broker-*.log && bad "an unclean election happened"
finish
