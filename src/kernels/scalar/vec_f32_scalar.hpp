// f32 vector primitives for attention over the KV cache (scalar versions;
// the SIMD tables' versions need not match them bit for bit: they sum in a
// different order).
#pragma once

#include <cstdint>

namespace lowbit {

float dot_f32_scalar(const float* a, const float* b, int64_t n);
void axpy_f32_scalar(float a, const float* x, float* y, int64_t n);

}  // namespace lowbit
