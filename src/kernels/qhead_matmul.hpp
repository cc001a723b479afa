// y [T, rows] = x [T, cols] W^T for a weight W [rows, cols] stored in one of
// ggml's integer head formats (Q8_0, Q6_K, Q4_0; formats/kquant_formats.hpp),
// read in place: the tied embedding / output head at fewer bytes per decoded
// token than f16 (2560 columns: 2 bytes per weight in f16, 1.0625 in Q8_0,
// 0.82 in Q6_K, 0.5625 in Q4_0).
//
// The activations stay f32: each kernel widens the codes in registers and
// multiplies with fused multiply-adds, so a logit is the float dot product
// of x with the dequantized row (to f32 rounding), the number perplexity
// and the exact-greedy re-scoring compare against. ggml instead quantizes x
// to int8 (q8_0 / q8_K) for an integer dot, which adds a second rounding to
// every logit but costs far fewer instructions per weight: widening costs
// the same per weight whatever the bytes, so these kernels are bound by the
// core, not by memory (docs/PERFORMANCE.md, "Head formats": Q4_0 is the
// slowest per byte). An int8-activation variant is the way to the read
// bandwidth.
//
// Parallel over rows like f16_matmul: chunks of rows to whichever thread is
// free, one sequential row stream per thread.
#pragma once

#include <cstdint>

#include "formats/format.hpp"
#include "kernels/isa.hpp"

namespace lowbit {

// Rows [r0, r1) of y (row stride ldy); row r starts at w + r * row_bytes.
using QRowsFn = void (*)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const float* x,
                         int64_t T, float* y, int64_t ldy);

// One ISA's kernels, one per head format.
struct QHeadKernels {
  QRowsFn q8_0 = nullptr, q6_k = nullptr, q4_0 = nullptr;
  QRowsFn for_format(Format f) const;
};

// True for the formats that have head kernels.
bool qhead_format(Format f);
// One ISA's table, null where absent or unsupported (the scalar one works
// for every format through its to_float).
const QHeadKernels* qhead_kernels_for(Isa isa);
// The ISA of the table qhead_matmul uses.
Isa qhead_isa();

void qhead_matmul(Format f, const uint8_t* w, int64_t rows, int64_t cols, const float* x, int64_t T, float* y);

}  // namespace lowbit
