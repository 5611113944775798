#!/usr/bin/env bash
# deploy/demo.sh --smoke with the built binary: two DCs, the mirror, Prometheus and the load
# generator on the demo's well-known ports; one record produced over REST in east must be read
# back in west; then every demo port must be free again (clean shutdown).
# With --zookeeper: a real ZooKeeper and three `meridian broker` processes per DC and
# `meridian mirror run`; the record goes over Kafka (that mode has no REST gateway).
# Usage: demo_smoke_test.sh MERIDIAN SOURCE_DIR [--zookeeper]
set -uo pipefail
MERIDIAN=$1
SRC=$2
MODE=${3:-}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PORTS=(9092 9093 8082 8083 9644 9645 9646 9090)
VIA=REST
if [ "$MODE" = --zookeeper ]; then
  PORTS=(9092 9093 9094 9095 9096 9097 9644 9645 9646 9654 9655 9664 9665 9090 2181 2182)
  VIA=Kafka
fi
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "${PORTS[@]}"; do
  if port_busy "$p"; then
    echo "FAIL demo port $p is already in use on 127.0.0.1: the demo smoke test needs ports" \
         "${PORTS[*]} free (stop the running demo or service and rerun)"
    exit 1
  fi
done

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | tail -40; }

start=$(date +%s)
out=$(MERIDIAN_BIN="$MERIDIAN" MERIDIAN_DEMO_DIR="$TMP/demo" DEMO_LOAD_SECONDS=120 \
      timeout -s INT 170 "$SRC/deploy/demo.sh" --smoke $MODE 2>&1)
rc=$?
echo "$out" | grep "^smoke:"
echo "demo.sh --smoke exited $rc after $(( $(date +%s) - start )) s"
[ $rc -eq 0 ] && ok "demo.sh --smoke exits 0" || bad "demo.sh --smoke exit $rc" "$out
$(tail -20 "$TMP"/demo/*.log 2>/dev/null)"
echo "$out" | grep -q "produced smoke-.* in east over $VIA" && ok "record produced over $VIA in east" \
  || bad "$VIA produce in east" "$out"
echo "$out" | grep -q "read it back in west" && ok "the same record read in west" \
  || bad "record did not reach west" "$out"
echo "$out" | grep -q "Meridian demo is running" && ok "demo printed what runs where" || bad "summary"
echo "$out" | grep -q "curl -s -X POST" && echo "$out" | grep -q "KafkaConsumer(" \
  && ok "demo printed curl and kafka-python commands" || bad "curl / kafka-python commands"
still=()
for _ in $(seq 1 50); do
  still=()
  for p in "${PORTS[@]}"; do port_busy "$p" && still+=("$p"); done
  [ ${#still[@]} -eq 0 ] && break
  sleep 0.2
done
[ ${#still[@]} -eq 0 ] && ok "every demo port free after shutdown" || bad "ports still open: ${still[*]}"
echo "demo_smoke_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
