#!/usr/bin/env bash
# The C++ client Producer (cluster/client/producer.h) against three `meridian broker`
# processes on a real ZooKeeper, topics RF=3 with min.insync.replicas=2.
#   1. order: a plain producer with max_in_flight=5 writes 20000 ids to a one-partition topic;
#      the connection must have had several produce requests in flight at once, and the log
#      must hold every acknowledged id exactly once, in send order, at its reported offset.
#   2. idempotence: an idempotent producer (max_in_flight=5) writes ids while the partition
#      leader is SIGKILLed mid-stream and later restarted; the stream read back (kcat) must
#      have no duplicate, every acknowledged id at its offset, ids in send order.
#   client_idempotence_test.sh <meridian> <producer_tool> <source dir>
set -uo pipefail
TOOL=$2
source "$3/tests/support/zk_cluster_lib.sh"
zk_setup "$1" "$3" client_idempotence_test
PRODUCER_PID=""
EXTRA_PIDS=""
progress() { local n; n=$(cat "$TMP/progress" 2>/dev/null); echo "${n:-0}"; }
wait_progress() {  # wait_progress N: bounded wait until N ids are acknowledged
  local _
  for _ in $(seq 1 300); do
    [ "$(progress)" -ge "$1" ] && return 0
    kill -0 "$PRODUCER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# check ACKS TOPIC: every acked "p o id" is in the log at offset o, no id twice, ids of
# each partition ascending (send order).
check() {
  kcat -b "$(boot)" -C -t "$2" -o beginning -e -q -f '%p %o %s\n' >"$TMP/$2.dump" 2>"$TMP/kcat.err"
  /usr/bin/python3 - "$1" "$TMP/$2.dump" <<'PY'
import sys
acked = [l.split() for l in open(sys.argv[1]) if l.strip()]
log = {}
seen = {}
dups = 0
disorder = 0
last = {}
for line in open(sys.argv[2]):
    p, o, v = line.split()
    log[(p, int(o))] = v
    if v in seen:
        dups += 1
    seen[v] = True
    if p in last and int(v) <= last[p]:
        disorder += 1
    last[p] = int(v)
missing = sum(1 for p, o, v in acked if log.get((p, int(o))) != v)
# The producer failed no record, so the log holds exactly the acknowledged ids.
extra = len(set(seen) - {v for p, o, v in acked})
print(f"acked {len(acked)} in log {len(log)} missing {missing} extra {extra} "
      f"duplicates {dups} out-of-order {disorder}")
sys.exit(0 if acked and missing == extra == dups == disorder == 0 else 1)
PY
}

zk_start
for id in 1 2 3; do broker_start "$id"; done
brokers_up 3 && ok "3 brokers registered in ZooKeeper" || die_logs "brokers up"
create_topic order 1 min.insync.replicas=2 >"$TMP/create.log" 2>&1 || die_logs "create order"
create_topic ids 1 min.insync.replicas=2 >>"$TMP/create.log" 2>&1 || die_logs "create ids"
wait_isr order 0 3 && wait_isr ids 0 3 && ok "topics order and ids have a full ISR" || die_logs "ISR"

# 1. Pipelined order.
out=$("$TOOL" "$(boot)" order "$TMP/order.acks" "$TMP/none" "$TMP/progress" 5 0 20000 2>&1)
[ $? -eq 0 ] && ok "plain producer: $out" || bad "plain producer" "$out"
peak=$(sed -n 's/.*peak_in_flight \([0-9]*\).*/\1/p' <<<"$out")
[ "${peak:-0}" -gt 1 ] && ok "several batches of one partition were in flight at once ($peak)" \
  || bad "no pipelining seen (peak in flight ${peak:-?})"
res=$(check "$TMP/order.acks" order) && ok "max_in_flight=5 kept order: $res" || bad "order" "$res"

# 2. Idempotent producer across a SIGKILLed leader.
rm -f "$TMP/progress"
"$TOOL" "$(boot)" ids "$TMP/ids.acks" "$TMP/stop" "$TMP/progress" 5 1 100000000 >"$TMP/producer.log" 2>&1 &
PRODUCER_PID=$!
EXTRA_PIDS=$PRODUCER_PID
wait_progress 3000 && ok "3000 idempotent records acknowledged" || { bad "producer progress" "$(cat "$TMP/producer.log")"; finish; }
leader=$(leader_of ids 0)
[ -n "$leader" ] || { bad "leader of ids-0"; finish; }
kill -KILL "${PIDS[$leader]}"
ok "SIGKILLed broker $leader (leader of ids-0) mid-stream"
before=$(progress)
wait_progress $((before + 3000)) && ok "stream continued on the new leader" || bad "no progress after failover" "$(tail -5 "$TMP/producer.log")"
broker_start "$leader"
wait_isr ids 0 3 && ok "restarted broker $leader rejoined the ISR" || bad "ISR not restored"
before=$(progress)
wait_progress $((before + 1000)) || true
touch "$TMP/stop"
wait "$PRODUCER_PID"
rc=$?
PRODUCER_PID=""
[ "$rc" -eq 0 ] && ok "idempotent producer: $(tail -1 "$TMP/producer.log")" || bad "idempotent producer failed records" "$(tail -5 "$TMP/producer.log")"
res=$(check "$TMP/ids.acks" ids) && ok "no duplicate, no gap: $res" || bad "idempotent stream" "$res"
finish
