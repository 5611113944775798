#!/usr/bin/env bash
# kafkajs (npm, pinned in package-lock.json) against one cluster shape, TARGET dev | zk (see
# tests/integration/dev_clients/target_lib.sh). Installs kafkajs itself with `npm ci` into the
# test's temp dir (the npm cache makes reruns fast), then runs kafkajs_roundtrip.js: a producer
# with acks -1, a consumer group of 2, committed offsets checked and resumed from.
#   kafkajs_test.sh TARGET MERIDIAN SRC
set -uo pipefail
source "$3/tests/integration/dev_clients/target_lib.sh"
target_setup "$1" "$2" "$3" kafkajs_test
HERE="$SRC/tests/clients"

mkdir -p "$TMP/npm"
cp "$HERE/package.json" "$HERE/package-lock.json" "$TMP/npm/"
if timeout 180 npm ci --prefix "$TMP/npm" --no-audit --no-fund >"$TMP/npm.log" 2>&1 &&
   [ -f "$TMP/npm/node_modules/kafkajs/package.json" ]; then
  ok "npm ci: kafkajs $(sed -n 's/^ *"version": "\(.*\)",/\1/p' "$TMP/npm/node_modules/kafkajs/package.json")"
else
  bad "npm ci (registry reachable?)" "$(tail -20 "$TMP/npm.log")"
  finish
fi

target_start num.partitions=3 offsets.topic.num.partitions=10
out=$(KAFKAJS_NO_PARTITIONER_WARNING=1 NODE_PATH="$TMP/npm/node_modules" \
      timeout 150 node "$HERE/kafkajs_roundtrip.js" "$BOOT" kafkajs-roundtrip 2>"$TMP/node.err")
rc=$?
grep '^ok ' <<<"$out" | sed 's/^ok   /ok   kafkajs: /'
if [ $rc -eq 0 ] && grep -q "all checks passed" <<<"$out"; then
  passed=$((passed + $(grep -c '^ok ' <<<"$out")))
else
  bad "kafkajs round trip (rc $rc)" "$(grep -v '^ok ' <<<"$out"; tail -15 "$TMP/node.err")"
fi
target_stop_clean
finish
