# Sourced by the bench scripts that load a `meridian dev --brokers 3` (e2e.sh, idempotence.sh).
# bench_start_dev M TMP: starts it on free ports with its data in TMP/data, waits (bounded) for
# the bootstrap address and a healthy cluster; sets DEV_PID and BOOT. The EXIT trap it installs
# stops the process and removes TMP.
DEV_PID=""
bench_cleanup() {
  if [ -n "$DEV_PID" ] && kill -0 "$DEV_PID" 2>/dev/null; then
    kill -TERM "$DEV_PID"
    wait "$DEV_PID" 2>/dev/null || true
  fi
  rm -rf "$BENCH_TMP"
}

bench_start_dev() {
  local m=$1
  BENCH_TMP=$2
  trap bench_cleanup EXIT
  # --admin-port 0: the default 9644 may be another engineer's dev on this shared machine.
  "$m" dev --brokers 3 --port 0 --gateway-port 0 --admin-port 0 --data-dir "$BENCH_TMP/data" \
    >"$BENCH_TMP/dev.out" 2>"$BENCH_TMP/dev.err" &
  DEV_PID=$!
  BOOT=""
  for _ in $(seq 1 100); do
    BOOT=$(sed -n 's/.*bootstrap \([0-9.]*:[0-9]*\).*/\1/p' "$BENCH_TMP/dev.out")
    [ -n "$BOOT" ] && break
    sleep 0.1
  done
  [ -n "$BOOT" ] || { echo "meridian dev did not start" >&2; cat "$BENCH_TMP/dev.err" >&2; exit 1; }
  timeout 30 "$m" cluster health --exit-when-healthy -b "$BOOT" >/dev/null
}
