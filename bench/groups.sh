#!/usr/bin/env bash
# Consumer-group and idempotent-produce figures in one run against `meridian dev`:
#   bench/groups.sh <meridian binary> [records] [record bytes]
# 1. bench/group_bench.py: 3 kafka-python consumers in one group over 6 partitions (MB/s), then
#    the rebalance time after a SIGKILLed member (session timeout 6 s) and after a clean leave.
# 2. tests/integration/idempotence/bench_idempotence.sh-style: plain acks=all vs idempotent
#    (python3-confluent-kafka), alternated in the same `meridian dev --brokers 3`.
set -uo pipefail
MERIDIAN=$1
SRC=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${2:-30000}
SIZE=${3:-1024}
TMP=$(mktemp -d)
source "$SRC/tests/integration/dev_clients/dev_lib.sh"
trap cleanup EXIT
start_dev || { echo "meridian dev did not start"; cat "$TMP/dev.err"; exit 1; }
echo "group consume (1 broker):"
/usr/bin/python3 "$SRC/bench/group_bench.py" "$BOOT" "$COUNT" "$SIZE" 6000
kill -KILL "$DEV_PID"; wait "$DEV_PID" 2>/dev/null; rm -rf "$TMP/data"
start_dev --brokers 3 || { echo "meridian dev did not start"; cat "$TMP/dev.err"; exit 1; }
CLIENT="/usr/bin/python3 $SRC/tests/integration/idempotence/idempotent_client.py"
echo "idempotent vs plain acks=all (RF 3, min ISR 2), alternated:"
for round in 1 2; do
  for mode in 0 1; do
    topic="ibench-$round-$mode"
    $CLIENT create "$BOOT" "$topic" >/dev/null || exit 1
    sleep 1
    $CLIENT bench "$BOOT" "$topic" "$COUNT" "$mode" || exit 1
  done
done
