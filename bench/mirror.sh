#!/usr/bin/env bash
# Mirror throughput and replication lag with 0/20/100 ms one-way delay through the fault proxy
# (issue 7). Two `meridian dev --brokers 1` DCs; east is reached only through the proxy (its
# advertised listener), so east's producers see the same delay as the link.
#   bench/mirror.sh [BUILD_DIR] [RECORDS] [VALUE_BYTES]
# Per delay: (1) the source's own acks=all produce rate (kafka-python, max speed) and the
# mirror throughput (bytes / time until the mirror holds them all); (2) half that rate for
# 10 s, then the link's replication latency p50/p99 (source record timestamp -> appended in
# the target) from the mirror admin API.
set -euo pipefail
BUILD=${1:-build}
RECORDS=${2:-20000}
VALUE_BYTES=${3:-512}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
exec /usr/bin/python3 - "$BUILD/cli/meridian" "$BUILD/tests/tools/fault_proxy/meridian-fault-proxy" \
  "$RECORDS" "$VALUE_BYTES" "$ROOT/tests/integration/mirror_dr" <<'EOF'
import sys, time
meridian, proxy, records, value_bytes, lib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, lib)
from mirror_lib import Cluster, free_port_in, producer, wait_for

def run(delay):
    c = Cluster(meridian, proxy)
    try:
        east_port = free_port_in(23600, 23999)
        pport = c.start_proxy(east_port, delay_ms=delay)
        c.start_east(east_port, pport)
        east = "127.0.0.1:%d" % pport
        c.start_west(east)
        value = b"x" * value_bytes
        p = producer(east, linger_ms=5, batch_size=256 * 1024, max_in_flight_requests_per_connection=5)
        p.send("bench", value).get(timeout=30)
        c.wait_caught_up("bench", timeout=60)
        start = time.time()
        futures = [p.send("bench", value, partition=i % 3) for i in range(records)]
        for f in futures:
            f.get(timeout=120)
        produced = time.time() - start
        c.wait_caught_up("bench", timeout=600)
        mirrored = time.time() - start
        mb = records * value_bytes / 1e6
        src_rate = records / produced
        # Half load for 10 s; the link keeps its latest latency samples.
        interval, end = 2.0 / src_rate, time.time() + 10
        n = 0
        while time.time() < end:
            p.send("bench", value, partition=n % 3)
            n += 1
            time.sleep(interval)
        p.flush()
        c.wait_caught_up("bench", timeout=120)
        status, link = c.api("/v3/clusters/-/links/west")
        p.close()
        return (delay, mb / produced, src_rate, mb / mirrored, 100.0 * produced / mirrored,
                link["replication_latency_p50_seconds"], link["replication_latency_p99_seconds"])
    finally:
        c.close()

print("delay_ms  source_MB/s  source_rec/s  mirror_MB/s  mirror/source_%  lag_p50_s  lag_p99_s (half load)")
for d in (0, 20, 100):
    r = run(d)
    print("%8d  %11.2f  %12.0f  %11.2f  %15.0f  %9.3f  %9.3f" % r, flush=True)
EOF
