// The order in which the single-thread decode GEMVs read their rows (or row
// tiles): two sequential streams instead of one. Internal to kernels/.
//
// One core streaming weights from DRAM does not reach the read probe
// (kernels/read_bandwidth) when it computes between loads: the L1 can keep
// only a few lines in flight, and the L2's hardware streamer follows each
// 4 KiB page on its own, restarting at every page. Two streams far apart
// (the first and second half of the range, visited alternately) keep two
// pages' streams going at once. Issue 18, AVX2, 1 thread, each pass paired
// with a probe read of as many bytes (share = probe time / kernel time,
// medians of 10, one process, quiet): q6_k head 0.81 -> 0.96, q4_0 0.86 ->
// 1.01, q8_0 0.98 -> 1.06, f16 (with its prefetch) 0.89 -> 1.02; the
// ternary GEMV 0.78 -> 0.80 and 0.88 -> 0.91 in two calls; the AVX-512
// one-token ternary tile (native) 0.66-0.79 -> 0.87-0.94 (three rounds).
// Three or four streams were no better than two. The NEON q-head kernels share the row
// loop (kernels/qhead_rows.hpp) and so the order; not measured on an ARM
// core (qemu only here).
#pragma once

#include <cstdint>

namespace lowbit::detail {

// fn(i) for every i in [0, n): i and half + i alternate (half = ceil(n/2)),
// each half front to back. Below min_n, plain order: too short a range
// gains nothing (a 2-thread decode's 8 KiB pieces).
template <class Fn>
void for_each_two_streams(int64_t n, int64_t min_n, Fn fn) {
  if (n < min_n) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  const int64_t half = (n + 1) / 2;
  for (int64_t i = 0; i < half; ++i) {
    fn(i);
    if (half + i < n) fn(half + i);
  }
}

}  // namespace lowbit::detail
