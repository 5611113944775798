#!/usr/bin/env bash
# `meridian dev --brokers 3` as a user runs it, driven by unmodified Kafka clients from Debian:
# kafka-python (the article's program, then 300 acks=all records checked one by one) and kcat
# (librdkafka: metadata, produce with every codec, consume from the beginning). Ends with
# SIGTERM and checks for a clean exit.
set -uo pipefail
MERIDIAN=$1
SRC=$2
TMP=$(mktemp -d)
source "$(dirname "$0")/dev_lib.sh"
trap cleanup EXIT

if ! start_dev --brokers 3 --set num.partitions=3; then
  bad "meridian dev started" "$(cat "$TMP/dev.err")"
  echo "dev_clients_test: $passed passed, $failed failed"
  exit 1
fi
ok "meridian dev started ($BOOT)"

out=$(/usr/bin/python3 "$SRC/tests/integration/broker_single/kafka_python_roundtrip.py" "$BOOT" 2>&1)
if grep -q "b'Hello, Kafka!'" <<<"$out" && grep -q "consumed 300 of 300 produced, 0 missing, 0 duplicated, 0 at a different offset" <<<"$out"; then
  ok "kafka-python: article program + 300 acks=all records exactly once"
else
  bad "kafka-python round trip" "$out"
fi

meta=$(kcat -b "$BOOT" -L -m 10 2>&1)
if grep -q " 3 brokers:" <<<"$meta" && grep -q '(controller)' <<<"$meta"; then
  ok "kcat -L lists 3 brokers and the controller"
else
  bad "kcat -L" "$meta"
fi

for codec in none gzip snappy lz4 zstd; do
  topic="kcat-$codec"
  seq 1 200 | sed 's/^/line-/' >"$TMP/in-$codec"
  kcat -b "$BOOT" -P -t "$topic" -z "$codec" -X topic.request.required.acks=-1 \
    -m 20 <"$TMP/in-$codec" 2>"$TMP/kcat-p-$codec.err"
  kcat -b "$BOOT" -C -t "$topic" -o beginning -e -q -m 20 2>"$TMP/kcat-c-$codec.err" \
    | sort >"$TMP/out-$codec"
  if cmp -s <(sort "$TMP/in-$codec") "$TMP/out-$codec"; then
    ok "kcat produce/consume with $codec (200 records)"
  else
    bad "kcat $codec: got $(wc -l <"$TMP/out-$codec") of 200" "$(cat "$TMP/kcat-p-$codec.err" "$TMP/kcat-c-$codec.err")"
  fi
done

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

echo "dev_clients_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
