#!/usr/bin/env bash
# One-run measurement (not a ctest): idempotent vs plain acks=all produce throughput with the
# same tool (python3-confluent-kafka, 1 KiB records, one partition, RF 3, min ISR 2) against
# `meridian dev --brokers 3`, interleaved plain/idempotent/plain/idempotent.
#   tests/integration/idempotence/bench_idempotence.sh <meridian> <source dir> [records]
set -uo pipefail
MERIDIAN=$1
SRC=$2
COUNT=${3:-100000}
TMP=$(mktemp -d)
source "$SRC/tests/integration/dev_clients/dev_lib.sh"
trap cleanup EXIT
CLIENT="/usr/bin/python3 $SRC/tests/integration/idempotence/idempotent_client.py"
start_dev --brokers 3 || { echo "meridian dev did not start"; cat "$TMP/dev.err"; exit 1; }
for round in 1 2; do
  for mode in 0 1; do
    topic="bench-$round-$mode"
    $CLIENT create "$BOOT" "$topic" >/dev/null || exit 1
    sleep 1
    $CLIENT bench "$BOOT" "$topic" "$COUNT" "$mode" || exit 1
  done
done
