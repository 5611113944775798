# Shared by the meridian-dev shell tests (sourced, not run). Needs MERIDIAN and TMP set.
passed=0
failed=0
DEV_PID=""

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | tail -20; }

cleanup() {
  if [ -n "$DEV_PID" ] && kill -0 "$DEV_PID" 2>/dev/null; then kill -KILL "$DEV_PID"; fi
  rm -rf "$TMP"
}

# start_dev ARGS...: starts `meridian dev --port 0 --data-dir $TMP/data ARGS` and sets BOOT to
# the bootstrap address it prints; returns non-zero if it does not come up within 10 s.
start_dev() {
  "$MERIDIAN" dev --port 0 --gateway-port 0 --admin-port 0 --data-dir "$TMP/data" "$@" >"$TMP/dev.out" 2>"$TMP/dev.err" &
  DEV_PID=$!
  BOOT=""
  for _ in $(seq 1 100); do
    BOOT=$(sed -n 's/.*bootstrap \([0-9.]*:[0-9]*\).*/\1/p' "$TMP/dev.out")
    [ -n "$BOOT" ] && return 0
    sleep 0.1
  done
  return 1
}
