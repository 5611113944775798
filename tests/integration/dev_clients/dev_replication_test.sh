#!/usr/bin/env bash
# Replication inside one DC: `meridian dev --brokers 3` with RF=3 and min.insync.replicas=2.
# kafka-python writes 300 acks=all records; every partition must show a full ISR, every record
# must come back exactly once, and after a clean shutdown every replica's segment must be
# byte-identical to the leader's.
set -uo pipefail
MERIDIAN=$1
SRC=$2
TMP=$(mktemp -d)
source "$(dirname "$0")/dev_lib.sh"
trap cleanup EXIT

if ! start_dev --brokers 3 --set num.partitions=3 --set default.replication.factor=3 \
    --set min.insync.replicas=2; then
  bad "meridian dev started" "$(cat "$TMP/dev.err")"
  echo "dev_replication_test: $passed passed, $failed failed"
  exit 1
fi

out=$(/usr/bin/python3 "$SRC/tests/integration/broker_single/kafka_python_roundtrip.py" "$BOOT" 2>&1)
if grep -q "consumed 300 of 300 produced, 0 missing, 0 duplicated, 0 at a different offset" <<<"$out"; then
  ok "300 acks=all records with RF=3, min.insync.replicas=2, read back exactly once"
else
  bad "kafka-python round trip with RF=3" "$out"
fi

full_isr=0
for _ in $(seq 1 50); do
  meta=$(kcat -b "$BOOT" -L -t test -m 10 2>&1)
  full_isr=$(grep -cE 'replicas: [0-9],[0-9],[0-9], isrs: [0-9],[0-9],[0-9]$' <<<"$meta")
  [ "$full_isr" -eq 3 ] && break
  sleep 0.2
done
if [ "$full_isr" -eq 3 ]; then ok "all 3 partitions have 3 replicas in sync"; else bad "ISR not full" "$meta"; fi

kill -TERM "$DEV_PID"
wait "$DEV_PID"
rc=$?
[ "$rc" -eq 0 ] && ok "clean exit on SIGTERM" || bad "exit status $rc" "$(tail -5 "$TMP/dev.err")"
DEV_PID=""

for p in 0 1 2; do
  ref="$TMP/data/broker-1/test-$p/00000000000000000000.log"
  same=1
  for b in 2 3; do
    cmp -s "$ref" "$TMP/data/broker-$b/test-$p/00000000000000000000.log" || same=0
  done
  size=$(stat -c %s "$ref" 2>/dev/null || echo 0)
  if [ "$same" -eq 1 ] && [ "$size" -gt 0 ]; then
    ok "test-$p: 3 replicas byte-identical ($size bytes)"
  else
    bad "test-$p replicas differ" "$(ls -l "$TMP"/data/broker-*/test-$p/ 2>&1)"
  fi
done

echo "dev_replication_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
