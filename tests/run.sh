#!/usr/bin/env bash
# Installs dependencies, builds Meridian and runs every test. Non-zero exit on any failure.
#   MERIDIAN_LONG_TESTS=1   long chaos/soak/robustness profiles (default: bounded quick profile)
#   MERIDIAN_BUILD_DIR      build directory (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=$(nproc)
BUILD=${MERIDIAN_BUILD_DIR:-build}
ASAN_BUILD=${BUILD}-asan
# Compile-cache hits across checkouts in different directories (CI clones anywhere):
# ccache rewrites paths under the checkout to relative ones.
export CCACHE_BASEDIR="$ROOT"

./deploy/install-deps.sh

echo "== configure + build (Release)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$JOBS"

# The decoders face untrusted bytes: run their robustness tests under ASan+UBSan too.
# (cluster_protocol_messages_test is left out: its template-heavy TU takes over 10 minutes
# and 3+ GiB to compile under ASan with g++ 12; run it by hand with -DMERIDIAN_SANITIZE=ON.)
SANITIZED_TESTS=()
for t in record_robustness_test gateway_parser_robustness_test; do
  if grep -rqs "$t" --include=CMakeLists.txt tests; then
    SANITIZED_TESTS+=("$t")
  fi
done
if [ ${#SANITIZED_TESTS[@]} -gt 0 ]; then
  echo "== sanitizer build (ASan+UBSan): ${SANITIZED_TESTS[*]}"
  cmake -S . -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMERIDIAN_SANITIZE=ON \
        -DMERIDIAN_BUILD_BENCH=OFF >/dev/null
  cmake --build "$ASAN_BUILD" -j"$JOBS" --target "${SANITIZED_TESTS[@]}"
  for t in "${SANITIZED_TESTS[@]}"; do
    bin=$(find "$ASAN_BUILD/tests" -type f -name "$t" -perm -u+x | head -1)
    echo "-- $t (sanitized)"
    "$bin" --gtest_brief=1
  done
fi

if [ -x tests/fuzz/build_and_run.sh ] && command -v clang++ >/dev/null; then
  echo "== libFuzzer (bounded)"
  FUZZ_SECONDS=${MERIDIAN_FUZZ_SECONDS:-20}
  if [ "${MERIDIAN_LONG_TESTS:-0}" = 1 ]; then FUZZ_SECONDS=300; fi
  tests/fuzz/build_and_run.sh "$FUZZ_SECONDS" "$ROOT/$BUILD-fuzz"
fi

echo "== ctest"
ctest --test-dir "$BUILD" --output-on-failure --timeout 900
