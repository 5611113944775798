#!/usr/bin/env bash
# Builds (Release) and runs the benchmarks, then prints the ratio tables for bench/RESULTS.md.
#   ./bench/run.sh                 all benchmarks
#   ./bench/run.sh log             storage only
# Output: build/bench-results/<name>.json and a markdown report on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${MERIDIAN_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
OUT="$BUILD/bench-results"
mkdir -p "$OUT"
which=${1:-all}

if [ "$which" = all ] || [ "$which" = log ]; then
  cmake --build "$BUILD" -j"$(nproc)" --target log_bench
  # Three repetitions in random order, so page-cache writeback left by one benchmark does not
  # always land on the same next one; report.py uses the medians.
  "$BUILD/bench/log_bench" --benchmark_min_time=1 --benchmark_repetitions=3 \
    --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
    --benchmark_out="$OUT/log.json" --benchmark_out_format=json
  /usr/bin/python3 bench/report.py log "$OUT/log.json"
fi
