// y [T, rows] = x [T, cols] W^T for an f16 weight W [rows, cols] read in
// place (the tied output head of BitNet models: 128256 x 2560 f16 is the
// largest tensor a decode step reads, so it must stream at full bandwidth
// and is never widened to f32 in memory). Parallel over rows; AVX2/F16C
// where chosen_isa() is AVX2 or AVX-512 (kernels/isa.hpp).
#pragma once

#include <cstdint>

#include "kernels/isa.hpp"

namespace lowbit {

void f16_matmul(const uint16_t* w, int64_t rows, int64_t cols, const float* x, int64_t T, float* y);

// Rows [r0, r1) of y (row stride ldy) for one ISA's implementation.
using F16RowsFn = void (*)(const uint16_t* w, int64_t r0, int64_t r1, int64_t cols, const float* x, int64_t T,
                           float* y, int64_t ldy);
// One ISA's implementation, null where absent (AVX-512: a 512-bit version
// was no faster, one row stream per thread is bound by memory; it falls back
// to AVX2).
F16RowsFn f16_rows_for(Isa isa);
// The ISA of the implementation f16_matmul uses.
Isa f16_matmul_isa();

}  // namespace lowbit
