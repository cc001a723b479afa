// STREAM-like read bandwidth: the bound every GEMV and the decode loop are
// measured against (`lowbit bench`, bench/bandwidth_bench.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace lowbit {

// XOR of the buffer's 64-bit words with wide loads and several independent
// accumulators (the result only keeps the loads alive).
uint64_t read_sum(const uint8_t* p, size_t n);

// Bytes per second reading a `bytes` buffer (far beyond the L3) on the
// global thread pool, each thread its own contiguous slice as a
// row-parallel GEMV reads; the best of `reps` passes.
double measure_read_bandwidth(size_t bytes = size_t(256) << 20, int reps = 5);

}  // namespace lowbit
