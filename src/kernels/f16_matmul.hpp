// y [T, rows] = x [T, cols] W^T for an f16 weight W [rows, cols] read in
// place (the tied output head of BitNet models: 128256 x 2560 f16 is the
// largest tensor a decode step reads, so it must stream at full bandwidth
// and is never widened to f32 in memory). Parallel over rows; AVX2/F16C
// where the CPU has it.
#pragma once

#include <cstdint>

namespace lowbit {

void f16_matmul(const uint16_t* w, int64_t rows, int64_t cols, const float* x, int64_t T, float* y);

}  // namespace lowbit
