#!/usr/bin/env bash
# Runs a standalone Apache ZooKeeper (Debian's zookeeper 3.8 jars) in the FOREGROUND on
# 127.0.0.1:<port>, keeping its config, data and nothing else under <dir>:
#   tests/support/start_zookeeper.sh <port> <dir>
# Stop it with SIGTERM (or SIGKILL to simulate a crash; restart on the same dir keeps the data).
# Tunables (env): ZK_TICK_MS (200), ZK_MIN_SESSION_TIMEOUT_MS (2 ticks),
# ZK_MAX_SESSION_TIMEOUT_MS (60000), ZK_FORCE_SYNC (no: tests do not need fsync),
# ZK_LOG_LEVEL (info), JAVA (java). Readiness: `srvr` (4lw) answers with a "Mode:" line.
# Also used by tests/support/zookeeper_fixture.cc, so it must stay `exec java ...`.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <port> <dir>" >&2
  exit 2
fi
port=$1
dir=$(realpath -m "$2")
tick=${ZK_TICK_MS:-200}
mkdir -p "$dir/data"

cat > "$dir/zoo.cfg" <<CFG
tickTime=$tick
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
minSessionTimeout=${ZK_MIN_SESSION_TIMEOUT_MS:-$((2 * tick))}
maxSessionTimeout=${ZK_MAX_SESSION_TIMEOUT_MS:-60000}
maxClientCnxns=0
forceSync=${ZK_FORCE_SYNC:-no}
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok,stat,mntr,cons
autopurge.snapRetainCount=3
CFG

# zookeeper.jar's manifest Class-Path names the rest (netty, jute, metrics, commons-cli, ...);
# only the slf4j binding is ours to choose.
jars=/usr/share/java
classpath="$jars/zookeeper.jar:$jars/zookeeper-jute.jar:$jars/slf4j-api.jar:$jars/slf4j-simple.jar"

# Small heap, C1 only and the serial GC: start-up takes well under a second on 2 cores.
exec "${JAVA:-java}" -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Dorg.slf4j.simpleLogger.defaultLogLevel="${ZK_LOG_LEVEL:-info}" \
  -Dorg.slf4j.simpleLogger.showDateTime=true \
  -Dzookeeper.jmx.log4j.disable=true \
  -cp "$classpath" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg"
