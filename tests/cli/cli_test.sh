#!/usr/bin/env bash
# Runs the meridian binary the way a user would and checks exit codes and messages.
set -uo pipefail
BIN=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

check() {  # check <name> <expected exit> <pattern in output> -- command...
  local name=$1 want=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" <<<"$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $rc (want $want), output:"
    echo "$out" | head -20
  fi
}

check version 0 '^meridian [0-9]+\.[0-9]+\.[0-9]+ \(' -- "$BIN" --version
check version-cmd 0 '^meridian [0-9]+\.' -- "$BIN" version
check help 0 'Subcommands:' -- "$BIN" --help
check no-subcommand 106 'subcommand is required' -- "$BIN"
check config-defaults 0 'log.segment.bytes = 1073741824  \(default\)' -- "$BIN" config print
printf 'log.segment.bytes: 2048\n' >"$TMP/b.yaml"
check config-file 0 "log.segment.bytes = 2048  \(file: $TMP/b.yaml\)" -- "$BIN" config print -c "$TMP/b.yaml"
check config-env 0 'log.retention.ms = 5  \(environment: MERIDIAN_LOG_RETENTION_MS\)' -- \
  env MERIDIAN_LOG_RETENTION_MS=5 "$BIN" config print --effective
check config-set 0 'num.partitions = 6  \(override\)' -- "$BIN" config print --set num.partitions=6
check config-explicit 0 '^num.partitions = 6$' -- "$BIN" config print --explicit --set num.partitions=6
printf 'log.segmnt.bytes: 2048\n' >"$TMP/typo.yaml"
check config-typo 2 "unknown configuration key 'log.segmnt.bytes'.*did you mean 'log.segment.bytes'" -- \
  "$BIN" config print -c "$TMP/typo.yaml"
check config-bad-env 2 "invalid value 'abc' for log.segment.bytes from environment variable" -- \
  env MERIDIAN_LOG_SEGMENT_BYTES=abc "$BIN" config print
check bad-log-level 105 "unknown level 'loud'" -- "$BIN" --log-level loud version

echo "cli_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
