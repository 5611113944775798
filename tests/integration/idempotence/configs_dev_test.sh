#!/usr/bin/env bash
# DescribeConfigs / AlterConfigs against `meridian dev --brokers 3` with kafka-python's
# KafkaAdminClient and python3-confluent-kafka (configs_client.py): defaults and sources,
# alter + describe round trip, min.insync.replicas and retention.bytes/segment.bytes taking
# effect, INVALID_CONFIG for unknown keys and bad values, read-only broker configs.
set -uo pipefail
MERIDIAN=$1
SRC=$2
TMP=$(mktemp -d)
source "$SRC/tests/integration/dev_clients/dev_lib.sh"
trap cleanup EXIT

start_dev --brokers 3 || { bad "meridian dev did not start" "$(cat "$TMP/dev.err")"; exit 1; }
ok "meridian dev up on $BOOT"
out=$(/usr/bin/python3 "$SRC/tests/integration/idempotence/configs_client.py" "$BOOT" 2>&1)
rc=$?
echo "$out" | grep -E '^(ok|FAIL) '
passed=$((passed + $(grep -c '^ok ' <<<"$out")))
failed=$((failed + $(grep -c '^FAIL ' <<<"$out")))
if [ "$rc" -ne 0 ] && [ "$(grep -c '^FAIL ' <<<"$out")" -eq 0 ]; then
  bad "configs_client.py crashed" "$out"
fi
echo "configs_dev_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
