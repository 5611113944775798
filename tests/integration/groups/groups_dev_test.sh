#!/usr/bin/env bash
# Consumer groups with unmodified clients (issue 5) against one cluster shape, TARGET dev | zk
# (tests/integration/dev_clients/target_lib.sh): the article program and its group_id variant
# (kafka-python), three consumers sharing six partitions with one SIGKILLed, kcat -G,
# stale-generation and missing-partition commits with raw requests, then committed offsets
# surviving a restart of every broker (same data dirs).
#   groups_dev_test.sh TARGET MERIDIAN SRC
set -uo pipefail
source "$3/tests/integration/dev_clients/target_lib.sh"
target_setup "$1" "$2" "$3" groups_test
HERE="$SRC/tests/integration/groups"
PY=/usr/bin/python3
# 10 offsets partitions keep start-up quick here; the default (50) is exercised by dev_clients.
target_start offsets.topic.num.partitions=10

# (1) The article program, and with a group_id.
out=$(timeout 120 $PY "$HERE/article_program.py" "$BOOT" 2>&1)
if [ "$(grep -c "^b'Hello, Kafka!'$" <<<"$out")" -eq 1 ]; then ok "article program prints the record"
else bad "article program" "$out"; fi
if grep -q "^group: b'Hello, Kafka!'$" <<<"$out" && grep -q "second run of article-group: 0 records" <<<"$out"; then
  ok "group_id variant prints the record, commits, and a rerun resumes after it"
else bad "group_id variant" "$out"; fi

# (2) Three consumers, six partitions, one SIGKILLed.
out=$(timeout 240 $PY "$HERE/share_and_kill.py" "$BOOT" "$TMP" 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
if [ $rc -eq 0 ]; then ok "python3-kafka group of 3 survives a SIGKILLed member"
else bad "share and kill (rc $rc)"; fi

# (3) kcat balanced consumer (-G): consume, commit on close, resume. Three replicas, so the
# records are on every broker when the restart below re-creates the topic.
$PY "$HERE/produce_numbered.py" "$BOOT" kcat-grp 1 0 0 3 >/dev/null 2>"$TMP/create.err"
seq 1 100 | sed 's/^/k-/' | kcat -b "$BOOT" -P -t kcat-grp -X topic.request.required.acks=-1 2>"$TMP/kp.err"
kcat_group() {
  timeout 60 kcat -b "$BOOT" -G kcat-group -X auto.offset.reset=earliest -c "$1" -q -f '%s\n' kcat-grp 2>>"$TMP/kc.err"
}
got=$(kcat_group 100 | sort -u | wc -l)
seq 101 150 | sed 's/^/k-/' | kcat -b "$BOOT" -P -t kcat-grp -X topic.request.required.acks=-1 2>>"$TMP/kp.err"
second=$(kcat_group 50 | sort)
if [ "$got" -eq 100 ] && [ "$second" = "$(seq 101 150 | sed 's/^/k-/' | sort)" ]; then
  ok "kcat -G consumes 100, then resumes at the committed offset for the next 50"
else bad "kcat -G: first run $got distinct, second run $(wc -l <<<"$second") records" "$(tail -5 "$TMP/kc.err")"; fi

# (5) Fencing with raw requests.
out=$(timeout 120 $PY "$HERE/stale_commit.py" "${BOOT%%,*}" shared6 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
if [ $rc -eq 0 ]; then ok "stale generation -> ILLEGAL_GENERATION, missing partition -> UNKNOWN_TOPIC_OR_PARTITION, others undisturbed"
else bad "raw request fencing (rc $rc)"; fi

# (4) Committed offsets survive a restart of every broker.
before_share=$($PY "$HERE/committed_offsets.py" "$BOOT" share-group 2>&1)
before_kcat=$($PY "$HERE/committed_offsets.py" "$BOOT" kcat-group 2>&1)
target_restart
after_share=$($PY "$HERE/committed_offsets.py" "$BOOT" share-group 2>&1)
after_kcat=$($PY "$HERE/committed_offsets.py" "$BOOT" kcat-group 2>&1)
if [ "$(wc -l <<<"$before_share")" -eq 6 ] && [ "$before_share" = "$after_share" ] && \
   [ -n "$before_kcat" ] && [ "$before_kcat" = "$after_kcat" ]; then
  ok "committed offsets of 2 groups identical after restarting all brokers"
else bad "offsets after restart" "before: $before_share $before_kcat
after: $after_share $after_kcat"; fi
seq 151 160 | sed 's/^/k-/' | kcat -b "$BOOT" -P -t kcat-grp -X topic.request.required.acks=-1 2>>"$TMP/kp.err"
resumed=$(kcat_group 10 | sort)
if [ "$resumed" = "$(seq 151 160 | sed 's/^/k-/' | sort)" ]; then
  ok "kcat -G resumes after the restart with exactly the 10 new records"
else bad "resume after restart" "$resumed"; fi
target_stop_clean
finish
