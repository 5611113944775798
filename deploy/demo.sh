#!/usr/bin/env bash
# The README's first command: installs the dependencies, builds Meridian and runs two
# datacenters on this machine, a mirror east -> west, Prometheus and a small load generator.
#
#   deploy/demo.sh [--with-grafana] [--zookeeper] [--smoke] [--no-install] [--no-build]
#
#   east  Kafka 127.0.0.1:9092   REST gateway :8082   admin/metrics :9644   (3 brokers)
#   west  Kafka 127.0.0.1:9093   REST gateway :8083   admin/metrics :9645   (3 brokers)
#   mirror east -> west for topics matching ^demo-   (mirror admin API :9646)
#   Prometheus :9090 (deploy/prometheus/prometheus.yml + alerts.yml), Grafana :3000 (optional)
#
# Ctrl-C stops everything (SIGTERM, then SIGKILL after 15 s). Data lives in $MERIDIAN_DEMO_DIR
# (default: a fresh /tmp/meridian-demo.XXXXXX, removed on exit unless MERIDIAN_DEMO_KEEP=1).
# Non-interactive: DEMO_DURATION=N stops after N seconds; --smoke produces one record over REST
# in east, reads it back over REST (or Kafka) in west, and exits 0 on success.
# MERIDIAN_BIN=/path/to/meridian uses that binary (and skips install and build).
# --zookeeper: a real ZooKeeper per DC (:2181 east, :2182 west) and three `meridian broker`
# processes per DC (Kafka east 9092/9094/9096, west 9093/9095/9097; admin east 9644/9654/9664,
# west 9645/9655/9665) plus `meridian mirror run` and a `meridian gateway` per DC (REST :8082
# and :8083 as above; their own admin/metrics ports :9648 east, :9649 west); load and
# smoke use Kafka in this mode.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

WITH_GRAFANA=0 SMOKE=0 INSTALL=1 BUILD=1 ZK=0
for arg in "$@"; do
  case "$arg" in
    --with-grafana) WITH_GRAFANA=1 ;;
    --smoke) SMOKE=1 ;;
    --no-install) INSTALL=0 ;;
    --no-build) BUILD=0 ;;
    --zookeeper) ZK=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

EAST_KAFKA=9092 WEST_KAFKA=9093 EAST_GW=8082 WEST_GW=8083 EAST_ADMIN=9644 WEST_ADMIN=9645
MIRROR_ADMIN=9646 PROM_PORT=9090 GRAFANA_PORT=3000 EAST_GW_ADMIN=9648 WEST_GW_ADMIN=9649
PY=/usr/bin/python3

if [ -n "${MERIDIAN_BIN:-}" ]; then
  M=$MERIDIAN_BIN
else
  [ "$INSTALL" -eq 1 ] && ./deploy/install-deps.sh
  if [ "$BUILD" -eq 1 ]; then
    echo "== building meridian (Release; the first build takes several minutes)"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j"$(nproc)" --target meridian
  fi
  M=$ROOT/build/cli/meridian
fi
[ -x "$M" ] || { echo "demo: $M is not built (drop --no-build)" >&2; exit 1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports=($EAST_KAFKA $WEST_KAFKA $EAST_GW $WEST_GW $EAST_ADMIN $WEST_ADMIN $MIRROR_ADMIN $PROM_PORT)
[ "$WITH_GRAFANA" -eq 1 ] && ports+=($GRAFANA_PORT)
[ "$ZK" -eq 1 ] && ports+=(2181 2182 9094 9095 9096 9097 9654 9655 9664 9665 $EAST_GW_ADMIN $WEST_GW_ADMIN)
busy=()
for p in "${ports[@]}"; do port_busy "$p" && busy+=("$p"); done
if [ ${#busy[@]} -gt 0 ]; then
  echo "demo: port(s) ${busy[*]} already in use on 127.0.0.1 — is another demo (or a system" >&2
  echo "      prometheus/grafana service) running? Stop it and retry." >&2
  exit 1
fi

DATA=${MERIDIAN_DEMO_DIR:-$(mktemp -d /tmp/meridian-demo.XXXXXX)}
mkdir -p "$DATA"
PIDS=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "== stopping (SIGTERM; readiness turns 503 while each process drains)"
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
  for _ in $(seq 1 150); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${MERIDIAN_DEMO_KEEP:-0}" = 1 ] || [ -n "${MERIDIAN_DEMO_DIR:-}" ]; then
    echo "== data and logs kept in $DATA"
  else
    rm -rf "$DATA"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_ready() {  # name url
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$2")" = 200 ] && return 0
    sleep 0.1
  done
  echo "demo: $1 did not become ready ($2); last log lines:" >&2
  tail -20 "$DATA/$1.log" >&2
  exit 1
}

# Every topic gets 3 partitions on all 3 brokers, so the ISR panels have something to show.
DEV_SETS=(--set num.partitions=3 --set default.replication.factor=3 --set min.insync.replicas=2)
PROM_CONFIG=$ROOT/deploy/prometheus/prometheus.yml

start_dev_dcs() {
  echo "== starting datacenter east (3 brokers) and west (3 brokers); logs in $DATA/*.log"
  "$M" dev --dc east --port $EAST_KAFKA --gateway-port $EAST_GW --admin-port $EAST_ADMIN \
    --data-dir "$DATA/east" "${DEV_SETS[@]}" >"$DATA/east.log" 2>&1 &
  PIDS+=($!)
  "$M" dev --dc west --port $WEST_KAFKA --gateway-port $WEST_GW --admin-port $WEST_ADMIN \
    --data-dir "$DATA/west" "${DEV_SETS[@]}" --mirror-from 127.0.0.1:$EAST_KAFKA \
    --mirror-topics '^demo-.*' --mirror-admin-port $MIRROR_ADMIN >"$DATA/west.log" 2>&1 &
  PIDS+=($!)
  # `meridian dev` keeps serving when its admin port is taken; the demo must not then read
  # another process's /readyz, so it checks that each DC printed the admin port it was given.
  local dc port
  for dc in east west; do
    [ $dc = east ] && port=$EAST_ADMIN || port=$WEST_ADMIN
    for _ in $(seq 1 300); do grep -q "bootstrap" "$DATA/$dc.log" 2>/dev/null && break; sleep 0.1; done
    if ! grep -q "admin http://127.0.0.1:$port" "$DATA/$dc.log"; then
      echo "demo: $dc could not serve its admin port $port (taken by another process?):" >&2
      tail -5 "$DATA/$dc.log" >&2
      exit 1
    fi
  done
  wait_ready east http://127.0.0.1:$EAST_ADMIN/readyz
  wait_ready west http://127.0.0.1:$WEST_ADMIN/readyz
}

# --zookeeper: ZooKeeper + 3 `meridian broker` per DC, `meridian mirror run`, and a Prometheus
# config listing all six admin ports.
start_zookeeper_dcs() {
  local dc zk base_kafka base_admin i targets=""
  for dc in east west; do
    if [ $dc = east ]; then zk=2181 base_kafka=$EAST_KAFKA base_admin=$EAST_ADMIN
    else zk=2182 base_kafka=$WEST_KAFKA base_admin=$WEST_ADMIN; fi
    echo "== starting ZooKeeper :$zk and 3 brokers for $dc"
    "$ROOT/tests/support/start_zookeeper.sh" $zk "$DATA/zk-$dc" >"$DATA/zk-$dc.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 150); do
      (exec 3<>/dev/tcp/127.0.0.1/$zk && echo srvr >&3 && grep -q Mode <&3) 2>/dev/null && break
      sleep 0.2
    done
    targets="$targets      - targets: ["
    for i in 1 2 3; do
      local kport=$((base_kafka + 2 * (i - 1))) aport=$((base_admin + 10 * (i - 1)))
      cat >"$DATA/$dc-broker-$i.yaml" <<YAML
broker.id: $i
listeners: PLAINTEXT://127.0.0.1:$kport
admin.listener: 127.0.0.1:$aport
log.dirs: $DATA/$dc/broker-$i
zookeeper.connect: 127.0.0.1:$zk/meridian
num.partitions: 3
default.replication.factor: 3
min.insync.replicas: 2
YAML
      "$M" broker --config "$DATA/$dc-broker-$i.yaml" >"$DATA/$dc-broker-$i.log" 2>&1 &
      PIDS+=($!)
      targets="$targets\"127.0.0.1:$aport\", "
    done
    targets="${targets%, }]\n        labels: {datacenter: $dc}\n"
  done
  for dc in east west; do
    local a; [ $dc = east ] && a=$EAST_ADMIN || a=$WEST_ADMIN
    for i in 0 1 2; do wait_ready "$dc-broker-$((i + 1))" "http://127.0.0.1:$((a + 10 * i))/readyz"; done
  done
  # One standalone REST gateway per DC; its HTTP metrics are on its own admin port.
  for dc in east west; do
    local k gw ga
    if [ $dc = east ]; then k=$EAST_KAFKA gw=$EAST_GW ga=$EAST_GW_ADMIN
    else k=$WEST_KAFKA gw=$WEST_GW ga=$WEST_GW_ADMIN; fi
    "$M" gateway start --set "bootstrap.servers=127.0.0.1:$k,127.0.0.1:$((k + 2)),127.0.0.1:$((k + 4))" \
      --set listeners=http://127.0.0.1:$gw --set admin.listener=127.0.0.1:$ga \
      >"$DATA/$dc-gateway.log" 2>&1 &
    PIDS+=($!)
    targets="$targets      - targets: [\"127.0.0.1:$ga\"]\n        labels: {datacenter: $dc}\n"
  done
  wait_ready east-gateway "http://127.0.0.1:$EAST_GW_ADMIN/readyz"
  wait_ready west-gateway "http://127.0.0.1:$WEST_GW_ADMIN/readyz"
  "$M" mirror run --set link.name=east-to-west --set source.cluster.name=east \
    --set target.cluster.name=west --set source.bootstrap.servers=127.0.0.1:$EAST_KAFKA \
    --set target.bootstrap.servers=127.0.0.1:$WEST_KAFKA --set 'topics.include=^demo-.*' \
    --set admin.port=$MIRROR_ADMIN >"$DATA/mirror.log" 2>&1 &
  PIDS+=($!)
  PROM_CONFIG=$DATA/prometheus.yml
  printf 'global: {scrape_interval: 5s, evaluation_interval: 5s}\nrule_files: ["%s"]\nscrape_configs:\n  - job_name: meridian\n    honor_labels: true\n    static_configs:\n%b' \
    "$ROOT/deploy/prometheus/alerts.yml" "$targets" >"$PROM_CONFIG"
}

if [ "$ZK" -eq 1 ]; then start_zookeeper_dcs; else start_dev_dcs; fi

echo "== starting Prometheus on :$PROM_PORT"
prometheus --config.file="$PROM_CONFIG" \
  --storage.tsdb.path="$DATA/prometheus" --web.listen-address=127.0.0.1:$PROM_PORT \
  --log.level=warn >"$DATA/prometheus.log" 2>&1 &
PIDS+=($!)

GRAFANA_URL=""
if [ "$WITH_GRAFANA" -eq 1 ]; then
  GRAFANA_BIN=$(command -v grafana-server || command -v grafana || true)
  if [ -z "$GRAFANA_BIN" ]; then
    echo "demo: Grafana is not installed (it is not in Debian). Install it from Grafana's APT" >&2
    echo "      repository (docs/deploy.md, 'Grafana'), then rerun with --with-grafana." >&2
  else
    G=$DATA/grafana
    mkdir -p "$G/provisioning/dashboards" "$G/provisioning/datasources" "$G/data"
    sed "s#url: .*#url: http://127.0.0.1:$PROM_PORT#" \
      grafana/provisioning/datasources/prometheus.yaml >"$G/provisioning/datasources/prometheus.yaml"
    sed "s#path: .*#path: $ROOT/grafana/dashboards#" \
      grafana/provisioning/dashboards/meridian.yaml >"$G/provisioning/dashboards/meridian.yaml"
    home=/usr/share/grafana
    [ "$(basename "$GRAFANA_BIN")" = grafana ] && sub=server || sub=""
    "$GRAFANA_BIN" $sub --homepath "$home" cfg:paths.provisioning="$G/provisioning" \
      cfg:paths.data="$G/data" cfg:paths.logs="$G" cfg:server.http_port=$GRAFANA_PORT \
      cfg:server.http_addr=127.0.0.1 cfg:auth.anonymous.enabled=true \
      cfg:auth.anonymous.org_role=Admin >"$DATA/grafana.log" 2>&1 &
    PIDS+=($!)
    GRAFANA_URL="http://127.0.0.1:$GRAFANA_PORT (anonymous admin; dashboards in folder Meridian)"
  fi
fi

# A small bounded load: ~20 records/s over REST into east, consumed by a Kafka consumer group,
# for at most DEMO_LOAD_SECONDS (default 1 h) so a forgotten demo does not fill the disk.
LOAD_REST=(--rest http://127.0.0.1:$EAST_GW)
# --zookeeper has gateways too, but its load and smoke stay on Kafka: that mode checks the
# Kafka path end to end (tests/integration/demo_smoke).
[ "$ZK" -eq 1 ] && LOAD_REST=()
"$PY" "$ROOT/deploy/demo_load.py" "${LOAD_REST[@]}" \
  --kafka 127.0.0.1:$EAST_KAFKA --topic demo-orders --seconds "${DEMO_LOAD_SECONDS:-3600}" \
  >"$DATA/load.log" 2>&1 &
PIDS+=($!)

MODE_NOTE=""
[ "$ZK" -eq 1 ] && MODE_NOTE="  --zookeeper: ZooKeeper :2181/:2182, brokers east 9092/9094/9096 (admin 9644/9654/9664), west 9093/9095/9097 (admin 9645/9655/9665); gateways' admin/metrics east :$EAST_GW_ADMIN, west :$WEST_GW_ADMIN"
cat <<EOF

Meridian demo is running (data and logs: $DATA)
  east   Kafka 127.0.0.1:$EAST_KAFKA   REST http://127.0.0.1:$EAST_GW   metrics http://127.0.0.1:$EAST_ADMIN/metrics
  west   Kafka 127.0.0.1:$WEST_KAFKA   REST http://127.0.0.1:$WEST_GW   metrics http://127.0.0.1:$WEST_ADMIN/metrics
  mirror east -> west, topics ^demo-  (admin http://127.0.0.1:$MIRROR_ADMIN; $M mirror status --admin http://127.0.0.1:$MIRROR_ADMIN)
  Prometheus http://127.0.0.1:$PROM_PORT   ${GRAFANA_URL:+Grafana $GRAFANA_URL}
  load   ~20 records/s into demo-orders (east), consumer group demo-readers
$MODE_NOTE

Try:
  curl -s -X POST -H 'Content-Type: application/vnd.kafka.json.v2+json' \\
       --data '{"records":[{"key":"k1","value":{"hello":"east"}}]}' http://127.0.0.1:$EAST_GW/topics/demo-orders
  curl -s 'http://127.0.0.1:$WEST_GW/topics/demo-orders/partitions/0/records?offset=0'
  $PY -c "from kafka import KafkaConsumer; c=KafkaConsumer('demo-orders', bootstrap_servers='127.0.0.1:$WEST_KAFKA', auto_offset_reset='earliest', consumer_timeout_ms=3000); [print(m.partition, m.offset, m.value) for m in c]"
  $M cluster health --brokers 127.0.0.1:$EAST_KAFKA
  curl -s http://127.0.0.1:$EAST_ADMIN/readyz?verbose ; curl -s http://127.0.0.1:$EAST_ADMIN/metrics | grep meridian_records_produced_total
  open http://127.0.0.1:$PROM_PORT/graph?g0.expr=sum%20by%20(datacenter)(rate(meridian_records_produced_total%5B1m%5D))

EOF

if [ "$SMOKE" -eq 1 ]; then
  "$PY" "$ROOT/deploy/demo_load.py" --smoke "${LOAD_REST[@]}" --kafka 127.0.0.1:$EAST_KAFKA \
    ${LOAD_REST[@]:+--west-rest http://127.0.0.1:$WEST_GW} --west-kafka 127.0.0.1:$WEST_KAFKA \
    --topic demo-smoke
  exit $?
fi
if [ -n "${DEMO_DURATION:-}" ]; then
  echo "(stopping after DEMO_DURATION=${DEMO_DURATION}s)"
  sleep "$DEMO_DURATION"
  exit 0
fi
echo "Press Ctrl-C to stop."
wait "${PIDS[0]}"
