#pragma once
// The machine's ceilings, measured in the same run as the code they bound: memcpy, write(),
// write()+fdatasync(), loopback TCP. Every Meridian benchmark reports its figure next to one of
// these, so a result reads as "x % of what this machine can do", not as a bare number.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>

namespace meridian::bench {

// A scratch directory for benchmark files (MERIDIAN_BENCH_DIR or /var/tmp), removed at exit.
const std::string& scratch_dir();

// Registers BM_Ceiling_Memcpy, BM_Ceiling_Write, BM_Ceiling_WriteFdatasync for the given sizes
// and BM_Ceiling_LoopbackTcp. Call from a benchmark binary's main before RunSpecifiedBenchmarks.
void register_ceilings();

}  // namespace meridian::bench
