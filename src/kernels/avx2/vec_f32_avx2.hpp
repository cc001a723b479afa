// AVX2 f32 vector primitives for attention (also used by the AVX-512 table:
// rows of a head are 64-256 floats, too short for 512-bit vectors to pay).
#pragma once

#include <cstdint>

namespace lowbit {

float dot_f32_avx2(const float* a, const float* b, int64_t n);
void axpy_f32_avx2(float a, const float* x, float* y, int64_t n);

}  // namespace lowbit
