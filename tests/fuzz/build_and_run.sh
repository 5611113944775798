#!/usr/bin/env bash
# Builds the libFuzzer target for the record codec with clang and runs it for N seconds.
#   tests/fuzz/build_and_run.sh [seconds=60] [build dir=build-fuzz]
# Seeds the corpus with the batches record_interop_test's python script writes, if python3-kafka
# is installed. Exit status is libFuzzer's: non-zero on a crash (the input is left in the build dir).
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${2:-$root/build-fuzz}"
mkdir -p "$out/corpus"
cxx="${CXX_FUZZ:-clang++}"
command -v "$cxx" >/dev/null || { echo "clang++ not found (set CXX_FUZZ)" >&2; exit 2; }

rec="$root/cluster/record"
"$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root" "$root/tests/fuzz/record_fuzz.cc" \
  "$rec/errc.cc" "$rec/crc32c.cc" "$rec/batch_view.cc" "$rec/record.cc" "$rec/compression.cc" \
  -lz -lzstd -llz4 -lsnappy -o "$out/record_fuzz"

if [ -x /usr/bin/python3 ] && [ -z "$(ls -A "$out/corpus")" ]; then
  /usr/bin/python3 "$root/tests/compat/record/kafka_python_interop.py" write "$out/corpus" \
    >/dev/null 2>&1 || true
  rm -f "$out/corpus/expected.json"
fi

cd "$out"
exec ./record_fuzz -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
  -print_final_stats=1 corpus
