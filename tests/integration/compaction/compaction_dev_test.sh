#!/usr/bin/env bash
# Log compaction end to end: kafka-python (compaction_client.py) writes a cleanup.policy=compact
# topic on `meridian dev`, the broker's maintenance pass compacts it, the consumer reads the
# latest value per key; then `meridian dev` is SIGKILLed and restarted on the same data dir and
# the compacted log reads the same.
set -uo pipefail
MERIDIAN=$1
SRC=$2
TMP=$(mktemp -d)
source "$SRC/tests/integration/dev_clients/dev_lib.sh"
trap cleanup EXIT

run_client() {
  local out rc
  out=$(/usr/bin/python3 "$SRC/tests/integration/compaction/$1" "$BOOT" "${@:2}" 2>&1)
  rc=$?
  echo "$out" | grep -E '^(ok|FAIL) '
  passed=$((passed + $(grep -c '^ok ' <<<"$out")))
  failed=$((failed + $(grep -c '^FAIL ' <<<"$out")))
  if [ "$rc" -ne 0 ] && [ "$(grep -c '^FAIL ' <<<"$out")" -eq 0 ]; then
    bad "$1 crashed" "$out"
  fi
}

start_dev || { bad "meridian dev did not start" "$(cat "$TMP/dev.err")"; exit 1; }
ok "meridian dev up on $BOOT"
run_client compaction_client.py "$TMP/records.json"
if grep -q "compacted .* segment" "$TMP/dev.out" "$TMP/dev.err"; then
  ok "the broker log says it compacted segments"
else
  bad "no compaction line in the broker log"
fi
kill -KILL "$DEV_PID"
wait "$DEV_PID" 2>/dev/null
start_dev || { bad "meridian dev did not restart" "$(cat "$TMP/dev.err")"; exit 1; }
ok "meridian dev restarted after SIGKILL"
run_client compaction_reread.py "$TMP/records.json"
echo "compaction_dev_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
