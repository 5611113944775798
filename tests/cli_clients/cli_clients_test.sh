#!/usr/bin/env bash
# The client commands as a user runs them against `meridian dev --brokers 3`: topic
# create/list/describe/alter-config/delete, produce (keys, headers, formats, partitions,
# compression), consume (offsets, partitions, -n, -e, json, custom format, groups), group
# list/describe/reset-offsets, cluster health/info/metadata, bench produce/consume; and the
# error paths: unknown topic, unreachable or malformed bootstrap, bad flags, with their exit
# codes (0 ok, 1 runtime error, 2 usage error).
set -uo pipefail
MERIDIAN=$1
SRC=$2
TMP=$(mktemp -d)
source "$SRC/tests/integration/dev_clients/dev_lib.sh"
trap cleanup EXIT

# expect NAME WANT_EXIT PATTERN -- command...: runs it, checks the exit code and that the
# combined output matches PATTERN (extended regex).
expect() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" <<<"$out"; then
    ok "$name"
  else
    bad "$name: exit $rc (want $want), pattern '$pattern'" "$out"
  fi
}

if ! start_dev --brokers 3 --set num.partitions=3; then
  bad "meridian dev started" "$(cat "$TMP/dev.err")"
  echo "cli_clients_test: $passed passed, $failed failed"
  exit 1
fi
ok "meridian dev started ($BOOT)"
M() { "$MERIDIAN" "$@" -b "$BOOT"; }

# --- cluster (right after start the controller may not be elected yet: wait for it first) ---
expect "cluster health --exit-when-healthy" 0 'Healthy: +true' -- timeout 20 "$MERIDIAN" cluster health -e -b "$BOOT"
expect "cluster health: healthy" 0 'Healthy: +true' -- M cluster health
expect "cluster health json" 0 '"is_healthy":true.*"nodes_down":\[\]' -- M cluster health --format json
expect "cluster info: 3 brokers" 0 'CONTROLLER' -- M cluster info
# The brokers of `meridian dev` register one after another: allow them 10 s to appear.
for _ in $(seq 1 50); do
  n=$("$MERIDIAN" cluster info --format json -b "$BOOT" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["brokers"]))')
  [ "$n" = 3 ] && break
  sleep 0.2
done
[ "$n" = 3 ] && ok "cluster info json lists 3 brokers" || bad "cluster info json: $n brokers"

# --- topics ---
expect "topic create" 0 '^orders +OK$' -- M topic create orders -p 3 -r 3
expect "topic create again fails" 1 'TOPIC_ALREADY_EXISTS' -- M topic create orders
expect "topic create --if-not-exists" 0 'orders +OK' -- M topic create orders --if-not-exists
expect "topic create with bad replication factor" 1 'INVALID_REPLICATION_FACTOR' -- M topic create wide -r 9
expect "topic list" 0 '^orders +3 +3$' -- M topic list
expect "topic list json" 0 '"name":"orders","partitions":3' -- M topic list --format json
expect "topic describe" 0 'HIGH-WATERMARK' -- M topic describe orders
expect "topic describe: 3 partitions" 0 '^2 +[123] ' -- M topic describe orders -p
expect "topic describe unknown" 1 "topic 'nope' not found" -- M topic describe nope
expect "cluster metadata lists the topic" 0 '^orders +3 +3$' -- M cluster metadata

# --- produce ---
expect "produce with key and header" 0 'Produced to partition [0-2] at offset 2 with timestamp' -- \
  bash -c "printf 'one\ntwo\nthree\n' | '$MERIDIAN' produce orders -k user-1 -H trace=abc -H 'h2=x y' -b '$BOOT'"
expect "produce key=value format to partition 1, zstd" 0 'Produced to partition 1 at offset' -- \
  bash -c "printf 'k1=v1\nk2=v2\n' | '$MERIDIAN' produce orders -f '%k=%v\n' -p 1 -z zstd --acks 1 -b '$BOOT'"
expect "produce: input not matching the format" 2 "does not match --format" -- \
  bash -c "printf 'novalue\n' | '$MERIDIAN' produce orders -f '%k=%v\n' -b '$BOOT'"
expect "produce to unknown topic" 1 "topic does not exist.*meridian topic create nope" -- \
  bash -c "echo x | '$MERIDIAN' produce nope -b '$BOOT'"
expect "produce: bad format" 2 "bad --format" -- bash -c "echo x | '$MERIDIAN' produce orders -f '%k%v' -b '$BOOT'"
expect "produce: bad acks" 2 "acks" -- M produce orders --acks 7
expect "produce: bad compression" 2 "compression" -- M produce orders -z brotli
seq 1 500 | "$MERIDIAN" produce bulk -q -b "$BOOT" >/dev/null 2>&1  # unknown yet: must fail
[ $? -eq 1 ] && ok "produce -q to unknown topic exits 1" || bad "produce -q to unknown topic"
M topic create bulk -p 2 -r 3 >/dev/null
seq 1 500 | M produce bulk -q --acks all >/dev/null 2>"$TMP/bulk.err"
[ $? -eq 0 ] && ok "produce 500 lines" || bad "produce 500 lines" "$(cat "$TMP/bulk.err")"

# --- consume ---
out=$(M consume orders -e 2>&1)
rc=$?
lines=$(grep -c '^orders/' <<<"$out")
if [ "$rc" -eq 0 ] && [ "$lines" -eq 5 ] && grep -qE 'key=user-1  headers=\{trace=abc,h2=x y\}  two$' <<<"$out" \
  && grep -qE '^orders/1@[0-9]+  .*key=k2  headers=\{\}  v2$' <<<"$out"; then
  ok "consume -e: 5 records with keys, headers, timestamps"
else
  bad "consume -e (exit $rc, $lines lines)" "$out"
fi
expect "consume --format json -n 2" 0 '^\{"headers":.*"offset":[0-9]+.*"timestamp":[0-9]{13}' -- M consume orders --format json -n 2
n=$(M consume orders --format json -n 2 | wc -l)
[ "$n" -eq 2 ] && ok "consume -n 2 prints 2 records" || bad "consume -n 2 printed $n"
expect "consume -p 1 -o -1 custom format" 0 '^k2=v2@1$' -- M consume orders -p 1 -o -1 -e -f '%k=%v@%p\n'
expect "consume -o end -e prints nothing" 0 '^$' -- M consume orders -o end -e
expect "consume -o @timestamp" 0 'v1' -- M consume orders -p 1 -o @0 -e -f '%v\n'
n=$(M consume bulk -e -f '%v\n' | sort -n | uniq | wc -l)
[ "$n" -eq 500 ] && ok "consume bulk: all 500 distinct lines" || bad "consume bulk: $n of 500"
expect "consume unknown topic" 1 "topic 'nope' not found" -- M consume nope -e
expect "consume unknown partition" 1 "has no partition 7" -- M consume orders -p 7 -e
expect "consume bad offset" 2 "bad -o/--offset 'soon'" -- M consume orders -o soon
expect "consume bad format" 2 "format" -- M consume orders --format xml
expect "consume bad print format" 2 "bad -f/--print-format" -- M consume orders -f '%q'

# --- groups ---
n=$(M consume bulk -g cli-group -e -f '%v\n' 2>"$TMP/group.err" | wc -l)
[ "$n" -eq 500 ] && ok "consume -g: 500 records as a group member" || bad "consume -g: $n of 500" "$(cat "$TMP/group.err")"
expect "consume -g again: offsets committed, nothing left" 0 '^$' -- M consume bulk -g cli-group -e
expect "group list" 0 '^cli-group +consumer +[0-9]+' -- M group list
expect "group describe: committed, lag 0" 0 '^bulk +[01] +[0-9]+ +[0-9]+ +0 ' -- M group describe cli-group
expect "group describe: state and total lag" 0 'TOTAL-LAG +0' -- M group describe cli-group
expect "group reset-offsets --to beginning" 0 '^bulk +1 +0$' -- M group reset-offsets cli-group -t bulk --to beginning
n=$(M consume bulk -g cli-group -n 10 -f '%v\n' | wc -l)
[ "$n" -eq 10 ] && ok "consume -g -n 10 after reset" || bad "consume -g -n 10 after reset: $n"
expect "group describe: lag 490 after reading 10" 0 'TOTAL-LAG +490' -- M group describe cli-group
expect "group seek --to -5 --dry-run" 0 'dry run' -- M group seek cli-group -t bulk -p 0 --to -5 --dry-run
expect "group reset-offsets: bad --to" 2 "bad --to 'later'" -- M group reset-offsets cli-group -t bulk --to later
expect "group describe unknown" 1 "group 'nobody' not found" -- M group describe nobody
expect "group delete" 0 '^cli-group +OK$' -- M group delete cli-group

# --- bootstrap and usage errors ---
expect "unreachable bootstrap" 1 "is a broker running" -- "$MERIDIAN" topic list -b 127.0.0.1:1
expect "malformed bootstrap" 2 "bootstrap servers must be host:port" -- "$MERIDIAN" topic list -b nohostport
expect "MERIDIAN_BROKERS environment" 0 '^orders ' -- env MERIDIAN_BROKERS="$BOOT" "$MERIDIAN" topic list
expect "unknown flag" 2 "--bogus" -- M topic list --bogus
expect "missing topic name" 2 "topics is required" -- M topic create
expect "missing verb" 2 "subcommand is required" -- "$MERIDIAN" topic
expect "cluster health: unreachable" 1 "is a broker running" -- "$MERIDIAN" cluster health -b 127.0.0.1:1

# --- bench ---
expect "bench produce" 0 'produce: 3000 records.*MB/s' -- M bench produce -t bench -n 3000 -s 256 -p 2 -r 3 --acks all
expect "bench consume from beginning" 0 'consume: 3000 records' -- M bench consume -t bench -n 3000 --from beginning
expect "bench: bad record size" 2 "record-size" -- M bench produce -s 4

# --- alter-config (needs DescribeConfigs/AlterConfigs in the broker) ---
expect "topic alter-config --set" 0 'orders +OK' -- M topic alter-config orders --set retention.ms=3600000
expect "topic describe shows the new config" 0 'retention.ms +3600000' -- M topic describe orders -c
expect "topic alter-config --delete" 0 'orders +OK' -- M topic alter-config orders --delete retention.ms
expect "topic alter-config: nothing to change" 2 'nothing to change' -- M topic alter-config orders
expect "topic alter-config unknown topic" 1 "nope" -- M topic alter-config nope --set retention.ms=1

# --- delete ---
expect "topic delete" 0 '^orders +OK$' -- M topic delete orders
for _ in $(seq 1 50); do M topic describe orders >/dev/null 2>&1 || break; sleep 0.1; done
expect "deleted topic is gone" 1 "topic 'orders' not found" -- M topic describe orders
expect "delete unknown topic" 1 'UNKNOWN_TOPIC_OR_PARTITION' -- M topic delete orders

echo "cli_clients_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
