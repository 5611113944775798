# Runs one client test against either cluster shape (issue 5: "each client test runs against
# both `meridian dev` and a three-process cluster with ZooKeeper"). Sourced, not run:
#   source .../target_lib.sh; target_setup dev|zk MERIDIAN SRC NAME
#   target_start [key=value ...]   # broker configs; sets BOOT (every broker's address)
#   target_restart                 # SIGTERM every broker, start again on the same data dirs
#   target_stop_clean              # SIGTERM, ok/bad on a clean exit of every broker process
#   finish                         # prints "NAME: n passed, m failed", exits non-zero on a failure
# dev: one `meridian dev --brokers 3` process (dev_lib.sh); zk: a real Apache ZooKeeper and
# three `meridian broker` processes, RF 3, min ISR 2 (tests/support/zk_cluster_lib.sh).
# Both give ok/bad, TMP (removed on exit) and an EXIT trap that kills what was started.

target_setup() {
  TARGET=$1
  MERIDIAN=$2
  SRC=$3
  TEST_NAME="$4 [$1]"
  TARGET_SETTINGS=()
  case "$TARGET" in
    dev)
      TMP=$(mktemp -d)
      source "$SRC/tests/integration/dev_clients/dev_lib.sh"
      trap cleanup EXIT
      finish() {
        echo "$TEST_NAME: $passed passed, $failed failed"
        [ "$failed" -eq 0 ]
        exit $?
      }
      ;;
    zk)
      source "$SRC/tests/support/zk_cluster_lib.sh"
      zk_setup "$MERIDIAN" "$SRC" "$TEST_NAME"
      ;;
    *)
      echo "target must be dev or zk, not '$TARGET'" >&2
      exit 2
      ;;
  esac
}

# Starts the three brokers with TARGET_SETTINGS (key=value); fails the test if they do not come up.
target_boot() {
  if [ "$TARGET" = dev ]; then
    local args=() kv
    for kv in "${TARGET_SETTINGS[@]}"; do args+=(--set "$kv"); done
    start_dev --brokers 3 "${args[@]}" && return 0
    bad "meridian dev started" "$(tail -20 "$TMP/dev.err")"
    finish
  fi
  local kv id
  NUM_PARTITIONS=1
  BROKER_EXTRA_YAML="auto.create.topics.enable: true"
  for kv in "${TARGET_SETTINGS[@]}"; do
    # num.partitions is in zk_cluster_lib's template already (a second key would be ambiguous).
    if [ "${kv%%=*}" = num.partitions ]; then NUM_PARTITIONS=${kv#*=}; continue; fi
    BROKER_EXTRA_YAML+=$'\n'"${kv%%=*}: ${kv#*=}"
  done
  [ -n "${ZK_PID:-}" ] || zk_start
  for id in 1 2 3; do broker_start "$id"; done
  brokers_up 3 || die_logs "3 brokers registered in ZooKeeper"
  BOOT=$(boot)
}

target_start() {
  TARGET_SETTINGS=("$@")
  target_boot
  ok "$TARGET cluster of 3 brokers up ($BOOT)"
}

# Stops every broker with SIGTERM (bounded) and returns the number of unclean exits.
target_stop() {
  local unclean=0 id rc _
  if [ "$TARGET" = dev ]; then
    kill -TERM "$DEV_PID"
    for _ in $(seq 1 300); do kill -0 "$DEV_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$DEV_PID" 2>/dev/null; then kill -KILL "$DEV_PID"; unclean=1; fi
    wait "$DEV_PID" 2>/dev/null || unclean=1
    return $unclean
  fi
  for id in "${!PIDS[@]}"; do kill -TERM "${PIDS[$id]}" 2>/dev/null; done
  for id in "${!PIDS[@]}"; do
    for _ in $(seq 1 300); do kill -0 "${PIDS[$id]}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${PIDS[$id]}" 2>/dev/null; then kill -KILL "${PIDS[$id]}"; unclean=$((unclean + 1)); fi
    wait "${PIDS[$id]}" 2>/dev/null
    rc=$?
    [ "$rc" -eq 0 ] || unclean=$((unclean + 1))
  done
  return $unclean
}

target_restart() {
  target_stop
  target_boot
}

target_stop_clean() {
  if target_stop; then
    ok "every broker process exits 0 on SIGTERM"
  else
    bad "unclean exit on SIGTERM" "$(tail -5 "$TMP"/dev.err "$TMP"/broker-*.log 2>/dev/null)"
  fi
}
