#!/usr/bin/env bash
# `meridian dev --gateway-port 0`: produce over HTTP (Confluent v2 binary and json), check the
# offsets, that keyed records land where librdkafka's murmur2 partitioner puts the same keys,
# read everything back with kcat, and check the 404/400 paths leave the server answering.
set -uo pipefail
MERIDIAN=$1
TMP=$(mktemp -d)
passed=0
failed=0
DEV_PID=""
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | tail -20; }
cleanup() {
  if [ -n "$DEV_PID" ] && kill -0 "$DEV_PID" 2>/dev/null; then kill -KILL "$DEV_PID"; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
finish() { echo "gateway_dev_test: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

"$MERIDIAN" dev --brokers 1 --port 0 --gateway-port 0 --admin-port 0 --data-dir "$TMP/data" \
  --set num.partitions=3 >"$TMP/dev.out" 2>"$TMP/dev.err" &
DEV_PID=$!
BOOT=""
GW=""
for _ in $(seq 1 100); do
  BOOT=$(sed -n 's/.*bootstrap \([0-9.]*:[0-9]*\).*/\1/p' "$TMP/dev.out")
  GW=$(sed -n 's/.*gateway \(http:\/\/[0-9.]*:[0-9]*\).*/\1/p' "$TMP/dev.out")
  [ -n "$BOOT" ] && [ -n "$GW" ] && break
  sleep 0.1
done
if [ -z "$BOOT" ] || [ -z "$GW" ]; then
  bad "meridian dev started with a gateway" "$(cat "$TMP/dev.out" "$TMP/dev.err")"
  finish
fi
ok "meridian dev started (kafka $BOOT, gateway $GW)"

BIN='application/vnd.kafka.binary.v2+json'
JSON='application/vnd.kafka.json.v2+json'
# post PATH TYPE BODY: prints the body, then the status on the last line.
post() { curl -s -m 20 -X POST -H "Content-Type: $2" --data "$3" -w '\n%{http_code}' "$GW$1"; }

# Binary: "one", "two" (base64), unkeyed, to a fresh topic (auto-created with 3 partitions).
out=$(post /topics/test "$BIN" '{"records":[{"value":"b25l"},{"value":"dHdv"}]}')
if [ "$(tail -1 <<<"$out")" = 200 ] &&
   [ "$(grep -o '"offset":[0-9]*' <<<"$out" | wc -l)" -eq 2 ] && ! grep -q '"error_code":[0-9]' <<<"$out"; then
  ok "binary produce: 200 with two offsets"
else
  bad "binary produce" "$out"
fi

out=$(post /topics/test "$JSON" '{"records":[{"value":{"n":3}},{"value":"four"}]}')
if [ "$(tail -1 <<<"$out")" = 200 ] && [ "$(grep -o '"offset":[0-9]*' <<<"$out" | wc -l)" -eq 2 ]; then
  ok "json produce: 200 with two offsets"
else
  bad "json produce" "$out"
fi

out=$(post /topics/test/partitions/1 "$BIN" '{"records":[{"value":"Zml2ZQ=="}]}')
if [ "$(tail -1 <<<"$out")" = 200 ] && grep -q '"partition":1,' <<<"$out"; then
  ok "produce to partition 1: 200, partition 1"
else
  bad "produce to partition 1" "$out"
fi

# Keyed: the gateway's partitions must equal librdkafka murmur2_random's for the same keys.
body='{"records":['
for i in $(seq 1 12); do
  body+="{\"key\":\"$(printf 'key-%d' "$i" | base64)\",\"value\":\"$(printf 'gw-%d' "$i" | base64)\"},"
done
body="${body%,}]}"
out=$(post /topics/keyed "$BIN" "$body")
[ "$(tail -1 <<<"$out")" = 200 ] || bad "keyed produce" "$out"
for i in $(seq 1 12); do echo "key-$i:kc-$i"; done |
  kcat -b "$BOOT" -P -t keyed -K: -X topic.partitioner=murmur2_random \
    -X message.timeout.ms=15000 2>"$TMP/kcat-p.err"
kcat -b "$BOOT" -C -t keyed -o beginning -e -q -m 15 -f '%k %p %s\n' >"$TMP/keyed" 2>"$TMP/kcat-c.err"
mismatch=0
for i in $(seq 1 12); do
  gw=$(awk -v k="key-$i" -v v="gw-$i" '$1 == k && $3 == v {print $2}' "$TMP/keyed")
  kc=$(awk -v k="key-$i" -v v="kc-$i" '$1 == k && $3 == v {print $2}' "$TMP/keyed")
  { [ -n "$gw" ] && [ "$gw" = "$kc" ]; } || mismatch=$((mismatch + 1))
done
used=$(awk '{print $2}' "$TMP/keyed" | sort -u | wc -l)
if [ "$mismatch" -eq 0 ] && [ "$used" -gt 1 ]; then
  ok "12 keys land in kcat's murmur2 partitions ($used partitions used)"
else
  bad "keyed partitions: $mismatch of 12 differ" "$(cat "$TMP/keyed" "$TMP/kcat-p.err" "$TMP/kcat-c.err")"
fi

got=$(kcat -b "$BOOT" -C -t test -o beginning -e -q -m 15 -f '%s\n' 2>"$TMP/kcat-c.err" | sort | tr '\n' ' ')
want=$(printf '%s\n' one two '{"n":3}' '"four"' five | sort | tr '\n' ' ')
if [ "$got" = "$want" ]; then
  ok "kcat reads back the 5 produced values"
else
  bad "kcat read back: got [$got] want [$want]" "$(cat "$TMP/kcat-c.err")"
fi

out=$(post /topics/test/partitions/7 "$BIN" '{"records":[{"value":"b25l"}]}')
if [ "$(tail -1 <<<"$out")" = 404 ] && grep -q '"error_code":40402' <<<"$out"; then
  ok "unknown partition: 404 40402"
else
  bad "unknown partition" "$out"
fi

out=$(post /topics/test "$BIN" '{"records":[{"value":')
code=$(tail -1 <<<"$out")
if [ "$code" = 400 ] || [ "$code" = 422 ]; then ok "bad JSON: $code"; else bad "bad JSON" "$out"; fi
out=$(post /topics/test "$BIN" '{"records":[{"value":"not base64!"}]}')
code=$(tail -1 <<<"$out")
if [ "$code" = 400 ] || [ "$code" = 422 ]; then ok "bad base64: $code"; else bad "bad base64" "$out"; fi

if [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$GW/healthz")" = 200 ]; then
  ok "/healthz still 200"
else
  bad "/healthz after errors"
fi

kill -TERM "$DEV_PID"
for _ in $(seq 1 100); do
  kill -0 "$DEV_PID" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$DEV_PID" 2>/dev/null; then
  bad "meridian dev exits within 10 s of SIGTERM"
else
  wait "$DEV_PID"
  rc=$?
  if [ "$rc" -eq 0 ]; then ok "clean exit on SIGTERM"; else bad "exit status $rc on SIGTERM" "$(tail -5 "$TMP/dev.err")"; fi
fi
finish
