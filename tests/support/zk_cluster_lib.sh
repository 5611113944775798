# Shell helpers for process-level cluster tests: a real Apache ZooKeeper and N `meridian broker`
# processes on loopback, each with its own YAML, log and data dir under $TMP.
#   source tests/support/zk_cluster_lib.sh; zk_setup MERIDIAN SRC NAME
# Then: zk_start; broker_start ID [extra yaml lines]; leader_of TOPIC P; wait_isr TOPIC N ...
# Everything started here is killed by the EXIT trap; every wait loop is bounded.
# Brokers read BROKER_EXTRA_YAML (appended to every broker's config) so a test sets its knobs.

zk_setup() {
  MERIDIAN=$1
  SRC=$2
  TEST_NAME=$3
  TMP=$(mktemp -d)
  passed=0
  failed=0
  declare -gA PIDS=()
  declare -gA PORT=()
  ZK_PID=""
  BROKER_EXTRA_YAML=${BROKER_EXTRA_YAML:-}
  trap zk_cleanup EXIT
}

zk_cleanup() {
  local pid
  for pid in "${PIDS[@]}" $ZK_PID ${EXTRA_PIDS:-}; do
    kill -CONT "$pid" 2>/dev/null
    kill -KILL "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  if { [ "$failed" -ne 0 ] && [ -n "${KEEP_ON_FAILURE:-}" ]; } || [ -n "${KEEP_TMP:-}" ]; then
    echo "kept $TMP"
  else
    rm -rf "$TMP"
  fi
}

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | tail -40; }
finish() {
  echo "$TEST_NAME: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
die_logs() { bad "$1" "$(tail -n 30 "$TMP"/broker-*.log 2>/dev/null)"; finish; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now_ms() { date +%s%3N; }

zk_start() {
  ZK_PORT=$(free_port)
  "$SRC/tests/support/start_zookeeper.sh" "$ZK_PORT" "$TMP/zk" >"$TMP/zk.log" 2>&1 &
  ZK_PID=$!
  local _
  for _ in $(seq 1 300); do
    # srvr answers with a "Mode:" line; a server still starting may hold the socket: bound it.
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ZK_PORT && echo srvr >&3 && grep -q Mode <&3" \
      2>/dev/null && return 0
    sleep 0.1
  done
  bad "ZooKeeper started" "$(tail -20 "$TMP/zk.log")"
  finish
}

# broker_start ID: (re)starts broker ID on its port (picked once), appending to its log.
broker_start() {
  local id=$1
  [ -n "${PORT[$id]:-}" ] || PORT[$id]=$(free_port)
  cat >"$TMP/broker-$id.yaml" <<YAML
broker.id: $id
listeners: PLAINTEXT://127.0.0.1:${PORT[$id]}
log.dirs: $TMP/data/broker-$id
zookeeper.connect: 127.0.0.1:$ZK_PORT/meridian
zookeeper.session.timeout.ms: ${ZK_SESSION_MS:-3000}
num.partitions: ${NUM_PARTITIONS:-1}
default.replication.factor: 3
min.insync.replicas: 2
replica.lag.time.max.ms: ${LAG_MS:-5000}
controlled.shutdown.retry.backoff.ms: 500
admin.listener: 127.0.0.1:0
YAML
  [ -n "$BROKER_EXTRA_YAML" ] && printf '%s\n' "$BROKER_EXTRA_YAML" >>"$TMP/broker-$id.yaml"
  echo "=== start $(date +%T.%3N)" >>"$TMP/broker-$id.log"
  "$MERIDIAN" broker --config "$TMP/broker-$id.yaml" >>"$TMP/broker-$id.log" 2>&1 &
  PIDS[$id]=$!
}

# brokers_up N: waits until N brokers are registered (kcat metadata).
boot() {  # every broker, or only $BOOT_ONLY (e.g. while the others are SIGSTOPped)
  local out="" id
  if [ -n "${BOOT_ONLY:-}" ]; then echo "127.0.0.1:${PORT[$BOOT_ONLY]}"; return; fi
  for id in "${!PORT[@]}"; do out="${out:+$out,}127.0.0.1:${PORT[$id]}"; done
  echo "$out"
}
brokers_up() {  # brokers_up N [TRIES]: N brokers in the metadata within TRIES (150) tries
  local n=$1 _
  for _ in $(seq 1 "${2:-150}"); do
    [ "$(kcat -b "$(boot)" -L -m 3 2>/dev/null | grep -c '^  broker ')" -eq "$n" ] && return 0
    sleep 0.2
  done
  return 1
}

# Metadata of one partition as "leader isr" (isr comma separated), via kcat.
part_line() {
  kcat -b "$(boot)" -L -t "$1" -m 3 2>/dev/null | grep "partition $2,"
}
leader_of() { part_line "$1" "$2" | sed -n 's/.*leader \(-\?[0-9]*\),.*/\1/p'; }
isr_of() { part_line "$1" "$2" | sed -n 's/.*isrs: \([0-9,]*\).*/\1/p'; }

# wait_leader TOPIC P PRED: waits until PRED "$leader" holds (e.g. '[ "$1" != 2 ]').
wait_leader() {
  local topic=$1 p=$2 pred=$3 l _
  for _ in $(seq 1 ${WAIT_STEPS:-150}); do
    l=$(leader_of "$topic" "$p")
    if [ -n "$l" ] && (set -- "$l"; eval "$pred"); then
      echo "$l"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# wait_isr TOPIC P N: waits until the ISR of TOPIC-P has N members.
wait_isr() {
  local topic=$1 p=$2 n=$3 isr _
  for _ in $(seq 1 ${WAIT_STEPS:-150}); do
    isr=$(isr_of "$topic" "$p")
    [ -n "$isr" ] && [ "$(tr ',' '\n' <<<"$isr" | grep -c .)" -eq "$n" ] && return 0
    sleep 0.2
  done
  return 1
}

# The broker id in /controller (read through the broker log lines of the current terms).
controller_id() {
  grep -h "is the controller, epoch" "$TMP"/broker-*.log 2>/dev/null |
    sort -t' ' -k1,2 | tail -1 | sed -n 's/.*broker \([0-9]*\) is the controller.*/\1/p'
}

create_topic() {  # create_topic NAME PARTITIONS [config=value ...]
  /usr/bin/python3 "$SRC/tests/support/cluster_client.py" "$(boot)" create "$@"
}

stop_all() {  # SIGTERM every broker; one still running 30 s later is a failure (and SIGKILLed)
  local id _
  for id in "${!PIDS[@]}"; do kill -CONT "${PIDS[$id]}" 2>/dev/null; kill -TERM "${PIDS[$id]}" 2>/dev/null; done
  for id in "${!PIDS[@]}"; do
    for _ in $(seq 1 150); do kill -0 "${PIDS[$id]}" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "${PIDS[$id]}" 2>/dev/null; then
      bad "broker $id still running 30 s after SIGTERM" "$(tail -20 "$TMP/broker-$id.log")"
      kill -KILL "${PIDS[$id]}" 2>/dev/null
    fi
    wait "${PIDS[$id]}" 2>/dev/null
  done
}

# dump_partition ID TOPIC P: "offset value" lines of broker ID's replica (log dump --records).
dump_partition() {
  "$MERIDIAN" log dump --records --json "$TMP/data/broker-$1/$2-$3" 2>/dev/null |
    /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    j = json.loads(line)
    if "value" in j:
        print(j["offset"], j["value"])'
}
